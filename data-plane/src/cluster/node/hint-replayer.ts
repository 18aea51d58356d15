/**
 * HintReplayer: delivers each target's queued hints, oldest first, while the target is up, and
 * deletes them once delivered. One loop per target at a time (order), targets in parallel.
 * Kicked when a hint is stored, when a target comes back up, and every `intervalMs` as a
 * backstop. A delivery failure stops that target's loop until the next kick: the hint stays
 * first in line, so nothing overtakes it.
 */
import type { ClusterCounters } from './cluster-counters.ts';
import type { HintStore, StoredHint } from './hint-store.ts';
import type { PeerHealth } from './peer-health.ts';
import { PeerError, type PeerTransport } from './peer-transport.ts';
import type { RingView } from './ring-view.ts';

/** Hints read and delivered per round (one fsync'd delete per round). */
const BATCH = 16;

/** What the replayer works with. */
export interface HintReplayerDeps {
  hints: HintStore;
  transport: PeerTransport;
  health: PeerHealth;
  view: () => RingView | null;
  counters: ClusterCounters;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>) => void;
  /** ms between backstop sweeps (default 1000) */
  intervalMs?: number;
  /** how long a target must have been missing from the ring before its hints are discarded
   *  (default 30 000 ms) */
  forgetLeftAfterMs?: number;
}

/** Replays hints; `stop()` waits for running deliveries. */
export class HintReplayer {
  private readonly running = new Map<string, Promise<void>>();
  /** targets holding hints that the applied ring does not list, and since when (ms) */
  private readonly missingSince = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;

  constructor(private readonly d: HintReplayerDeps) {}

  /** Starts the backstop sweep. */
  start(): void {
    this.timer = setInterval(() => this.kickAll(), this.d.intervalMs ?? 1000);
    this.timer.unref?.();
    this.kickAll();
  }

  /** Stops sweeping and waits for deliveries in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.running.values());
  }

  /** Replays every target that has hints and is up; discards the hints of targets long gone. */
  kickAll(): void {
    for (const t of this.d.hints.targets()) {
      if (this.forgetIfLeft(t)) continue;
      this.kick(t);
    }
  }

  /**
   * True (and discards its hints, once) when `target` has been missing from the applied ring for
   * `forgetLeftAfterMs`. A node leaves the ring only after every vnode it held was copied away,
   * and a copy starts only once no member holds hints for its source (rebalance-driver.ts): what
   * is still queued for it is for vnodes it no longer owns, and would otherwise stay forever.
   */
  private forgetIfLeft(target: string): boolean {
    const view = this.d.view();
    if (!view || view.doc.members.some((m) => m.id === target)) {
      this.missingSince.delete(target);
      return false;
    }
    const now = Date.now();
    const since = this.missingSince.get(target) ?? now;
    this.missingSince.set(target, since);
    if (now - since < (this.d.forgetLeftAfterMs ?? 30_000) || this.running.has(target)) return true;
    const run = this.d.hints
      .discard(target)
      .then((n) => {
        if (n === 0) return;
        this.d.counters.hintsDropped += n;
        this.d.log('warn', 'hints discarded: their target left the ring', { target, discarded: n, epoch: view.epoch });
      })
      .catch((err: Error) => this.d.log('error', 'discarding the hints of a node that left failed', { target, error: err.message }))
      .finally(() => {
        this.running.delete(target);
        this.missingSince.delete(target);
      });
    this.running.set(target, run);
    return true;
  }

  /** Starts replaying `target` unless already running, it is down, or nothing is queued. */
  kick(target: string): void {
    if (this.stopped || this.running.has(target)) return;
    if (!this.d.health.isUp(target) || this.d.hints.pending(target) === 0) return;
    const run = this.drain(target)
      .catch((err: Error) => this.d.log('error', 'hint replay failed', { target, error: err.message }))
      .finally(() => this.running.delete(target));
    this.running.set(target, run);
  }

  private async drain(target: string): Promise<void> {
    let delivered = 0;
    while (!this.stopped && this.d.health.isUp(target)) {
      const address = this.addressOf(target);
      if (address === null) return;
      const batch = await this.d.hints.peek(target, BATCH);
      if (batch.length === 0) break;
      const done = await this.deliver(target, address, batch);
      await this.d.hints.remove(target, done);
      delivered += done.length;
      if (done.length < batch.length) break;
    }
    if (delivered) this.d.log('info', 'hints replayed', { target, delivered, pending: this.d.hints.pending(target) });
  }

  /** Sends hints in order until one fails; returns those to delete (delivered or unusable). */
  private async deliver(target: string, address: string, batch: StoredHint[]): Promise<StoredHint[]> {
    const done: StoredHint[] = [];
    for (const h of batch) {
      if (!h.record) {
        this.drop(target, h, `unreadable: ${h.error?.message}`);
        done.push(h);
        continue;
      }
      try {
        await this.d.transport.write({ id: target, address }, h.record, { hintEpoch: h.epoch });
        this.d.counters.hintsReplayed++;
        done.push(h);
      } catch (err) {
        if (err instanceof PeerError && err.kind === 'rejected') {
          // The target refuses these rows for good (4xx); retrying forever would block its queue.
          this.drop(target, h, err.message);
          done.push(h);
          continue;
        }
        if (err instanceof PeerError && err.kind === 'unreachable') this.d.health.noteFailure(target, err.message);
        break;
      }
    }
    return done;
  }

  private drop(target: string, h: StoredHint, why: string): void {
    this.d.counters.hintsDropped++;
    this.d.log('error', 'hint dropped', { target, seq: h.seq, reason: why });
  }

  /** The target's address in the current ring; null when it left the ring (its hints wait). */
  private addressOf(target: string): string | null {
    const view = this.d.view();
    return view?.doc.members.find((m) => m.id === target)?.address ?? null;
  }
}
