import type { Hono, MiddlewareHandler } from 'hono';
import type { StockTsdbConfig } from '../../config/types.ts';
import type { DataAppDeps, DataEnv } from '../../http/deps.ts';
import type { Engine } from '../../storage/engine.ts';
import { ConsulClient } from '../consul-client.ts';
import { registerHandoffRoutes } from '../handoff/handoff-routes.ts';
import { PullJobs } from '../handoff/pull-jobs.ts';
import { verifyReplicas } from '../handoff/verify-replicas.ts';
import type { ClusterNode } from '../node/cluster-node.ts';
import { CLUSTER_TOKEN_HEADER, type ClusterToken } from '../node/cluster-token.ts';
import { ConsulCoordinator } from './consul-coordinator.ts';
import { HttpNodeAdmin } from './http-node-admin.ts';

/** Handoff routes and, with provider "consul", the Consul coordinator, around a ClusterNode. */
export interface RebalanceRuntime {
  jobs: PullJobs;
  coordinator: ConsulCoordinator | null;
  extendApp(app: Hono<DataEnv>, deps: DataAppDeps): void;
  /** call once the server listens (Consul checks its /health right away) */
  start(ports: { dataPort: number; metricsPort: number | null }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Wires vnode handoff (pull jobs + routes) and Consul-driven membership into a cluster node.
 * Kubernetes-driven clusters use the same routes; the operator plays the coordinator's part.
 */
export function openRebalance(o: { config: StockTsdbConfig; engine: Engine; node: ClusterNode; token: ClusterToken; log: (level: 'info' | 'warn' | 'error', msg: string, f?: Record<string, unknown>) => void }): RebalanceRuntime {
  const { cluster } = o.config;
  const jobs = new PullJobs(
    o.engine,
    {
      urlOf: (id) => {
        const m = o.node.ringDoc?.members.find((x) => x.id === id);
        if (!m) throw new Error(`no address for node ${id} in the ring`);
        return `http://${m.address}`;
      },
      headers: () => ({ [CLUSTER_TOKEN_HEADER]: cluster.token }),
    },
    { bytesPerSecond: cluster.handoff_bytes_per_sec, maxAttempts: 8 },
  );
  let coordinator: ConsulCoordinator | null = null;
  return {
    jobs,
    get coordinator() {
      return coordinator;
    },
    extendApp(app, deps) {
      const admin = adminOrCluster(deps, o.token);
      registerHandoffRoutes(app, {
        engine: o.engine,
        jobs,
        requireInternal: o.token.require(),
        requireAdmin: admin,
        ownsOrReceives: (v) => o.node.view?.holds(v) ?? false,
      });
      app.post('/admin/leave', admin, async (c) => {
        if (!coordinator) return c.json({ error: { code: 'not_supported', message: 'leave needs Consul membership; with Kubernetes scale the StockTsdbCluster' } }, 400);
        await coordinator.leave();
        return c.json({ leaving: o.node.self });
      });
      app.get('/admin/rebalance', admin, (c) => c.json({ progress: coordinator?.driver.progress ?? null, jobs: jobs.list() }));
      // "Verify data sync state": compare this node's vnodes with their other owners; ?repair=1 fixes missing rows.
      app.post('/admin/verify', admin, async (c) => {
        const doc = o.node.ringDoc;
        if (!doc) return c.json({ error: { code: 'no_ring', message: 'this node has no ring yet' } }, 409);
        const report = await verifyReplicas({
          engine: o.engine,
          self: o.node.self,
          owners: doc.placement.owners,
          urlOf: (id) => `http://${doc.members.find((m) => m.id === id)?.address}`,
          headers: () => ({ [CLUSTER_TOKEN_HEADER]: cluster.token }),
          jobs,
          repair: c.req.query('repair') === '1',
        });
        return c.json(report);
      });
    },
    async start(ports) {
      await jobs.resumeAll();
      if (cluster.service_discovery.provider !== 'consul') return;
      const [host] = cluster.advertise_address.split(':');
      const metricsHost = o.config.network.bind_address === '0.0.0.0' ? host : o.config.network.bind_address;
      coordinator = new ConsulCoordinator({
        consul: new ConsulClient({ servers: cluster.service_discovery.servers }),
        cluster: cluster.name,
        node: o.node,
        self: { id: cluster.node_id, host, port: ports.dataPort, healthUrl: `http://${metricsHost}:${ports.metricsPort}/health` },
        admin: new HttpNodeAdmin(cluster.token),
        driver: {
          vnodes: o.config.storage.vnodes,
          replicationFactor: o.config.storage.replication_factor,
          maxMovesPerStep: cluster.rebalance_max_moves,
          graceMs: 2000,
          pollMs: 200,
        },
        intervalMs: Math.max(500, cluster.service_discovery.health_check_interval * 100),
        log: o.log,
      });
      await coordinator.start();
    },
    async stop() {
      await coordinator?.stop();
    },
  };
}

function adminOrCluster(deps: DataAppDeps, token: ClusterToken): MiddlewareHandler {
  const admin = deps.auth.require('admin');
  return async (c, next) => {
    if (token.grants(c.req.header(CLUSTER_TOKEN_HEADER))) return next();
    return admin(c, next);
  };
}
