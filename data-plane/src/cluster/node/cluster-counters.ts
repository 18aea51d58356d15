/**
 * Counters of the cluster layer (exported as `stock_tsdb_cluster_*_total` by cluster-metrics.ts).
 * A plain mutable object: single JS thread, every component increments its own fields.
 */
export interface ClusterCounters {
  /** write parts stored as hints for an unreachable node */
  hintsStored: number;
  /** hints delivered to their target and deleted */
  hintsReplayed: number;
  /** hints deleted without delivery (corrupt, refused by the target with 4xx, or for a target
   *  that left the ring); each is logged */
  hintsDropped: number;
  /** client writes that failed their consistency level */
  writesUnacknowledged: number;
  /** reads that an owner failed and the next owner answered */
  readFallbacks: number;
  /** reads no owner could answer */
  readsFailed: number;
  /** writes and reads routed again after a peer refused them as routed by an older ring */
  staleRingReroutes: number;
  /** rows of hint replays this node did not store: their vnodes had moved away from it */
  hintRowsDeclined: number;
  /** write parts made for peers (sent or hinted) as version-1 WAL records */
  peerPartsV1: number;
  /** write parts made for peers as slices of a version-2 record (write-coordinator.ts) */
  peerPartsV2: number;
}

/** All zero. */
export function newClusterCounters(): ClusterCounters {
  return { hintsStored: 0, hintsReplayed: 0, hintsDropped: 0, writesUnacknowledged: 0, readFallbacks: 0, readsFailed: 0, staleRingReroutes: 0, hintRowsDeclined: 0, peerPartsV1: 0, peerPartsV2: 0 };
}
