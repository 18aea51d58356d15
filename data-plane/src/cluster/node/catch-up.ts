/**
 * CatchUp: a node that (re)starts does not answer reads from its own engine until it has
 * received the writes it missed: until every peer reports no hints queued for it and sees it up
 * (so the peer sends new writes directly, not to a queue). Peers seen down are not waited for
 * (they cannot deliver anyway). Bounded: after `maxWaitMs` the node serves local reads anyway and
 * logs what was still pending. Meanwhile reads go to the other owners (read-router.ts).
 */
import type { PeerHealth } from './peer-health.ts';
import type { PeerTransport } from './peer-transport.ts';
import type { RingView } from './ring-view.ts';

/** What CatchUp works with. */
export interface CatchUpDeps {
  self: string;
  view: () => RingView | null;
  transport: PeerTransport;
  health: PeerHealth;
  log: (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;
  /** longest wait in ms (default 30 000) */
  maxWaitMs?: number;
  /** ms between polls (default 250) */
  pollMs?: number;
}

/** Tracks whether this node has caught up. */
export class CatchUp {
  private done = false;
  private loop: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly d: CatchUpDeps) {}

  /** True once caught up (or the bound passed). */
  get ready(): boolean {
    return this.done;
  }

  /** Starts waiting (once; later calls do nothing). Needs a ring: call when one is applied. */
  start(): void {
    if (this.loop || this.done) return;
    this.loop = this.run();
  }

  /** Stops waiting (shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    const t0 = Date.now();
    const deadline = t0 + (this.d.maxWaitMs ?? 30_000);
    let waitingFor: string[] = [];
    while (!this.stopped) {
      waitingFor = await this.peersStillHolding();
      if (waitingFor.length === 0) {
        this.finish('caught up: no peer holds hints for this node', { ms: Date.now() - t0 });
        return;
      }
      if (Date.now() >= deadline) {
        this.finish('catch-up wait ended before every peer drained its hints; serving local reads anyway', { ms: Date.now() - t0, waiting_for: waitingFor }, 'warn');
        return;
      }
      await new Promise((r) => setTimeout(r, this.d.pollMs ?? 250));
    }
  }

  private finish(msg: string, fields: Record<string, unknown>, level: 'info' | 'warn' = 'info'): void {
    this.done = true;
    this.d.log(level, msg, fields);
  }

  /** Peers (not seen down) that hold hints for this node, do not see it up, or did not answer. */
  private async peersStillHolding(): Promise<string[]> {
    const view = this.d.view();
    if (!view) return ['(no ring yet)'];
    const peers = view.peers().filter((p) => this.d.health.isUp(p.id));
    const verdicts = await Promise.all(
      peers.map(async (p) => {
        try {
          const r = await this.d.transport.hints(p, this.d.self);
          return r.pending === 0 && r.targetUp ? null : `${p.id} (${r.pending} hints${r.targetUp ? '' : ', sees this node down'})`;
        } catch (err) {
          return `${p.id} (${(err as Error).message})`;
        }
      }),
    );
    return verdicts.filter((v): v is string => v !== null);
  }
}
