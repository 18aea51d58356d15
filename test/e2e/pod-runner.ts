/**
 * The test-side "kubelet" (DESIGN.md §9): watches the Pods of one namespace, binds each new pod
 * to a fake node, starts a REAL data-plane process for it (Bun, data-plane/src/main.ts) on its
 * own loopback address 127.0.0.N, and reports it Running/Ready through the pods/status
 * subresource, as KWOK does but with real processes. It also plays the container runtime and the
 * cluster network:
 * - the pod's config comes from the ConfigMap key its args name (`$(POD_NAME)` expanded), with
 *   `cluster.advertise_address` rewritten to the pod's 127.0.0.N (no cluster DNS here);
 * - ports are the container's (6379 data, 9090 metrics) on the pod's own address, so the
 *   operator reaches pods at podIP:6379 exactly as in a real cluster;
 * - each PVC (`data-<pod>`) is a directory that outlives pod restarts;
 * - readiness is the pod's /health answer (2 s timeout, like a kubelet probe's default 1 s plus
 *   headroom for 2 shared cores), re-checked every second; a process that exits is
 *   restarted (restartPolicy Always) and the pod reported not Ready meanwhile;
 * - a pod being deleted gets SIGTERM, then the runner confirms the deletion (grace period 0).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './control-plane.ts';
import type { KubeHttp } from './kube-http.ts';

const BUN = join(REPO_ROOT, 'node_modules/.bin/bun');
const MAIN = join(REPO_ROOT, 'data-plane/src/main.ts');
const NODE_NAME = 'e2e-node';

interface Running {
  uid: string;
  ip: string;
  proc: ChildProcess | null;
  ready: boolean;
  output: string;
  stopping: boolean;
  restarts: number;
}

/** Runs the pods of `namespace`. */
export class PodRunner {
  private readonly dir = mkdtempSync(join(tmpdir(), 'stsdb-kubelet-'));
  private readonly pods = new Map<string, Running>();
  private readonly busy = new Map<string, Promise<void>>();
  private watch: { done: Promise<void>; abort(): void } | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private health: ReturnType<typeof setInterval> | null = null;
  private nextIp = 100 + (process.pid % 50);

  constructor(
    private readonly kube: KubeHttp,
    private readonly namespace: string,
  ) {}

  /** Starts watching; resolves after the first list. */
  async start(): Promise<void> {
    let first!: () => void;
    const listed = new Promise<void>((r) => (first = r));
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          const list = await this.kube.get(`/api/v1/namespaces/${this.namespace}/pods`);
          for (const p of list.items) this.enqueue(p);
          first();
          this.watch = this.kube.watch(`/api/v1/namespaces/${this.namespace}/pods`, list.metadata.resourceVersion, (type, p) => {
            if (type !== 'BOOKMARK' && type !== 'ERROR') this.enqueue(p, type === 'DELETED');
          });
          await this.watch.done;
        } catch {
          await sleep(500);
        }
      }
    })();
    this.health = setInterval(() => void this.checkHealth(), 1000);
    await listed;
  }

  /** Address and process output of a running pod (for test assertions and failure messages). */
  pod(name: string): { ip: string; url: string; output: string; restarts: number } | undefined {
    const r = this.pods.get(name);
    return r ? { ip: r.ip, url: `http://${r.ip}:6379`, output: r.output, restarts: r.restarts } : undefined;
  }

  /** SIGKILLs the process of `name` (a crash): the runner restarts it, as a kubelet would. */
  async crash(name: string): Promise<void> {
    const r = this.pods.get(name);
    if (r?.proc && r.proc.exitCode === null) {
      const exited = new Promise<void>((res) => r.proc!.once('exit', () => res()));
      r.proc.kill('SIGKILL');
      await exited;
    }
  }

  /** SIGSTOPs (`frozen` true) or SIGCONTs the process of `name`: a hung node fails its probe. */
  freeze(name: string, frozen: boolean): void {
    this.pods.get(name)?.proc?.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  /** Names of pods whose process answers /health (what a Service would route to). */
  ready(): string[] {
    return [...this.pods.entries()].filter(([, r]) => r.ready && !r.stopping && r.proc?.exitCode === null).map(([n]) => n).sort();
  }

  /** Names of pods with a live process. */
  running(): string[] {
    return [...this.pods.entries()].filter(([, r]) => r.proc && r.proc.exitCode === null).map(([n]) => n).sort();
  }

  /**
   * Copies every pod's log directory (pods that left included: their PVC directories stay until
   * stop) to a fresh directory under the system temp dir, for a failure message; returns it.
   */
  saveLogs(): string {
    const out = mkdtempSync(join(tmpdir(), 'stsdb-e2e-logs-'));
    const pvcs = join(this.dir, 'pvc');
    for (const pvc of existsSync(pvcs) ? readdirSync(pvcs) : []) {
      const logs = join(pvcs, pvc, 'logs');
      if (existsSync(logs)) cpSync(logs, join(out, pvc.replace(/^data-/, '')), { recursive: true });
    }
    return out;
  }

  /** Kills every process and removes the runner's directory. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.health) clearInterval(this.health);
    this.watch?.abort();
    await this.loop;
    for (const r of this.pods.values()) r.proc?.kill('SIGCONT'); // a stopped process ignores nothing but SIGKILL; be safe
    await Promise.all([...this.pods.values()].map((r) => killProc(r, 'SIGKILL')));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private enqueue(pod: any, deleted = false): void {
    const name = pod.metadata.name as string;
    const prev = this.busy.get(name) ?? Promise.resolve();
    const next = prev.then(() => this.sync(pod, deleted)).catch((err) => {
      const r = this.pods.get(name);
      if (r) r.output += `\n[runner] ${String(err)}\n`;
    });
    this.busy.set(name, next);
  }

  private async sync(pod: any, deleted: boolean): Promise<void> {
    if (this.stopped) return;
    const name = pod.metadata.name as string;
    const base = `/api/v1/namespaces/${this.namespace}/pods/${name}`;
    const cur = this.pods.get(name);
    if (deleted || pod.metadata.deletionTimestamp) {
      if (cur && cur.uid === pod.metadata.uid) {
        cur.stopping = true;
        await killProc(cur, 'SIGTERM');
        this.pods.delete(name);
      }
      if (!deleted) await this.kube.call('DELETE', `${base}?gracePeriodSeconds=0`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      return;
    }
    if (!pod.spec.nodeName) {
      const r = await this.kube.call('POST', `${base}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: NODE_NAME } });
      if (r.status >= 300 && r.status !== 409) throw new Error(`bind ${name}: ${r.status} ${JSON.stringify(r.body)}`);
      return; // the binding's MODIFIED event brings us back
    }
    if (cur && cur.uid === pod.metadata.uid) return; // already running this incarnation
    if (cur) await killProc(cur, 'SIGKILL'); // a new pod with an old name: the old one is gone
    const run: Running = { uid: pod.metadata.uid, ip: `127.0.0.${this.allocIp()}`, proc: null, ready: false, output: '', stopping: false, restarts: 0 };
    this.pods.set(name, run);
    await this.startProcess(name, pod, run);
  }

  private async startProcess(name: string, pod: any, run: Running): Promise<void> {
    const container = pod.spec.containers[0];
    const args = (container.args as string[]).map((a) => a.replaceAll('$(POD_NAME)', name));
    const configPath = args[args.indexOf('--config') + 1]!;
    const cmVolume = (pod.spec.volumes as any[]).find((v) => v.configMap);
    const cm = await this.kube.get(`/api/v1/namespaces/${this.namespace}/configmaps/${cmVolume.configMap.name}`);
    const key = configPath.split('/').at(-1)!;
    const config = JSON.parse(cm.data[key]);
    config.cluster = { ...config.cluster, advertise_address: `${run.ip}:6379` };
    const podDir = join(this.dir, name);
    const pvcDir = join(this.dir, 'pvc', `data-${name}`);
    mkdirSync(podDir, { recursive: true });
    mkdirSync(pvcDir, { recursive: true });
    const cfgFile = join(podDir, key);
    writeFileSync(cfgFile, JSON.stringify(config, null, 2));
    const cli = [MAIN, '--config', cfgFile, '--data-dir', join(pvcDir, 'data'), '--log-dir', join(pvcDir, 'logs'), '--bind', run.ip, '--port', '6379', '--metrics-port', '9090'];
    const proc = spawn(BUN, cli, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    run.proc = proc;
    const keep = (b: Buffer) => void (run.output = (run.output + b.toString()).slice(-20_000));
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    proc.once('exit', () => {
      if (run.stopping || this.stopped) return;
      run.ready = false;
      run.restarts++;
      void this.reportStatus(name, run, false);
      setTimeout(() => {
        if (!run.stopping && !this.stopped && this.pods.get(name) === run) this.enqueueRestart(name, pod, run);
      }, 1000);
    });
    await this.reportStatus(name, run, false);
  }

  private enqueueRestart(name: string, pod: any, run: Running): void {
    const prev = this.busy.get(name) ?? Promise.resolve();
    this.busy.set(name, prev.then(() => this.startProcess(name, pod, run)).catch(() => {}));
  }

  private async checkHealth(): Promise<void> {
    for (const [name, run] of this.pods) {
      if (!run.proc || run.proc.exitCode !== null || run.stopping) continue;
      const { ok, detail } = await probe(`http://${run.ip}:9090/health`);
      if (!ok && run.ready) run.output += `\n[runner] readiness probe failed: ${detail}\n`;
      if (ok !== run.ready) {
        // `ready` follows only a report that landed: a failed one is retried by the next check
        // (setting it first once left a hung pod reported Ready for good after one failed PATCH).
        try {
          await this.reportStatus(name, run, ok);
          run.ready = ok;
        } catch (err) {
          run.output += `\n[runner] reporting Ready=${ok} failed (retried next check): ${String(err)}\n`;
        }
      }
    }
  }

  private async reportStatus(name: string, run: Running, ready: boolean): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const cond = (type: string, ok: boolean) => ({ type, status: ok ? 'True' : 'False', lastTransitionTime: now });
    const status = {
      phase: 'Running',
      hostIP: '127.0.0.1',
      podIP: run.ip,
      podIPs: [{ ip: run.ip }],
      startTime: now,
      conditions: [cond('PodScheduled', true), cond('Initialized', true), cond('ContainersReady', ready), cond('Ready', ready)],
      containerStatuses: [{ name: 'stock-tsdb', ready, started: true, restartCount: run.restarts, image: 'stock-tsdb', imageID: '', state: { running: { startedAt: now } } }],
    };
    const r = await this.kube.call('PATCH', `/api/v1/namespaces/${this.namespace}/pods/${name}/status`, { status }, 'application/merge-patch+json');
    if (r.status >= 300 && r.status !== 404) throw new Error(`status of ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  }

  private allocIp(): number {
    const n = this.nextIp;
    this.nextIp = this.nextIp >= 250 ? 100 : this.nextIp + 1;
    return n;
  }
}

/**
 * An HTTP readiness probe like the kubelet's: a fresh connection each time, closed after the
 * answer. (A keep-alive pool would hold idle connections that a SIGTERM'd server waits for.)
 */
function probe(url: string): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const req = httpGet(url, { agent: false, timeout: 2000, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ ok: res.statusCode === 200, detail: `${res.statusCode} ${body.slice(0, 300)}` }));
    });
    req.on('error', (e) => resolve({ ok: false, detail: e.message }));
    req.on('timeout', () => req.destroy(new Error('timeout after 2 s')));
  });
}

async function killProc(r: Running, signal: NodeJS.Signals): Promise<void> {
  const p = r.proc;
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((res) => p.once('exit', () => res()));
  p.kill(signal);
  const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
