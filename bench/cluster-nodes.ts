/**
 * Plumbing for the cluster benchmark (bench/cluster-bench.ts): Consul-managed cluster nodes as
 * real processes on their own loopback addresses, the ring and handoff answers of the admin API
 * (data-plane/docs/cluster-api.md), and CPU accounting of the whole machine.
 *
 * Each node is `bun data-plane/src/main.ts --config DIR/config.json`, the config being
 * config/standalone_performance.lua (what the standalone baseline runs) plus the node's identity,
 * addresses and a `cluster` section with Consul membership, as scripts/deploy_cluster.sh writes it.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadConfig } from '../data-plane/src/config/load-config.ts';
import { ConsulClient } from '../data-plane/src/cluster/consul-client.ts';
import { ServerProcess, dirBytes, processCpuSec, removeDir, tempDir, waitUntil } from './peers/proc.ts';
import { REPO_ROOT, SERVER_ENV } from './peers/stock-tsdb.ts';
import type { PullJob } from '../data-plane/src/cluster/handoff/pull-jobs.ts';
import type { RebalanceProgress } from '../data-plane/src/cluster/rebalance/rebalance-driver.ts';

/** The service name nodes register under (data-plane/src/cluster/rebalance/consul-coordinator.ts). */
const SERVICE = 'stock-tsdb';
const MAIN = join(REPO_ROOT, 'data-plane', 'src', 'main.ts');
const BASE_CONFIG = join(REPO_ROOT, 'config', 'standalone_performance.lua');

/** Settings shared by every node of one benchmark cluster. */
export interface ClusterSettings {
  /** cluster name: Consul KV prefix `stock-tsdb/<name>/` */
  name: string;
  token: string;
  consul: ConsulClient;
  /** "127.0.0.1:<port>" of the Consul agent */
  consulAddress: string;
  replicationFactor: number;
  consistency: 'one' | 'quorum' | 'all';
  /** vnode replicas copied per rebalance step (config cluster.rebalance_max_moves) */
  maxMoves: number;
  /** run each node under `bun --cpu-prof` (profile written to DIR/prof on a clean exit) */
  profile: boolean;
  /** performance.worker_threads of every node (0 = the config's default, one per core) */
  workerThreads: number;
}

/** A port that was free on `host` a moment ago. */
export function freePortOn(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One running cluster node. */
export class BenchNode {
  private constructor(
    readonly id: string,
    readonly host: string,
    readonly port: number,
    readonly metricsPort: number,
    readonly dir: string,
    readonly server: ServerProcess,
    private readonly token: string,
  ) {}

  /**
   * Registers node `id` in Consul first (its check critical until it answers), then starts it.
   * Pre-registering several nodes before starting them makes the leader plan one change for all
   * of them instead of one per node as each comes up.
   */
  static async prepare(id: string, host: string, s: ClusterSettings): Promise<{ start: () => Promise<BenchNode> }> {
    const port = await freePortOn(host);
    const metricsPort = await freePortOn(host);
    await s.consul.registerService({
      name: SERVICE,
      id,
      address: host,
      port,
      meta: { cluster: s.name },
      check: { url: `http://${host}:${metricsPort}/health`, interval: '1s', timeout: '2s', deregisterCriticalAfter: '24h' },
    });
    return { start: () => BenchNode.launch({ id, host, port, metricsPort }, s) };
  }

  private static async launch(a: { id: string; host: string; port: number; metricsPort: number }, s: ClusterSettings): Promise<BenchNode> {
    const dir = tempDir(`cluster-${a.id}`);
    const { config } = await loadConfig(BASE_CONFIG);
    const c = JSON.parse(JSON.stringify(config));
    c.storage.data_dir = join(dir, 'data');
    c.storage.replication_factor = s.replicationFactor;
    c.performance.worker_threads = s.workerThreads;
    c.logging.dir = join(dir, 'logs');
    c.network.bind_address = a.host;
    c.network.port = a.port;
    c.monitoring.metrics_port = a.metricsPort;
    c.cluster = {
      ...c.cluster,
      enabled: true,
      node_id: a.id,
      advertise_address: `${a.host}:${a.port}`,
      token: s.token,
      name: s.name,
      consistency: s.consistency,
      rebalance_max_moves: s.maxMoves,
      members: [],
      // Leader loop every max(500 ms, 100 × this): react to joins within 0.5 s, as the tests do.
      service_discovery: { provider: 'consul', servers: [s.consulAddress], health_check_interval: 5 },
    };
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(c, null, 2));
    const bun = join(REPO_ROOT, 'node_modules', '.bin', 'bun');
    const prof = s.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'prof')}`] : [];
    const server = ServerProcess.spawn([existsSync(bun) ? bun : process.execPath, ...prof, MAIN, '--config', configPath], {
      logPath: join(dir, 'server.out'),
      cwd: dir,
      env: SERVER_ENV,
    });
    await waitUntil(`${a.id} /health`, async () => (await fetch(`http://${a.host}:${a.metricsPort}/health`)).ok, { timeoutMs: 60_000, server });
    return new BenchNode(a.id, a.host, a.port, a.metricsPort, dir, server, s.token);
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  get pid(): number {
    return this.server.pid;
  }

  /** CPU seconds this node's process used so far. */
  cpuSec(): number {
    return processCpuSec(this.pid);
  }

  dataBytes(): number {
    return dirBytes(join(this.dir, 'data'));
  }

  /** GET /admin/ring. */
  async ring(): Promise<RingAnswer> {
    return (await this.admin('/admin/ring')) as RingAnswer;
  }

  /** GET /admin/handoff: the copy jobs this node ran as a receiver. */
  async handoffJobs(): Promise<HandoffJob[]> {
    return ((await this.admin('/admin/handoff')) as { jobs: HandoffJob[] }).jobs;
  }

  /** GET /admin/rebalance: the driver's progress (non-null on the node that led a rebalance). */
  async rebalance(): Promise<{ progress: RebalanceProgress | null }> {
    return (await this.admin('/admin/rebalance')) as { progress: RebalanceProgress | null };
  }

  /** A metric's value from /metrics (first sample whose line starts with `name`), NaN if absent. */
  async metric(name: string): Promise<number> {
    const text = await (await fetch(`http://${this.host}:${this.metricsPort}/metrics`)).text();
    const m = new RegExp(`^${name.replace(/[{}"]/g, (x) => `\\${x}`)} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : NaN;
  }

  /** An admin call with the cluster token; throws on a non-2xx answer. */
  async adminCall(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'X-Cluster-Token': this.token, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${this.id} ${method} ${path} → ${res.status}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : null;
  }

  private async admin(path: string): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`, { headers: { 'X-Cluster-Token': this.token } });
    if (!res.ok) throw new Error(`${this.id} GET ${path} → ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return res.json();
  }

  /** Clean stop (SIGTERM; SIGKILL after 30 s). */
  async stop(): Promise<{ graceful: boolean }> {
    return this.server.stop();
  }

  /** Self time per function of the node's CPU profile (after a clean stop with `profile`). */
  profileSummary(top: number): ProfileSummary | null {
    return readCpuProfile(join(this.dir, 'prof'), top);
  }

  logTail(): string {
    return this.server.logTail(1500);
  }

  cleanup(): void {
    removeDir(this.dir);
  }
}

/** `GET /admin/ring` (placement in the compact form: owners are indexes into nodes). */
export interface RingAnswer {
  node_id: string;
  epoch: number;
  ready: boolean;
  placement: { nodes: string[]; owners: number[][] } | null;
  pending: { vnode: number; to: string; from?: string }[];
  members: { id: string; address: string }[];
}

/** One copy job of `GET /admin/handoff`: the data plane's own type. */
export type HandoffJob = PullJob;

/** The rebalance driver's progress, as GET /admin/rebalance answers it. */
export type { RebalanceProgress };

/** Vnode replicas per node in a ring answer. */
export function replicasPerNode(r: RingAnswer): Map<string, number> {
  const out = new Map<string, number>();
  if (!r.placement) return out;
  for (const os of r.placement.owners) for (const i of os) out.set(r.placement.nodes[i], (out.get(r.placement.nodes[i]) ?? 0) + 1);
  return out;
}

/**
 * Settled on `want` (as test/integration/cluster-rebalance.test.ts's waitForRing): nothing
 * pending, every view on the same epoch, and exactly the wanted nodes hold the replicas, evenly
 * (counts differ by at most one).
 */
export function ringSettled(views: readonly RingAnswer[], want: readonly string[]): boolean {
  const ids = [...want].sort().join();
  return views.every((v) => {
    if (!v.placement || v.pending.length !== 0 || v.epoch !== views[0].epoch) return false;
    const per = replicasPerNode(v);
    const counts = want.map((id) => per.get(id) ?? 0);
    return [...per.keys()].sort().join() === ids && Math.max(...counts) - Math.min(...counts) <= 1;
  });
}

/** Replicas in `after` that `before` did not have on that node (what a change copies). */
export function movedReplicas(before: RingAnswer, after: RingAnswer): number {
  const a = before.placement!;
  const b = after.placement!;
  let n = 0;
  for (let v = 0; v < b.owners.length; v++) {
    const had = new Set(a.owners[v].map((i) => a.nodes[i]));
    for (const i of b.owners[v]) if (!had.has(b.nodes[i])) n++;
  }
  return n;
}

/** Seconds of the union of the intervals (ms since the epoch): the time when at least one ran. */
export function unionSec(intervals: readonly (readonly [number, number])[]): number {
  const s = [...intervals].sort((x, y) => x[0] - y[0]);
  let total = 0;
  let [a, b] = [NaN, NaN];
  for (const [x, y] of s) {
    if (!(x <= b)) {
      if (b > a) total += b - a;
      [a, b] = [x, y];
    } else if (y > b) b = y;
  }
  if (b > a) total += b - a;
  return total / 1000;
}

/**
 * Busy CPU seconds of the whole machine so far (every core: user, nice, system, irq, softirq,
 * steal from /proc/stat), to tell our processes' share from other work on a shared machine.
 */
export function machineBusySec(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] || 0)) / 100;
  } catch {
    return NaN;
  }
}

/** One line of a CPU profile summary. */
export interface ProfileLine {
  fn: string;
  selfPct: number;
}

/** Self time of a profile: the hottest functions and the share of each source area. */
export interface ProfileSummary {
  samples: number;
  top: ProfileLine[];
  areas: { area: string; pct: number }[];
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
}

/** Reads the newest .cpuprofile under `dir` and summarizes it; null when there is none. */
export function readCpuProfile(dir: string, top: number): ProfileSummary | null {
  if (!existsSync(dir)) return null;
  const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().at(-1);
  return file ? summarizeCpuProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, top) : null;
}

/**
 * Self time per function (`name file:line`) of a Chrome .cpuprofile, biggest first, and per area:
 * the folder under data-plane/src (cluster, storage, http, …) or package under node_modules of the
 * function, or of a native function's nearest JS caller; the runtime's own entries
 * ((garbage collector), (program), (idle)) stay apart.
 */
export function summarizeCpuProfile(p: CpuProfile, top: number): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const fileOf = (url: string) => url.replace(/^.*\/(data-plane|node_modules)\//, '$1/');
  const where = (f: CpuProfile['nodes'][number]['callFrame']) => `${f.functionName || '(anonymous)'} ${fileOf(f.url)}:${f.lineNumber + 1}`;
  const counts = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  for (const id of p.samples) {
    const node = byId.get(id);
    if (!node) continue;
    total++;
    const f = node.callFrame;
    let key: string;
    let file = f.url ? fileOf(f.url) : '';
    if (f.url) key = where(f);
    else if (f.functionName.startsWith('(')) key = f.functionName;
    else {
      // A native function: charge it to the nearest JS caller, which says what it was doing.
      let up = parent.get(id);
      while (up !== undefined && !byId.get(up)!.callFrame.url) up = parent.get(up);
      const caller = up === undefined ? undefined : byId.get(up)!.callFrame;
      file = caller ? fileOf(caller.url) : '';
      key = `${f.functionName || '(native)'} ← ${caller ? where(caller) : '?'}`;
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const area = /^data-plane\/src\/([^/]+)\//.exec(file)?.[1] ?? /^node_modules\/((@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? (file ? 'other files' : f.functionName.startsWith('(') ? f.functionName : 'native, no JS caller');
    areas.set(area, (areas.get(area) ?? 0) + 1);
  }
  const share = (n: number) => (100 * n) / Math.max(1, total);
  return {
    samples: total,
    top: [...counts].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, n]) => ({ fn, selfPct: share(n) })),
    areas: [...areas].sort((a, b) => b[1] - a[1]).map(([area, n]) => ({ area, pct: share(n) })),
  };
}
