/**
 * ClusterNode: a standalone engine plus routing (DESIGN.md §8, cluster-api.md). Implements
 * EngineApi, so the HTTP data app serves it exactly like a standalone engine; the engine itself
 * knows nothing of the cluster.
 *
 * State: the applied ring (a RingView swapped in whole; persisted before it is used), the hint
 * store, peer health, and whether this node has caught up since it started. Single JS thread;
 * ring changes are serialized through `ringLock`.
 */
import type { CandleQuery, CandleResult, EngineApi, EngineStats, PreparedWrite, RangeQuery } from '../../engine-api.ts';
import { ConflictError, ValidationError } from '../../errors.ts';
import type { SeriesData, WriteBatch } from '../../model.ts';
import type { KvStore } from '../../storage/kv-store.ts';
import { vnodeOf } from '../../storage/vnode-of.ts';
import type { Consistency } from './ack-policy.ts';
import { CatchUp } from './catch-up.ts';
import { type ClusterCounters, newClusterCounters } from './cluster-counters.ts';
import { HintReplayer } from './hint-replayer.ts';
import { HintStore } from './hint-store.ts';
import { PeerHealth } from './peer-health.ts';
import type { HintReport, PeerTransport } from './peer-transport.ts';
import { ReadRouter } from './read-router.ts';
import type { RingDoc } from './ring-doc.ts';
import { loadRingDoc, saveRingDoc } from './ring-persistence.ts';
import { RingView } from './ring-view.ts';
import { WriteCoordinator } from './write-coordinator.ts';
import { selectSeries } from './write-split.ts';

/** The local engine as the cluster layer needs it: the API, its KvStore (ring and hints live
 *  there) and vnode drops (of vnodes a ring change took away). */
export type LocalEngine = EngineApi & { readonly kv: KvStore; readonly vnodes: { drop(vnode: number): Promise<void> } };

/** Log sink of the cluster layer (the server's Logger fits). */
export type ClusterLog = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** Options of ClusterNode.open. */
export interface ClusterNodeOptions {
  /** this node's id (cluster.node_id) */
  self: string;
  engine: LocalEngine;
  /** vnode count of the engine's key layout; a ring with another count is refused */
  vnodes: number;
  consistency: Consistency;
  transport: PeerTransport;
  log?: ClusterLog;
  /** applied at start when no ring (or an older one) is persisted: the static-membership ring */
  initialRing?: RingDoc | null;
  /** ms between peer pings (default 1000) and failures before a peer is down (default 3) */
  healthIntervalMs?: number;
  failuresToDown?: number;
  /** longest catch-up wait after a start (default 30 000 ms) */
  catchUpMaxWaitMs?: number;
  /** hint bytes kept per unreachable target before its parts fail instead (default 4 GiB) */
  maxHintBytesPerTarget?: number;
  /** how long a node must have been out of the ring before the hints for it are discarded
   *  (default 30 000 ms) */
  forgetLeftHintsAfterMs?: number;
  /** how long after a ring change took a vnode away from this node its rows here are dropped
   *  (default 5000 ms; the rebalance driver's own drop normally comes first) */
  dropLostVnodesAfterMs?: number;
}

/** Default bound of hints per target: hours of a busy node's share of writes, far from a full disk. */
const DEFAULT_MAX_HINT_BYTES = 4 * 1024 ** 3;
/** Default delay before the rows of a vnode a ring change took away are dropped here. */
const DEFAULT_DROP_LOST_AFTER_MS = 5_000;
/** Longest applyRing waits for writes routed by the previous ring (under the rebalance driver's
 *  10 s admin timeout; a write's peer calls time out after 10 s, so this only bounds stragglers). */
const RING_SETTLE_MAX_MS = 8_000;

/** A ring document whose epoch is not above the applied one (→ 409 through ConflictError). */
export class RingEpochConflict extends ConflictError {
  override name = 'RingEpochConflict';
}

/** One node of the cluster; see the module comment. */
export class ClusterNode implements EngineApi {
  private current: RingView | null = null;
  private ringLock: Promise<unknown> = Promise.resolve();
  private closed = false;
  readonly counters: ClusterCounters = newClusterCounters();
  readonly health: PeerHealth;
  private readonly replayer: HintReplayer;
  private readonly catchUp: CatchUp;
  private readonly writer: WriteCoordinator;
  private readonly reader: ReadRouter;
  private readonly log: ClusterLog;
  /** the ring fetch under way after a peer refused a request as stale (one at a time) */
  private refreshing: Promise<void> | null = null;
  /** timers of drops of vnodes ring changes took away (cleared on close) */
  private readonly lostDrops = new Set<ReturnType<typeof setTimeout>>();
  /** the drop of lost vnodes running now */
  private dropping: Promise<void> | null = null;
  /** the newest epoch a peer's write here was routed by (may be above the applied one) */
  private newestRoutedEpoch = 0;
  /** the fetch of a newer ring that such a write revealed, while it runs */
  private ringCatchUp: Promise<void> | null = null;

  private constructor(
    private readonly o: ClusterNodeOptions,
    readonly hints: HintStore,
  ) {
    this.log = o.log ?? (() => {});
    const view = () => this.current;
    this.health = new PeerHealth(o.transport, {
      intervalMs: o.healthIntervalMs,
      failuresToDown: o.failuresToDown,
      onChange: (peer, up) => {
        this.log(up ? 'info' : 'warn', up ? 'peer up' : 'peer down', { peer });
        if (up) this.replayer.kick(peer);
      },
      // A peer on a newer ring: fetch it now rather than at the next refused request (bounds how
      // long a node the driver no longer pushes rings to, e.g. one just removed, routes stale).
      onEpoch: (peer, epoch) => {
        if (epoch > (this.current?.epoch ?? 0)) void this.refreshRing(peer).catch((err: Error) => this.log('warn', 'fetching a newer ring from a peer failed', { peer, error: err.message }));
      },
    });
    const refreshRing = (peer: string) => this.refreshRing(peer);
    const common = { view, transport: o.transport, health: this.health, counters: this.counters, refreshRing };
    this.replayer = new HintReplayer({ ...common, hints, log: this.log, forgetLeftAfterMs: o.forgetLeftHintsAfterMs });
    this.catchUp = new CatchUp({ ...common, self: o.self, log: this.log, maxWaitMs: o.catchUpMaxWaitMs });
    this.writer = new WriteCoordinator({ ...common, self: o.self, level: o.consistency, local: o.engine, hints, maxHintBytes: o.maxHintBytesPerTarget ?? DEFAULT_MAX_HINT_BYTES, log: this.log });
    this.reader = new ReadRouter({
      ...common,
      self: o.self,
      local: o.engine,
      ready: () => this.catchUp.ready,
      log: (msg, fields) => this.log('warn', msg, fields),
    });
  }

  /**
   * Opens the cluster layer over an open engine: loads hints and the persisted ring (or applies
   * `initialRing`), then starts health checks, hint replay and the catch-up wait.
   * @throws CorruptionError when the persisted ring is unreadable
   */
  static async open(o: ClusterNodeOptions): Promise<ClusterNode> {
    let node: ClusterNode | undefined;
    const hints = await HintStore.open(o.engine.kv, { onAppended: (t) => node?.replayer.kick(t) });
    node = new ClusterNode(o, hints);
    const persisted = await loadRingDoc(o.engine.kv);
    if (persisted) node.install(persisted);
    if (o.initialRing && (!persisted || o.initialRing.placement.epoch > persisted.placement.epoch)) await node.applyRing(o.initialRing);
    else if (persisted && o.initialRing) node.warnIfMembersDiffer(persisted, o.initialRing);
    node.health.start();
    node.replayer.start();
    if (node.current) node.catchUp.start();
    return node;
  }

  /** This node's id. */
  get self(): string {
    return this.o.self;
  }

  /** The applied ring document, or null before the first. */
  get ringDoc(): RingDoc | null {
    return this.current?.doc ?? null;
  }

  /** The applied routing view, or null before the first ring. */
  get view(): RingView | null {
    return this.current;
  }

  /** True once this node serves reads from its own engine (caught up after start). */
  get ready(): boolean {
    return this.catchUp.ready;
  }

  /** The local engine (internal API calls act on it directly). */
  get engine(): LocalEngine {
    return this.o.engine;
  }

  /**
   * Applies a ring document: persists it (fsync), routes by it, and resolves once the writes this
   * node was coordinating by the previous ring have finished (at most RING_SETTLE_MAX_MS).
   * @throws RingEpochConflict when its epoch is not above the applied one; ValidationError when
   *   its vnode count differs from the engine's
   */
  applyRing(doc: RingDoc): Promise<void> {
    const run = this.ringLock.then(async () => {
      const have = this.current?.epoch ?? -1;
      if (doc.placement.epoch <= have) {
        throw new RingEpochConflict(`ring epoch ${doc.placement.epoch} is not above the applied epoch ${have}`);
      }
      if (doc.placement.vnodes !== this.o.vnodes) {
        throw new ValidationError(`ring has ${doc.placement.vnodes} vnodes, this node's data uses ${this.o.vnodes} (storage.vnodes)`, 'invalid_ring');
      }
      await saveRingDoc(this.o.engine.kv, doc);
      this.install(doc);
      this.catchUp.start();
      // Only now is the change applied here: writes routed by the previous ring have finished.
      if (!(await this.writer.settledBefore(this.current, RING_SETTLE_MAX_MS))) {
        this.log('warn', 'ring applied while writes routed by the previous ring were still in flight', { epoch: doc.placement.epoch, waited_ms: RING_SETTLE_MAX_MS });
      }
    });
    this.ringLock = run.catch(() => {});
    return run;
  }

  /**
   * Fetches `peer`'s ring and applies it when it is newer than ours: called after the peer
   * refused a write or read as routed by an older ring (a node removed from the ring is no longer
   * sent new rings but may still take client requests). One fetch at a time; concurrent callers
   * share it.
   */
  refreshRing(peer: string): Promise<void> {
    this.refreshing ??= this.fetchNewerRing(peer).finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async fetchNewerRing(peer: string): Promise<void> {
    const address = this.current?.doc.members.find((m) => m.id === peer)?.address;
    if (!address) return;
    const doc = await this.o.transport.ring({ id: peer, address });
    const have = this.current?.epoch ?? -1;
    if (!doc || doc.placement.epoch <= have) return;
    this.log('info', 'a peer has a newer ring (it refused a request, or said so in a ping); applying it', { peer, epoch: doc.placement.epoch, had: have });
    await this.applyRing(doc).catch((err) => {
      if (!(err instanceof RingEpochConflict)) throw err;
    });
  }

  /** What this node holds for `target` (GET /internal/v1/hints). */
  hintReport(target: string): HintReport {
    return { pending: this.hints.pending(target), targetUp: this.health.isUp(target) };
  }

  write(batch: WriteBatch): Promise<{ written: number }> {
    return this.writer.write(batch);
  }

  /**
   * Called before a peer's write routed by ring `epoch` (a routed write's, or a replayed hint's)
   * is stored here. A ring newer than the applied one may give vnodes (back) to this node: the
   * write waits for a drop of lost vnodes in progress, no such drop starts until that ring is
   * applied, and the ring is fetched now.
   */
  async beforeRoutedWrite(epoch: number | undefined): Promise<void> {
    if (epoch === undefined || epoch <= (this.current?.epoch ?? 0)) return;
    this.newestRoutedEpoch = Math.max(this.newestRoutedEpoch, epoch);
    this.catchUpRing();
    await this.dropping;
  }

  /**
   * Fetches the ring a peer's write showed to be newer than ours, in the background (one fetch
   * at a time): from each healthy member in turn until one has it. Until it is applied this node
   * may still read vnodes locally that it no longer owns; reads wait for the fetch.
   */
  private catchUpRing(): void {
    if (this.ringCatchUp || this.closed) return;
    const behind = () => this.newestRoutedEpoch > (this.current?.epoch ?? 0);
    this.ringCatchUp = (async () => {
      for (const peer of this.current?.peers().filter((p) => this.health.isUp(p.id)) ?? []) {
        if (!behind()) return;
        await this.refreshRing(peer.id).catch((err: Error) => this.log('warn', 'fetching a newer ring from a peer failed', { peer: peer.id, error: err.message }));
      }
    })().finally(() => (this.ringCatchUp = null));
  }

  /** Runs `read` once no fetch of a newer ring (revealed by a peer's write) is running. */
  private afterRingCatchUp<T>(read: () => Promise<T>): Promise<T> {
    const fetching = this.ringCatchUp;
    return fetching ? fetching.then(read) : read();
  }

  /**
   * The part of a hint replay this node stores (POST /internal/v1/write with X-Hint-Epoch): all
   * of it while this node's ring is older than `hintEpoch`, the ring the write was routed by;
   * otherwise only the series of vnodes it owns or is receiving. The others moved away after the
   * write: their new owners got its rows from a copy (a copy waits until no member holds hints
   * for its source), and rows stored here would be orphans that a later handoff back to this node
   * could prefer over newer values. Declined rows are counted and logged.
   */
  acceptHint(batch: WriteBatch, hintEpoch: number): WriteBatch {
    const view = this.current;
    if (!view || view.epoch < hintEpoch) return batch;
    const kept = selectSeries(batch, (symbol) => view.holds(vnodeOf(symbol, view.vnodes)));
    if (kept !== batch) {
      const declined = batch.rowCount - kept.rowCount;
      this.counters.hintRowsDeclined += declined;
      this.log('warn', 'hint rows declined: their vnodes moved away from this node after the write', { rows: declined, kept: kept.rowCount, hint_epoch: hintEpoch, epoch: view.epoch });
    }
    return kept;
  }

  /**
   * Stores a peer's write in the local engine (POST /internal/v1/write): all of it, or, for a
   * hint replay (`hintEpoch`), what acceptHint keeps. A cut-down hint is logged to the WAL as the
   * rows it keeps, so the prepared WAL value of the whole record is not used for it.
   */
  async storePeerWrite(parsed: { batch: WriteBatch; prepared?: PreparedWrite }, hintEpoch: number | undefined): Promise<void> {
    const batch = hintEpoch === undefined ? parsed.batch : this.acceptHint(parsed.batch, hintEpoch);
    if (batch === parsed.batch) await this.o.engine.write(batch, parsed.prepared);
    else if (batch.rowCount > 0) await this.o.engine.write(batch);
  }

  // Reads wait while a newer ring is being fetched: by the old one this node may still read
  // vnodes locally that it has handed over (and lack the writes made since).
  readRange(q: RangeQuery): Promise<SeriesData> {
    return this.afterRingCatchUp(() => this.reader.readRange(q));
  }

  candles(q: CandleQuery): Promise<CandleResult> {
    return this.afterRingCatchUp(() => this.reader.candles(q));
  }

  latest(symbols: string[]): Promise<(SeriesData | null)[]> {
    return this.afterRingCatchUp(() => this.reader.latest(symbols));
  }

  symbols(prefix?: string): Promise<string[]> {
    return this.reader.symbols(prefix);
  }

  /** The local engine's stats (cluster gauges are separate metrics: cluster-metrics.ts). */
  stats(): EngineStats {
    return this.o.engine.stats();
  }

  /** Stops health checks, replay and catch-up, then closes the engine. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.lostDrops) clearTimeout(t);
    await this.ringLock; // a drop of lost vnodes runs under it
    this.health.stop();
    await Promise.all([this.replayer.stop(), this.catchUp.stop()]);
    await this.o.engine.close();
  }

  private install(doc: RingDoc): void {
    const view = new RingView(doc, this.o.self);
    const previous = this.current;
    if (!doc.members.some((m) => m.id === this.o.self)) {
      this.log('warn', 'ring does not list this node; it coordinates but owns nothing', { epoch: view.epoch, node: this.o.self });
    }
    this.current = view;
    this.health.setPeers(view.peers());
    this.log('info', 'ring applied', { epoch: view.epoch, vnodes_owned: view.vnodesOwned(), members: doc.members.length, pending: doc.pending.length });
    if (previous) this.scheduleLostDrops(previous, view);
  }

  /**
   * Drops, after a grace period, the rows of vnodes that `before` had this node hold (own or
   * receive) and `after` does not, if the ring applied by then still does not. The rebalance
   * driver drops old replicas itself; this covers what reaches a node outside that: a drop call
   * that failed, or rows written here as owner by a ring that was already stale (the write was
   * then refused by the new owners and routed again, but this node's part stayed). Left in
   * place, such rows would be orphans that a later handoff of the vnode back to this node would
   * prefer over newer values. The grace lets reads routed by the older ring finish.
   */
  private scheduleLostDrops(before: RingView, after: RingView): void {
    const lost: number[] = [];
    for (let v = 0; v < after.vnodes; v++) if (before.holds(v) && !after.holds(v)) lost.push(v);
    if (lost.length) this.dropLater(lost, after.epoch);
  }

  /** Drops `lost` after the grace period if the ring applied then does not hold them (see above). */
  private dropLater(lost: number[], lostAt: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.lostDrops.delete(timer);
      // Under the ring lock: no ring is applied while the vnodes are checked and dropped.
      const run = this.ringLock.then(async () => {
        const now = this.current;
        if (!now) return;
        // A peer routes by a ring this node has not applied yet: it may give these vnodes back,
        // and writes routed by it may already be here. Decide once it is applied.
        if (this.newestRoutedEpoch > now.epoch) return this.dropLater(lost, lostAt);
        const gone = lost.filter((v) => !now.holds(v));
        if (gone.length === 0) return;
        this.dropping = (async () => {
          for (const v of gone) await this.o.engine.vnodes.drop(v);
        })();
        try {
          await this.dropping;
        } finally {
          this.dropping = null;
        }
        this.log('info', 'dropped vnodes a ring change took away from this node', { vnodes: gone.length, epoch: now.epoch, lost_at_epoch: lostAt });
      });
      this.ringLock = run.catch((err: Error) => this.log('error', 'dropping vnodes a ring change took away failed (they stay until a later drop)', { error: err.message }));
    }, this.o.dropLostVnodesAfterMs ?? DEFAULT_DROP_LOST_AFTER_MS);
    timer.unref?.();
    this.lostDrops.add(timer);
  }

  private warnIfMembersDiffer(persisted: RingDoc, configured: RingDoc): void {
    const a = persisted.placement.nodes.join(',');
    const b = configured.placement.nodes.join(',');
    if (a !== b) {
      this.log('warn', 'cluster.members differs from the persisted ring; keeping the persisted ring (membership changes need a rebalance)', { persisted: a, configured: b });
    }
  }
}
