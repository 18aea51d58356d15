/**
 * Splits a write batch by destination: every series goes to every owner of its vnode and to every
 * pending receiver of it (cluster-api.md "Writes"). Pure; the coordinator then sends one batch
 * per node (not per vnode: a 1000-row batch over 100 symbols is 2–3 requests, not 200).
 */
import type { SeriesRows, WriteBatch } from '../../model.ts';
import { PackedWriteBatch } from '../../ingest/packed-batch.ts';
import { vnodeOf } from '../../storage/vnode-of.ts';

/** Who a vnode's rows go to. */
export interface VnodeTargets {
  /** owners, primary first: the replicas acknowledgement counts */
  owners: readonly string[];
  /** pending receivers that are not owners: they get the rows, their answer does not count */
  pending: readonly string[];
}

/** Where the parts of one batch go. */
export interface WritePlan {
  /** node id → the series it must store (shared, not copied, arrays of the input batch) */
  byNode: Map<string, WriteBatch>;
  /** vnode → its targets, for every vnode the batch touches */
  vnodes: Map<number, VnodeTargets>;
}

/**
 * Plans the sends of `batch` over a ring of `vnodes` vnodes, with `targetsOf(vnode)` from the
 * ring. Series keep their order within each node's batch.
 */
export function splitWrite(batch: WriteBatch, ring: { vnodes: number; targetsOf: (vnode: number) => VnodeTargets }): WritePlan {
  if (batch instanceof PackedWriteBatch) return splitPacked(batch, ring);
  const { vnodes, targetsOf } = ring;
  const byNode = new Map<string, WriteBatch>();
  const seen = new Map<number, VnodeTargets>();
  for (const s of batch.series) {
    const v = vnodeOf(s.symbol, vnodes);
    let t = seen.get(v);
    if (!t) {
      t = targetsOf(v);
      seen.set(v, t);
    }
    for (const n of t.owners) add(byNode, n, s);
    for (const n of t.pending) add(byNode, n, s);
  }
  return { byNode, vnodes: seen };
}

function add(byNode: Map<string, WriteBatch>, node: string, s: SeriesRows): void {
  let b = byNode.get(node);
  if (!b) {
    b = { series: [], rowCount: 0 };
    byNode.set(node, b);
  }
  b.series.push(s);
  b.rowCount += s.ts.length;
}

/**
 * splitWrite for a batch the ingest workers parsed: each node's part is a series subset of the
 * same packed batch (no views, nothing copied), which the coordinator encodes and the local
 * engine applies straight from the packed rows.
 */
function splitPacked(batch: PackedWriteBatch, ring: { vnodes: number; targetsOf: (vnode: number) => VnodeTargets }): WritePlan {
  const { packed } = batch;
  const seen = new Map<number, VnodeTargets>();
  const picks = new Map<string, number[]>();
  for (const s of batch.seriesIndexes()) {
    if (packed.starts[s] === packed.starts[s + 1]) continue;
    const v = vnodeOf(packed.symbols[s], ring.vnodes);
    let t = seen.get(v);
    if (!t) {
      t = ring.targetsOf(v);
      seen.set(v, t);
    }
    for (const n of t.owners) pick(picks, n, s);
    for (const n of t.pending) pick(picks, n, s);
  }
  const byNode = new Map<string, WriteBatch>();
  for (const [node, idx] of picks) byNode.set(node, new PackedWriteBatch(packed, Int32Array.from(idx)));
  return { byNode, vnodes: seen };
}

function pick(picks: Map<string, number[]>, node: string, s: number): void {
  const list = picks.get(node);
  if (list) list.push(s);
  else picks.set(node, [s]);
}

/**
 * The series of `batch` whose symbol `keep` accepts, as a batch of their own; `batch` itself
 * when it keeps every series (so a caller can tell that nothing was left out).
 */
export function selectSeries(batch: WriteBatch, keep: (symbol: string) => boolean): WriteBatch {
  if (batch instanceof PackedWriteBatch) {
    const all = batch.seriesIndexes();
    const kept = all.filter((s) => keep(batch.packed.symbols[s]));
    return kept.length === all.length ? batch : new PackedWriteBatch(batch.packed, kept);
  }
  const kept = batch.series.filter((s) => keep(s.symbol));
  return kept.length === batch.series.length ? batch : { series: kept, rowCount: kept.reduce((n, s) => n + s.ts.length, 0) };
}
