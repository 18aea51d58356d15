/**
 * PeerHealth: which peers are up, from periodic pings plus what real calls observe.
 *
 * A peer is down after `failuresToDown` consecutive failures (pings, or calls that got no
 * answer) and up again after one success: going down is slow, so one lost packet does not divert
 * writes into hints, and coming back is fast, so hints start draining at once. A peer never
 * pinged yet counts as up (writes are tried; their failures count).
 *
 * Concurrency: single JS thread; at most one ping per peer is in flight.
 */
import type { PeerTransport } from './peer-transport.ts';
import type { RingMember } from './ring-doc.ts';

/** Options of PeerHealth. */
export interface PeerHealthOptions {
  /** ms between pings of each peer (default 1000) */
  intervalMs?: number;
  /** consecutive failures that make a peer down (default 3) */
  failuresToDown?: number;
  /** told when a peer changes state */
  onChange?: (peer: string, up: boolean) => void;
  /** told when a peer's ping answer reports a ring epoch (the node fetches a newer one) */
  onEpoch?: (peer: string, epoch: number) => void;
}

interface PeerState {
  member: RingMember;
  failures: number;
  up: boolean;
  /** from the last ping answer: the peer has caught up since its start */
  ready: boolean;
  /** from the last ping answer: the peer takes version-2 WAL records (false until one says so) */
  walRecordV2: boolean;
  pinging: boolean;
  lastError: string;
}

/** Health of the current peer set. */
export class PeerHealth {
  private readonly peers = new Map<string, PeerState>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly intervalMs: number;
  private readonly failuresToDown: number;

  constructor(
    private readonly transport: PeerTransport,
    private readonly opts: PeerHealthOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.failuresToDown = opts.failuresToDown ?? 3;
  }

  /** Replaces the peer set (a new ring); known peers keep their state, new ones start up. */
  setPeers(members: readonly RingMember[]): void {
    const next = new Set(members.map((m) => m.id));
    for (const id of [...this.peers.keys()]) if (!next.has(id)) this.peers.delete(id);
    for (const m of members) {
      const s = this.peers.get(m.id);
      if (s) s.member = m;
      else this.peers.set(m.id, { member: m, failures: 0, up: true, ready: true, walRecordV2: false, pinging: false, lastError: '' });
    }
  }

  /** Starts pinging every `intervalMs`. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.pingAll(), this.intervalMs);
    this.timer.unref?.();
    this.pingAll();
  }

  /** Stops pinging. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Whether `peer` is up (unknown peers are not). */
  isUp(peer: string): boolean {
    return this.peers.get(peer)?.up ?? false;
  }

  /** Whether `peer` said it has caught up in its last ping answer (reads prefer peers that have). */
  isReady(peer: string): boolean {
    return this.peers.get(peer)?.ready ?? false;
  }

  /**
   * Whether `peer` announced in its last ping answer that it takes version-2 WAL records (false
   * before its first answer: a write then goes as version 1, which every node takes).
   */
  acceptsWalRecordV2(peer: string): boolean {
    return this.peers.get(peer)?.walRecordV2 ?? false;
  }

  /** Peers currently up. */
  upCount(): number {
    let n = 0;
    for (const s of this.peers.values()) if (s.up) n++;
    return n;
  }

  /** Every peer with its state (for /admin/ring and logs). */
  snapshot(): { id: string; up: boolean; ready: boolean; failures: number; lastError: string }[] {
    return [...this.peers.values()].map((s) => ({ id: s.member.id, up: s.up, ready: s.ready, failures: s.failures, lastError: s.lastError }));
  }

  /** A call to `peer` got an answer. */
  noteSuccess(peer: string): void {
    const s = this.peers.get(peer);
    if (!s) return;
    s.failures = 0;
    if (!s.up) this.flip(s, true);
  }

  /** A call to `peer` got no answer. */
  noteFailure(peer: string, why: string): void {
    const s = this.peers.get(peer);
    if (!s) return;
    s.failures++;
    s.lastError = why;
    if (s.up && s.failures >= this.failuresToDown) this.flip(s, false);
  }

  private flip(s: PeerState, up: boolean): void {
    s.up = up;
    this.opts.onChange?.(s.member.id, up);
  }

  private pingAll(): void {
    for (const s of this.peers.values()) {
      if (s.pinging) continue;
      s.pinging = true;
      this.transport
        .ping(s.member)
        .then((r) => {
          // Another node answering at this address (a stale ring) is as good as no answer.
          if (r.node !== s.member.id) return this.noteFailure(s.member.id, `${s.member.address} answers as node "${r.node}"`);
          s.ready = r.ready;
          s.walRecordV2 = r.walRecordV2;
          this.noteSuccess(s.member.id);
          this.opts.onEpoch?.(s.member.id, r.epoch);
        })
        .catch((err: Error) => this.noteFailure(s.member.id, err.message))
        .finally(() => (s.pinging = false));
    }
  }
}
