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
}

/** Calls on a peer; every method throws PeerError on failure. */
export interface PeerTransport {
  /** Makes a raw WAL record durable on the peer's local engine. */
  write(peer: RingMember, record: Uint8Array): Promise<void>;
  readRange(peer: RingMember, q: RangeQuery): Promise<SeriesData>;
  candles(peer: RingMember, q: CandleQuery): Promise<CandleResult>;
  latest(peer: RingMember, symbols: string[]): Promise<(SeriesData | null)[]>;
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
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
