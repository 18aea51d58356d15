/**
 * Builds the cluster layer from the config for `main.ts` (when `cluster.enabled`): the
 * ClusterNode over the open engine, its metrics registry, and the routes to add to the data app.
 */
import type { Hono } from 'hono';
import type { StockTsdbConfig } from '../../config/types.ts';
import type { DataAppDeps, DataEnv } from '../../http/deps.ts';
import type { Logger } from '../../logging/logger.ts';
import { Registry } from '../../metrics/registry.ts';
import { registerAdminRingRoutes } from './admin-ring-routes.ts';
import { registerClusterMetrics } from './cluster-metrics.ts';
import { ClusterNode, type LocalEngine } from './cluster-node.ts';
import { ClusterToken } from './cluster-token.ts';
import type { Engine } from '../../storage/engine.ts';
import { openRebalance, type RebalanceRuntime } from '../rebalance/cluster-extensions.ts';
import { registerHandoffMetrics } from '../rebalance/handoff-metrics.ts';
import { registerInternalRoutes } from './internal-routes.ts';
import { WriteParser } from '../../ingest/write-parser.ts';
import { HttpPeerClient } from './peer-client.ts';
import { staticRing } from './static-ring.ts';

/** What main.ts passes on to startServer. */
export interface ClusterRuntime {
  /** the EngineApi the data app serves (close it instead of the engine: it closes both) */
  node: ClusterNode;
  registry: Registry;
  extendApp: (app: Hono<DataEnv>, deps: DataAppDeps) => void;
  /** vnode handoff jobs and, with provider "consul", the Consul coordinator */
  rebalance: RebalanceRuntime;
  /** call once the server listens: resumes handoffs, joins Consul membership */
  start(ports: { dataPort: number; metricsPort: number | null }): Promise<void>;
  /** leaves Consul membership (before the node is closed) */
  stop(): Promise<void>;
}

/**
 * Opens the cluster layer around `engine`. With provider "static" and `cluster.members`, every
 * node starts from the same planned ring; otherwise the ring comes from the persisted copy or
 * `PUT /admin/ring` (Consul- and operator-driven membership push it the same way).
 */
export async function openClusterNode(o: { config: StockTsdbConfig; engine: Engine; logger: Logger }): Promise<ClusterRuntime> {
  const { cluster, storage, network } = o.config;
  const token = new ClusterToken(cluster.token);
  const initialRing =
    cluster.service_discovery.provider === 'static'
      ? staticRing(cluster.members, { vnodes: storage.vnodes, replicationFactor: storage.replication_factor })
      : null;
  const node = await ClusterNode.open({
    self: cluster.node_id,
    engine: o.engine,
    vnodes: storage.vnodes,
    consistency: cluster.consistency,
    transport: new HttpPeerClient(cluster.token),
    initialRing,
    log: (level, msg, fields) => o.logger[level](`cluster: ${msg}`, fields),
  });
  const registry = new Registry();
  registerClusterMetrics(registry, node);
  if (!node.ringDoc) o.logger.info('cluster: no ring yet; waiting for PUT /admin/ring', { node: cluster.node_id });
  const rebalance = openRebalance({ config: o.config, engine: o.engine, node, token, log: (level, msg, f) => o.logger[level](msg, f) });
  registerHandoffMetrics(registry, rebalance);
  return {
    node,
    registry,
    rebalance,
    start: (ports) => rebalance.start(ports),
    stop: () => rebalance.stop(),
    extendApp: (app, deps) => {
      rebalance.extendApp(app, deps);
      // A peer's part of one client write is a binary WAL record: about the size of the JSON
      // it came from, but line protocol can be denser, hence the headroom.
      // Peers' records are decoded and checked in the codec workers; version 2 (a slice of a
      // parsed request) is logged as received, version 1 LZ4'd for this node's WAL.
      const parser = new WriteParser(o.engine.pool, 'wal-value');
      registerInternalRoutes(app, { node, token, maxBodyBytes: network.max_body_size * 4, parser });
      registerAdminRingRoutes(app, deps, { node, token });
    },
  };
}
