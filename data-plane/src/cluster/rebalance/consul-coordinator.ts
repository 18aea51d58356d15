import { ConflictError } from '../../errors.ts';
import type { ConsulClient } from '../consul-client.ts';
import type { ClusterNode } from '../node/cluster-node.ts';
import type { RingMember } from '../node/ring-doc.ts';
import { ConsulRingStore } from './consul-ring-store.ts';
import { abortableSleep as sleep } from '../../util/abortable-sleep.ts';
import { RebalanceDriver, type DriverOptions, type NodeAdmin } from './rebalance-driver.ts';

/** The Consul service name every node registers under (the original quick start queries it). */
export const SERVICE = 'stock-tsdb';

export interface ConsulCoordinatorOptions {
  consul: ConsulClient;
  /** cluster name: the KV prefix `stock-tsdb/<cluster>/` */
  cluster: string;
  node: ClusterNode;
  /** this node: id, data host:port, URL of its /health (metrics port) */
  self: { id: string; host: string; port: number; healthUrl: string };
  admin: NodeAdmin;
  driver: Omit<DriverOptions, 'log'>;
  /** ms between leader checks */
  intervalMs: number;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Consul-driven membership (bare metal, `cluster.service_discovery.provider = "consul"`):
 * - registers this node as service `stock-tsdb` with an HTTP check on its /health, so
 *   `curl 127.0.0.1:8500/v1/health/service/stock-tsdb` lists the healthy nodes;
 * - watches the ring document in Consul KV (`stock-tsdb/<cluster>/ring`) and applies each new one;
 * - on the lowest-id healthy node only, runs the rebalance driver whenever the registered members
 *   (minus those that asked to leave, KV `stock-tsdb/<cluster>/leaving`) differ from the ring's.
 *   A node that fails its checks stays a member (it gets hints); the driver waits until every
 *   wanted member is healthy. The ring store's check-and-set keeps two would-be leaders from
 *   applying conflicting placements.
 */
export class ConsulCoordinator {
  readonly store: ConsulRingStore;
  readonly driver: RebalanceDriver;
  private stopped = false;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private rebalancing = false;

  constructor(private readonly o: ConsulCoordinatorOptions) {
    this.store = new ConsulRingStore(o.consul, `${SERVICE}/${o.cluster}/ring`);
    this.driver = new RebalanceDriver(this.store, o.admin, { ...o.driver, log: (msg, f) => o.log('info', `rebalance: ${msg}`, f) });
  }

  private get leavingKey(): string {
    return `${SERVICE}/${this.o.cluster}/leaving`;
  }

  /** Registers this node and starts the ring watch and the leader loop. */
  async start(): Promise<void> {
    const { self } = this.o;
    await this.o.consul.registerService({
      name: SERVICE,
      id: self.id,
      address: self.host,
      port: self.port,
      meta: { cluster: this.o.cluster },
      check: { url: self.healthUrl, interval: '1s', timeout: '2s', deregisterCriticalAfter: '24h' },
    });
    this.loops = [this.watchRing(), this.leaderLoop()];
  }

  /** Asks the cluster to move every vnode away from this node (then it can be stopped). */
  async leave(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const cur = (await this.o.consul.kvGet(this.leavingKey)).value;
      const ids = new Set<string>(cur?.value ? (JSON.parse(cur.value) as string[]) : []);
      if (ids.has(this.o.self.id)) return;
      ids.add(this.o.self.id);
      if (await this.o.consul.kvCas(this.leavingKey, JSON.stringify([...ids].sort()), cur?.modifyIndex ?? 0)) return;
    }
    throw new ConflictError('could not record the leave request (Consul KV kept changing)');
  }

  /**
   * Stops the loops. The registration stays: a stopped or restarting node is still a member (its
   * check turns critical and it gets hints); only an explicit leave moves data away from it.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  private async watchRing(): Promise<void> {
    let index = 0;
    while (!this.stopped) {
      try {
        const { doc, index: next } = await this.store.watch(index, 10, this.abort.signal);
        if (next < index) index = 0;
        else index = next;
        if (doc && doc.placement.epoch > (this.o.node.ringDoc?.placement.epoch ?? 0)) {
          await this.o.node.applyRing(doc).catch((err) => {
            if (!(err instanceof ConflictError)) throw err;
          });
        }
      } catch (err) {
        if (this.stopped) return;
        this.o.log('warn', 'cluster: ring watch failed; retrying', { err: String(err) });
        await sleep(1000, this.abort.signal);
      }
    }
  }

  private async leaderLoop(): Promise<void> {
    while (!this.stopped) {
      await sleep(this.o.intervalMs, this.abort.signal);
      if (this.stopped || this.rebalancing) continue;
      try {
        await this.maybeRebalance();
      } catch (err) {
        this.o.log('warn', 'cluster: rebalance attempt failed; will retry', { err: String(err) });
      }
    }
  }

  private async maybeRebalance(): Promise<void> {
    const all = (await this.o.consul.serviceHealth(SERVICE)).value.filter((i) => i.meta?.cluster === this.o.cluster);
    const healthy = all.filter((i) => i.status === 'passing').map((i) => i.id).sort();
    if (healthy[0] !== this.o.self.id) return; // not the leader
    const leavingRaw = (await this.o.consul.kvGet(this.leavingKey)).value?.value;
    const leaving = new Set<string>(leavingRaw ? (JSON.parse(leavingRaw) as string[]) : []);
    const wanted: RingMember[] = all.filter((i) => !leaving.has(i.id)).map((i) => ({ id: i.id, address: `${i.address}:${i.port}` }));
    if (wanted.length === 0) return;
    if (wanted.some((m) => !healthy.includes(m.id))) return; // wait for every wanted member to be up
    const stored = await this.store.read();
    const ids = wanted.map((m) => m.id).sort();
    if (stored && stored.doc.pending.length === 0 && sameIds(stored.doc.placement.nodes, ids) && sameIds(stored.doc.members.map((m) => m.id), ids)) return;
    this.rebalancing = true;
    try {
      this.o.log('info', 'cluster: rebalancing', { members: ids });
      await this.driver.run(wanted, this.abort.signal);
    } finally {
      this.rebalancing = false;
    }
  }
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  return x.length === b.length && x.every((v, i) => v === b[i]);
}
