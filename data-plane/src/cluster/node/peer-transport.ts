/**
 * PeerTransport: the calls one node makes on another (the internal API of cluster-api.md), as an
 * interface so the routing logic can be unit-tested with an in-process transport; the real one
 * is HTTP (peer-client.ts).
 */
import type { CandleQuery, CandleResult, RangeQuery } from '../../engine-api.ts';
import type { SeriesData } from '../../model.ts';
import type { RingDoc, RingMember } from './ring-doc.ts';

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
  /**
   * whether the peer's internal write route takes version-2 WAL records (a coordinator's slice
   * of a parsed request); a node from before them does not announce it and gets version 1
   */
  walRecordV2: boolean;
}

/** Options of a read on a peer. */
export interface PeerReadOptions {
  /** the peer answers 503 instead of possibly stale data while it has not caught up; set
   *  whenever the caller has another owner to try */
  refuseIfBehind: boolean;
  /** the ring epoch the caller routed by: a peer with a newer ring refuses (STALE_RING) */
  epoch?: number;
}

/** Options of a write on a peer: a routed write sends `epoch`, a hint replay `hintEpoch`. */
export interface PeerWriteOptions {
  /** the ring epoch the caller routed by: a peer that has applied a newer ring refuses with
   *  STALE_RING and stores nothing */
  epoch?: number;
  /** a hint replay (delivered to a fixed target, never refused as stale): the ring epoch the
   *  hinted write was routed by. A peer whose ring is at least that new stores only the rows of
   *  vnodes it owns or is receiving; it declines the others, whose owners got them meanwhile
   *  (cluster-api.md "Hints") */
  hintEpoch?: number;
}

/** Calls on a peer; every method throws PeerError on failure. */
export interface PeerTransport {
  /** Makes a raw WAL record durable on the peer's local engine (see PeerWriteOptions). */
  write(peer: RingMember, record: Uint8Array, o?: PeerWriteOptions): Promise<void>;
  readRange(peer: RingMember, q: RangeQuery, o: PeerReadOptions): Promise<SeriesData>;
  candles(peer: RingMember, q: CandleQuery, o: PeerReadOptions): Promise<CandleResult>;
  latest(peer: RingMember, symbols: string[], o: PeerReadOptions): Promise<(SeriesData | null)[]>;
  /** The peer's local symbols. */
  symbols(peer: RingMember, prefix: string): Promise<string[]>;
  hints(peer: RingMember, target: string): Promise<HintReport>;
  ping(peer: RingMember): Promise<PingReply>;
  /** The ring document the peer routes by (null before its first). */
  ring(peer: RingMember): Promise<RingDoc | null>;
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

  /** True when the peer refused because it has applied a newer ring than the caller routed by. */
  get stale(): boolean {
    return this.code === STALE_RING;
  }
}

/**
 * Error code (409) of a write or read a peer refused because the caller routed it by an older
 * ring epoch than the peer's. Owners could have moved since: the caller fetches the newer ring
 * and routes again. This fences coordinators that missed ring changes (a node just removed from
 * the ring that still takes client requests, one that was unreachable while a ring was pushed).
 */
export const STALE_RING = 'stale_ring';

/** Header of internal writes carrying the ring epoch the coordinator routed by. */
export const RING_EPOCH_HEADER = 'X-Ring-Epoch';

/** Header of hint replays carrying the ring epoch the hinted write was routed by. */
export const HINT_EPOCH_HEADER = 'X-Hint-Epoch';

/** Error code of a read refused by a node that has not caught up since its start. */
export const CATCHING_UP = 'catching_up';
