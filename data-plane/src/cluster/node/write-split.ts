/**
 * Splits a write batch by destination: every series goes to every owner of its vnode and to every
 * pending receiver of it (cluster-api.md "Writes"). Pure; the coordinator then sends one batch
 * per node (not per vnode: a 1000-row batch over 100 symbols is 2–3 requests, not 200).
 */
import type { SeriesRows, WriteBatch } from '../../model.ts';
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
