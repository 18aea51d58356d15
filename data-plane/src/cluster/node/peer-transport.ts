/**
 * PeerTransport: the calls one node makes on another (the internal API of cluster-api.md), as an
 * interface so the routing logic can be unit-tested with an in-process transport; the real one
 * is HTTP (peer-client.ts).
 */
import type { CandleQuery, CandleResult, RangeQuery } from '../../engine-api.ts';
import type { SeriesData } from '../../model.ts';
import type { RingMember } from './ring-doc.ts';

/** What a peer reports about the hints it holds for one target. */
export interface HintReport {
  /** hints the peer holds for the target */
  pending: number;
  /** whether the peer currently sees the target as healthy (it replays only then) */
  targetUp: boolean;
}

/** A peer's answer to a ping. */
export interface PingReply {
  node: string;
  epoch: number;
  /** whether the peer has caught up since it started (serves reads from its own engine) */
  ready: boolean;
}

/** Options of a read on a peer. */
export interface PeerReadOptions {
  /** the peer answers 503 instead of possibly stale data while it has not caught up; set
   *  whenever the caller has another owner to try */
  refuseIfBehind: boolean;
}

/** Calls on a peer; every method throws PeerError on failure. */
export interface PeerTransport {
  /** Makes a raw WAL record durable on the peer's local engine. */
  write(peer: RingMember, record: Uint8Array): Promise<void>;
  readRange(peer: RingMember, q: RangeQuery, o: PeerReadOptions): Promise<SeriesData>;
  candles(peer: RingMember, q: CandleQuery, o: PeerReadOptions): Promise<CandleResult>;
  latest(peer: RingMember, symbols: string[], o: PeerReadOptions): Promise<(SeriesData | null)[]>;
  /** The peer's local symbols. */
  symbols(peer: RingMember, prefix: string): Promise<string[]>;
  hints(peer: RingMember, target: string): Promise<HintReport>;
  ping(peer: RingMember): Promise<PingReply>;
}

/**
 * A failed peer call. `unreachable`: no answer (refused, reset, timeout) — counts against the
 * peer's health; `failed`: the peer answered 5xx (alive but could not do it); `rejected`: the
 * peer answered 4xx (the request is at fault; retrying elsewhere will not help).
 */
export class PeerError extends Error {
  override name = 'PeerError';
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'failed' | 'rejected',
    readonly status = 0,
    options?: { cause?: unknown; code?: string },
  ) {
    super(message, options);
    this.code = options?.code ?? '';
  }

  /** the peer's `error.code` when it answered with our JSON error body ('' otherwise) */
  readonly code: string;

  /** True when the peer refused a read because it has not caught up (see PeerReadOptions). */
  get behind(): boolean {
    return this.code === CATCHING_UP;
  }
}

/** Error code of a read refused by a node that has not caught up since its start. */
export const CATCHING_UP = 'catching_up';
