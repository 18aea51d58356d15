/**
 * The cluster gauges and counters on /metrics (DESIGN.md §5: ring epoch, vnodes owned, hints
 * pending), read from the node at scrape time so the registry holds no cluster state.
 */
import type { Registry } from '../../metrics/registry.ts';
import type { ClusterCounters } from './cluster-counters.ts';
import type { ClusterNode } from './cluster-node.ts';

/** Registers `stock_tsdb_cluster_*` families for `node`. */
export function registerClusterMetrics(registry: Registry, node: ClusterNode): void {
  const view = () => node.view;
  registry.callbackGauge({ name: 'stock_tsdb_cluster_ring_epoch', help: 'Epoch of the ring this node routes by (0 = none yet).', collect: () => view()?.epoch ?? 0 });
  registry.callbackGauge({ name: 'stock_tsdb_cluster_vnodes_owned', help: 'Vnodes this node holds a replica of in the applied ring.', collect: () => view()?.vnodesOwned() ?? 0 });
  registry.callbackGauge({ name: 'stock_tsdb_cluster_peers', help: 'Other members of the applied ring.', collect: () => node.health.snapshot().length });
  registry.callbackGauge({ name: 'stock_tsdb_cluster_peers_healthy', help: 'Other members currently answering health checks.', collect: () => node.health.upCount() });
  registry.callbackGauge({ name: 'stock_tsdb_cluster_ready', help: '1 once this node has caught up after start and serves reads from its own engine.', collect: () => (node.ready ? 1 : 0) });
  registry.callbackGauge({
    name: 'stock_tsdb_cluster_hints_pending',
    help: 'Writes held on this node for a replica that could not be reached, by target node.',
    labelNames: ['target'],
    collect: () => {
      const targets = new Set([...(view()?.peers().map((p) => p.id) ?? []), ...node.hints.targets()]);
      return [...targets].sort().map((target) => ({ labels: { target }, value: node.hints.pending(target) }));
    },
  });
  const counters: [string, string, keyof ClusterCounters][] = [
    ['stock_tsdb_cluster_hints_stored_total', 'Write parts stored as hints for an unreachable replica.', 'hintsStored'],
    ['stock_tsdb_cluster_hints_replayed_total', 'Hints delivered to their replica.', 'hintsReplayed'],
    ['stock_tsdb_cluster_hints_dropped_total', 'Hints deleted undelivered (corrupt, refused by the replica, or for a node that left the ring; each is logged).', 'hintsDropped'],
    ['stock_tsdb_cluster_writes_unacknowledged_total', 'Client writes that missed their consistency level (503).', 'writesUnacknowledged'],
    ['stock_tsdb_cluster_read_fallbacks_total', 'Reads answered by a later owner after an earlier one failed.', 'readFallbacks'],
    ['stock_tsdb_cluster_reads_failed_total', 'Reads no owner could answer.', 'readsFailed'],
    ['stock_tsdb_cluster_stale_ring_reroutes_total', 'Writes and reads routed again after a peer refused them as routed by an older ring.', 'staleRingReroutes'],
    ['stock_tsdb_cluster_hint_rows_declined_total', 'Rows of hint replays not stored here because their vnodes had moved away from this node (their owners have them).', 'hintRowsDeclined'],
  ];
  for (const [name, help, key] of counters) registry.callbackCounter({ name, help, collect: () => node.counters[key] });
  registry.callbackCounter({
    name: 'stock_tsdb_cluster_peer_write_parts_total',
    help: 'Write parts made for peers (sent or hinted), by WAL record version: 2 = a slice of the request the workers parsed, 1 = other bodies, or a peer that does not take version 2.',
    labelNames: ['record_version'],
    collect: () => [
      { labels: { record_version: '1' }, value: node.counters.peerPartsV1 },
      { labels: { record_version: '2' }, value: node.counters.peerPartsV2 },
    ],
  });
}
