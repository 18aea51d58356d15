/**
 * Starts a real Kubernetes control plane on 127.0.0.1 for e2e tests (DESIGN.md §9): etcd,
 * kube-apiserver and kube-controller-manager on free ports with temp dirs, certificates made
 * with openssl, and static bearer tokens (`--token-auth-file`) for the test (system:masters)
 * and for the operator (the operator's ServiceAccount name, so manifests/rbac.yaml is what
 * authorizes it). No kubelet and no scheduler: the test-side pod runner (pod-runner.ts) binds
 * and runs our pods.
 *
 * Binaries: scripts/build-k8s.sh (built once into the tools cache) and etcd from Debian's
 * etcd-server (scripts/test-setup.sh). No skip and no fallback: if anything is missing this
 * throws, so the e2e suite fails loudly.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Repository root. */
export const REPO_ROOT = resolve(import.meta.dirname, '../..');
/** Namespace and ServiceAccount of manifests/operator.yaml (the operator's token names it). */
export const OPERATOR_NAMESPACE = 'stock-tsdb-system';
export const OPERATOR_SA = 'stock-tsdb-operator';

/** Paths of the built Kubernetes binaries. */
export interface K8sBinaries {
  apiserver: string;
  controllerManager: string;
  kubectl: string;
  etcd: string;
}

/** A running control plane; `stop()` in afterAll. */
export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  server: string;
  dir: string;
  caFile: string;
  /** Token of a system:masters user (test side, kubectl). */
  adminToken: string;
  /** Token whose user is the operator's ServiceAccount (RBAC from manifests/). */
  operatorToken: string;
  /** kubeconfig files for the two identities. */
  adminKubeconfig: string;
  operatorKubeconfig: string;
  bins: K8sBinaries;
  /** Runs kubectl as admin; returns stdout; throws with stderr on a non-zero exit. */
  kubectl(args: string[], opts?: { input?: string; allowFail?: boolean }): { code: number; stdout: string; stderr: string };
  /** Output of the control-plane processes (bounded), for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

/** Builds (once) or finds the binaries. */
export function k8sBinaries(): K8sBinaries {
  const out = execFileSync('bash', [join(REPO_ROOT, 'scripts/build-k8s.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 60 * 60_000 });
  const [apiserver, controllerManager, kubectl] = out.trim().split('\n');
  const etcd = ['/usr/bin/etcd', '/usr/local/bin/etcd'].find(existsSync);
  if (!apiserver || !controllerManager || !kubectl) throw new Error(`scripts/build-k8s.sh printed no paths:\n${out}`);
  if (!etcd) throw new Error('etcd not found: run scripts/test-setup.sh (installs Debian etcd-server)');
  return { apiserver, controllerManager, kubectl, etcd };
}

/** Starts etcd, kube-apiserver and kube-controller-manager and waits until the API is ready. */
export async function startControlPlane(): Promise<ControlPlane> {
  const bins = k8sBinaries();
  // etcd fsyncs every write: on tmpfs that costs nothing, and the control plane is throw-away.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'stsdb-k8s-'));
  const procs: { name: string; proc: ChildProcess; log: () => string }[] = [];
  const stop = async () => {
    for (const p of [...procs].reverse()) await stopProc(p.proc);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    makeCerts(dir);
    const adminToken = randomBytes(16).toString('hex');
    const operatorToken = randomBytes(16).toString('hex');
    const sa = `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_SA}`;
    writeFileSync(
      join(dir, 'tokens.csv'),
      `${adminToken},admin,admin-uid,"system:masters"\n${operatorToken},${sa},operator-uid,"system:serviceaccounts,system:serviceaccounts:${OPERATOR_NAMESPACE}"\n`,
    );
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    procs.push(
      run('etcd', bins.etcd, [
        '--name', 'e2e', '--data-dir', join(dir, 'etcd'),
        '--listen-client-urls', `http://127.0.0.1:${etcdClient}`, '--advertise-client-urls', `http://127.0.0.1:${etcdClient}`,
        '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`,
        '--initial-cluster', `e2e=http://127.0.0.1:${etcdPeer}`, '--log-level', 'error',
      ]),
    );
    const server = `https://127.0.0.1:${apiPort}`;
    procs.push(
      run('kube-apiserver', bins.apiserver, [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${apiPort}`,
        `--tls-cert-file=${join(dir, 'apiserver.crt')}`, `--tls-private-key-file=${join(dir, 'apiserver.key')}`,
        `--client-ca-file=${join(dir, 'ca.crt')}`,
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        // The kubernetes Service endpoint may not be a loopback address; nothing here needs it.
        '--endpoint-reconciler-type=none',
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${join(dir, 'sa.pub')}`, `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--service-cluster-ip-range=10.96.0.0/16',
        // One test user at a time: the fairness queues cost CPU and memory for nothing here.
        '--enable-priority-and-fairness=false',
        '--profiling=false', '--v=0',
      ]),
    );
    const adminKubeconfig = writeKubeconfig(dir, 'admin', server, adminToken);
    const operatorKubeconfig = writeKubeconfig(dir, 'operator', server, operatorToken);
    await waitForApi(server, adminToken, join(dir, 'ca.crt'), procs, 90_000);
    procs.push(
      run('kube-controller-manager', bins.controllerManager, [
        `--kubeconfig=${adminKubeconfig}`, '--leader-elect=false',
        '--bind-address=127.0.0.1', '--secure-port=0',
        `--service-account-private-key-file=${join(dir, 'sa.key')}`, `--root-ca-file=${join(dir, 'ca.crt')}`,
        '--use-service-account-credentials=false',
        // The controllers our objects need: StatefulSet, GC (owner references), namespaces,
        // service accounts (pods wait for "default"), PVC protection, disruption (PDB status).
        // (Not pod-garbage-collector: it deletes pods bound to nodes that do not exist, and the
        // pod runner's node is not a Node object.)
        '--controllers=statefulset-controller,garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,persistentvolumeclaim-protection-controller,disruption-controller,endpointslice-controller,root-ca-certificate-publisher-controller',
        '--profiling=false', '--v=0',
      ]),
    );
    // Fail fast on a bad flag: the controller manager exits within a second or two.
    await new Promise((r) => setTimeout(r, 1500));
    for (const p of procs) if (p.proc.exitCode !== null) throw new Error(`${p.name} exited with ${p.proc.exitCode}`);
    const kubectl: ControlPlane['kubectl'] = (args, opts = {}) => {
      const r = spawnSyncKubectl(bins.kubectl, adminKubeconfig, args, opts.input);
      if (r.code !== 0 && !opts.allowFail) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
      return r;
    };
    return {
      server, dir, caFile: join(dir, 'ca.crt'), adminToken, operatorToken, adminKubeconfig, operatorKubeconfig, bins, kubectl,
      logs: () => procs.map((p) => `--- ${p.name} ---\n${p.log()}`).join('\n'),
      stop,
    };
  } catch (err) {
    const logs = procs.map((p) => `--- ${p.name} ---\n${p.log()}`).join('\n');
    await stop();
    throw new Error(`control plane did not start: ${(err as Error).message}\n${logs}`);
  }

  function run(name: string, bin: string, args: string[]) {
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const keep = (b: Buffer) => void (log = (log + b.toString()).slice(-30_000));
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    return { name, proc, log: () => log };
  }
}

function spawnSyncKubectl(bin: string, kubeconfig: string, args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(bin, [`--kubeconfig=${kubeconfig}`, ...args], { encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

/** CA, API-server serving cert (127.0.0.1, localhost) and the ServiceAccount signing key pair. */
function makeCerts(dir: string): void {
  const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=stsdb-e2e-ca']);
  ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=kube-apiserver']);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n');
  ssl(['x509', '-req', '-in', 'apiserver.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'apiserver.crt', '-days', '2', '-extfile', 'san.ext']);
  ssl(['genrsa', '-out', 'sa.key', '2048']);
  ssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

function writeKubeconfig(dir: string, user: string, server: string, token: string): string {
  const path = join(dir, `${user}.kubeconfig`);
  writeFileSync(
    path,
    [
      'apiVersion: v1', 'kind: Config',
      'clusters:', `- name: e2e`, '  cluster:', `    server: ${server}`, `    certificate-authority: ${join(dir, 'ca.crt')}`,
      'users:', `- name: ${user}`, '  user:', `    token: ${token}`,
      'contexts:', `- name: ${user}`, '  context:', '    cluster: e2e', `    user: ${user}`, '    namespace: default',
      `current-context: ${user}`, '',
    ].join('\n'),
  );
  return path;
}

async function waitForApi(server: string, token: string, caFile: string, procs: { name: string; proc: ChildProcess }[], timeoutMs: number): Promise<void> {
  const { request } = await import('node:https');
  const { readFileSync } = await import('node:fs');
  const ca = readFileSync(caFile);
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    for (const p of procs) if (p.proc.exitCode !== null) throw new Error(`${p.name} exited with ${p.proc.exitCode}`);
    last = await new Promise<string>((res) => {
      const req = request(`${server}/readyz`, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2000 }, (r) => {
        let body = '';
        r.on('data', (c) => (body += c));
        r.on('end', () => res(`${r.statusCode} ${body}`));
      });
      req.on('error', (e) => res(e.message));
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
    if (last.startsWith('200')) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`API server not ready within ${timeoutMs} ms (last: ${last.slice(0, 500)})`);
}

async function stopProc(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}
