/**
 * WriteCoordinator: the write path of any node (cluster-api.md "Writes"). Splits a batch by
 * vnode, sends each node its part (local part → the engine; remote part → its raw WAL record to
 * `POST /internal/v1/write`: a slice of the request's version-2 record when the ingest workers
 * wrote one and the node announced in its ping answer that it takes version 2, else version 1),
 * stores a durable hint for every target it could not reach, and decides acknowledgement per
 * vnode with ack-policy.ts.
 *
 * Ordering: while a target has queued hints (or is down), its new parts are queued behind them
 * instead of sent, so replay never writes an older value over a newer one from this coordinator.
 */
import type { EngineApi } from '../../engine-api.ts';
import { encodeWalRecord, encodeWalRecordPacked } from '../../encoding/wal-record.ts';
import { sliceWalRecordV2 } from '../../encoding/wal-record-v2.ts';
import { PackedWriteBatch } from '../../ingest/packed-batch.ts';
import { OverloadError, ValidationError } from '../../errors.ts';
import type { WriteBatch } from '../../model.ts';
import { ackFailureMessage, type Consistency, type SendOutcome, vnodeShortfall } from './ack-policy.ts';
import type { ClusterCounters } from './cluster-counters.ts';
import type { HintStore } from './hint-store.ts';
import type { PeerHealth } from './peer-health.ts';
import { PeerError, type PeerTransport } from './peer-transport.ts';
import type { RingView } from './ring-view.ts';
import { routeWithFreshRing, StaleRingRefusal } from './stale-ring.ts';
import { splitWrite } from './write-split.ts';

/** Seconds a client should wait before retrying a write that missed its level. */
const RETRY_AFTER_SEC = 2;

/** What the coordinator works with; `view()` is read once per write (one epoch per write). */
export interface WriteCoordinatorDeps {
  self: string;
  level: Consistency;
  view: () => RingView | null;
  local: Pick<EngineApi, 'write'>;
  transport: PeerTransport;
  health: PeerHealth;
  hints: HintStore;
  counters: ClusterCounters;
  /** bytes of hints kept per target; past it a part for that target fails instead (bounds the
   *  disk a long outage can fill; the write then misses quorum at RF 2 and the client retries) */
  maxHintBytes: number;
  /** fetches and applies the newer ring of `peer` (after it refused a part as stale) */
  refreshRing: (peer: string) => Promise<void>;
  /** told when a target's hint queue starts (not per hint: an outage would flood the log) */
  log?: (level: 'warn', msg: string, fields: Record<string, unknown>) => void;
}

/** Writes in flight that were routed with one ring view. */
interface ViewWrites {
  count: number;
  settled: Promise<void>;
  resolve: () => void;
}

/** Coordinates client writes; keeps only the count of writes in flight per ring view. */
export class WriteCoordinator {
  private readonly inFlight = new Map<RingView, ViewWrites>();

  constructor(private readonly d: WriteCoordinatorDeps) {}

  /**
   * Resolves once every write routed with a view other than `current` has finished (or after
   * `maxWaitMs`; false then). ClusterNode.applyRing waits for it, so when a ring change has been
   * applied on every node no write routed by an older ring is still on its way: a handoff's copy
   * started after that cannot miss a write that went only to the old owners.
   */
  async settledBefore(current: RingView | null, maxWaitMs: number): Promise<boolean> {
    const older = [...this.inFlight].filter(([v]) => v !== current).map(([, w]) => w.settled);
    if (older.length === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<false>((r) => (timer = setTimeout(() => r(false), maxWaitMs)));
    try {
      return await Promise.race([Promise.all(older).then(() => true as const), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Counts a write routed with `view` until the returned function is called. */
  private track(view: RingView): () => void {
    let w = this.inFlight.get(view);
    if (!w) {
      let resolve!: () => void;
      const settled = new Promise<void>((r) => (resolve = r));
      w = { count: 0, settled, resolve };
      this.inFlight.set(view, w);
    }
    const mine = w;
    mine.count++;
    return () => {
      if (--mine.count > 0) return;
      this.inFlight.delete(view);
      mine.resolve();
    };
  }

  /**
   * Writes `batch` to every owner (and pending receiver) of its vnodes.
   * @throws OverloadError 503 when a vnode misses the consistency level (names the vnode and
   *   the unreachable nodes) or no ring is applied yet; ValidationError for invalid rows
   */
  async write(batch: WriteBatch): Promise<{ written: number }> {
    if (!this.d.view()) throw new OverloadError('cluster: no ring applied yet (PUT /admin/ring or cluster.members); cannot route writes', 5, 503);
    if (batch.rowCount === 0) return { written: 0 };
    // A part refused as routed by an older ring: the whole batch is routed again by the newer
    // one (parts already stored are rewritten; same rows, same values).
    return routeWithFreshRing(
      async () => {
        const view = this.d.view()!;
        const done = this.track(view);
        try {
          return await this.route(view, batch);
        } finally {
          done(); // released before the ring fetch, whose apply waits for writes of older views
        }
      },
      this.d.refreshRing,
      this.d.counters,
    );
  }

  private async route(view: RingView, batch: WriteBatch): Promise<{ written: number }> {
    const plan = splitWrite(batch, { vnodes: view.vnodes, targetsOf: (v) => ({ owners: view.owners(v), pending: view.pendingTargets(v) }) });
    const outcomes = new Map<string, SendOutcome>();
    let callerFault: unknown;
    let stale: StaleRingRefusal | undefined;
    await Promise.all(
      [...plan.byNode].map(async ([node, part]) => {
        try {
          outcomes.set(node, await this.send(view, node, part));
        } catch (err) {
          if (err instanceof StaleRingRefusal) stale ??= err;
          else callerFault ??= err;
          outcomes.set(node, { kind: 'failed', why: (err as Error).message });
        }
      }),
    );
    if (callerFault !== undefined) throw callerFault;
    if (stale) throw stale;
    const shortfalls: string[] = [];
    for (const [vnode, t] of plan.vnodes) {
      const s = vnodeShortfall(this.d.level, { vnode, owners: t.owners, outcome: (n) => outcomes.get(n)! });
      if (s) shortfalls.push(s);
    }
    if (shortfalls.length) {
      this.d.counters.writesUnacknowledged++;
      throw new OverloadError(ackFailureMessage(this.d.level, shortfalls), RETRY_AFTER_SEC, 503);
    }
    return { written: batch.rowCount };
  }

  private async send(view: RingView, node: string, part: WriteBatch): Promise<SendOutcome> {
    if (node === this.d.self) return this.writeLocal(part);
    const record = recordOf(part, this.d.health.acceptsWalRecordV2(node));
    if (record[0] === 2) this.d.counters.peerPartsV2++;
    else this.d.counters.peerPartsV1++;
    if (!this.d.health.isUp(node)) return this.hint(view, node, record, 'down');
    if (this.d.hints.pending(node) > 0) return this.hint(view, node, record, 'catching up on queued hints');
    try {
      await this.d.transport.write({ id: node, address: view.addressOf(node) }, record, { epoch: view.epoch });
      this.d.health.noteSuccess(node);
      return { kind: 'acked' };
    } catch (err) {
      if (!(err instanceof PeerError)) throw err;
      if (err.stale) throw new StaleRingRefusal(node, view.epoch);
      if (err.kind === 'rejected') {
        // The request itself is at fault: the same rows would be refused here too.
        if (err.status === 400) throw new ValidationError(err.message);
        return { kind: 'failed', why: err.message };
      }
      if (err.kind === 'unreachable') this.d.health.noteFailure(node, err.message);
      return this.hint(view, node, record, err.kind === 'unreachable' ? 'unreachable' : `answered ${err.status}`);
    }
  }

  private async writeLocal(part: WriteBatch): Promise<SendOutcome> {
    try {
      // This node's own part is logged as its raw record (a valid WAL value, wal-compact.ts), not
      // LZ4-compressed: for version 1, measured in 3 paired cluster bench runs, 1–3% more rows/s
      // and 2–3% less server CPU per row, for ~2.5× its bytes in the WAL until the rows are
      // sealed; a version-2 slice is about as small as LZ4 would make version 1.
      if (part instanceof PackedWriteBatch) await this.d.local.write(part, { walValue: recordOf(part, true) });
      else await this.d.local.write(part);
      return { kind: 'acked' };
    } catch (err) {
      if (err instanceof ValidationError) throw err;
      return { kind: 'failed', why: `local engine: ${(err as Error).message}` };
    }
  }

  /** Queues `record` for `node`, with the epoch of the ring it was routed by (`view`). */
  private async hint(view: RingView, node: string, record: Uint8Array, why: string): Promise<SendOutcome> {
    const held = this.d.hints.bytes(node);
    if (held + record.length > this.d.maxHintBytes) {
      return { kind: 'failed', why: `${why}; hints for ${node} are full (${held} of ${this.d.maxHintBytes} bytes)` };
    }
    try {
      const first = this.d.hints.pending(node) === 0;
      await this.d.hints.append(node, record, view.epoch);
      this.d.counters.hintsStored++;
      if (first) this.d.log?.('warn', 'hints queued for a peer', { peer: node, why, epoch: view.epoch });
      return { kind: 'hinted', why };
    } catch (err) {
      return { kind: 'failed', why: `${why}; no hint stored: ${(err as Error).message}` };
    }
  }
}

/**
 * The raw WAL record of one node's part: its series' slice of the request's version-2 record
 * when the ingest workers wrote one and the node takes version 2 (`v2Ok`; a copy of ~13 B/row,
 * logged by the owner as received), else a version-1 record (~54 B/row, which a peer
 * LZ4-compresses for its WAL).
 */
function recordOf(part: WriteBatch, v2Ok: boolean): Uint8Array {
  if (!(part instanceof PackedWriteBatch)) return encodeWalRecord(part);
  const v2 = v2Ok ? part.packed.walRecordV2 : undefined;
  return v2 ? sliceWalRecordV2(v2, part.seriesIndexes(), part.rowCount) : encodeWalRecordPacked(part.packed, part.only);
}
