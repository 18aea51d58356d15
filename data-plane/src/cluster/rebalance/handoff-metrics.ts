import type { Registry } from '../../metrics/registry.ts';
import type { RebalanceRuntime } from './cluster-extensions.ts';

/**
 * Handoff and rebalance progress on /metrics (issue 4: "reports progress (vnodes and bytes moved)
 * in /metrics and the admin API"): this node's copy jobs as a receiver, and, on the node driving a
 * rebalance, the driver's progress.
 */
export function registerHandoffMetrics(registry: Registry, r: RebalanceRuntime): void {
  registry.callbackCounter({ name: 'stock_tsdb_handoff_received_bytes_total', help: 'Bytes of vnode data this node received by handoff.', collect: () => r.jobs.totals.bytes });
  registry.callbackCounter({ name: 'stock_tsdb_handoff_vnodes_copied_total', help: 'Vnode copies this node received and verified.', collect: () => r.jobs.totals.vnodesCopied });
  registry.callbackCounter({ name: 'stock_tsdb_handoff_failed_total', help: 'Vnode copies that failed after every attempt.', collect: () => r.jobs.totals.failed });
  registry.callbackGauge({ name: 'stock_tsdb_handoff_jobs_running', help: 'Vnode copies running on this node now.', collect: () => r.jobs.running });
  const progress = () => r.coordinator?.driver.progress;
  registry.callbackGauge({ name: 'stock_tsdb_rebalance_vnodes_moved', help: 'Replica moves done by the rebalance this node drives.', collect: () => progress()?.vnodesMoved ?? 0 });
  registry.callbackGauge({ name: 'stock_tsdb_rebalance_vnodes_total', help: 'Replica moves the rebalance this node drives needs in all.', collect: () => progress()?.vnodesTotal ?? 0 });
  registry.callbackGauge({ name: 'stock_tsdb_rebalance_bytes_moved', help: 'Bytes copied in the current step of the rebalance this node drives.', collect: () => progress()?.bytesMoved ?? 0 });
}
