/**
 * Starts a real Consul dev agent for tests (DESIGN.md §9): `consul agent -dev` bound to
 * 127.0.0.1 on free ports, in memory, DNS and gRPC off. The binary comes from
 * scripts/build-consul.sh, which builds it once into a cache outside the repo.
 *
 * No fallback and no skip: if the binary cannot be built or the agent does not elect itself
 * leader in time, this throws, so tests that need Consul fail loudly.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../..');

/** A running dev agent; `stop()` must be called (afterAll). */
export interface ConsulAgent {
  /** "127.0.0.1:<http port>" for `ConsulClient({ servers: [...] })`. */
  readonly address: string;
  readonly httpUrl: string;
  readonly proc: ChildProcess;
  /** Everything the agent printed (bounded), for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

/**
 * Path of the pinned Consul binary, building it first if needed (minutes, once per machine).
 * Throws with the script's stderr when the build fails.
 */
export function consulBinary(): string {
  const out = execFileSync('bash', [join(REPO_ROOT, 'scripts/build-consul.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30 * 60_000,
  });
  const path = out.trim().split('\n').at(-1);
  if (!path) throw new Error('scripts/build-consul.sh printed no path');
  return path;
}

/** Starts a dev agent and waits until it has a leader (usually < 1 s). */
export async function startConsulAgent(opts: { startTimeoutMs?: number } = {}): Promise<ConsulAgent> {
  const bin = consulBinary();
  const [http, serfLan, server] = [await freePort(), await freePort(), await freePort()];
  // -dev keeps all state in memory; the other ports are off so parallel agents never collide.
  const args = [
    'agent', '-dev', '-bind', '127.0.0.1', '-client', '127.0.0.1',
    '-http-port', String(http), '-serf-lan-port', String(serfLan), '-server-port', String(server),
    '-serf-wan-port', '-1', '-dns-port', '-1', '-grpc-port', '-1', '-grpc-tls-port', '-1',
    '-node', `test-${process.pid}-${http}`, '-disable-host-node-id', '-log-level', 'warn',
  ];
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (b: Buffer) => {
    log = (log + b.toString()).slice(-20_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const agent: ConsulAgent = {
    address: `127.0.0.1:${http}`,
    httpUrl: `http://127.0.0.1:${http}`,
    proc,
    output: () => log,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
  try {
    await waitForLeader(agent, opts.startTimeoutMs ?? 30_000);
  } catch (err) {
    await agent.stop();
    throw new Error(`consul agent did not start: ${(err as Error).message}\n${log}`);
  }
  return agent;
}

async function waitForLeader(agent: ConsulAgent, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (agent.proc.exitCode !== null) throw new Error(`exited with code ${agent.proc.exitCode}`);
    try {
      const res = await fetch(`${agent.httpUrl}/v1/status/leader`);
      const leader = (await res.text()).trim();
      if (res.ok && leader !== '""' && leader !== '') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no leader after ${timeoutMs} ms`);
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}
