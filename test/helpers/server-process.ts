/**
 * Starts and stops real stock-tsdb server processes for integration tests: each on its own
 * loopback address (127.0.0.N), with OS-chosen free ports, its own temp data and log dirs, and a
 * JSON config file written from the options. The helper waits for the startup line and a 200
 * from /health before returning.
 *
 * Whatever a test starts it must stop: call `stop()` (SIGTERM, graceful) or `kill9()` in
 * afterAll/finally, then `cleanup()` to remove the temp dir (or use `stopAll()`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Repository root (where package.json lives). */
export const REPO_ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
/** The Bun binary from node_modules (the runtime the server runs on). */
export const BUN = join(REPO_ROOT, 'node_modules/.bin/bun');
/** The server entry point. */
export const MAIN = join(REPO_ROOT, 'data-plane/src/main.ts');

/** Options of {@link startServer}. */
export interface StartOptions {
  /** loopback address to bind (default: a fresh 127.0.0.N) */
  host?: string;
  /** data dir to use (default: `<tmp>/data`); pass the previous one to restart on the same data */
  dataDir?: string;
  /** config sections laid over the test defaults (written as a .json config file) */
  config?: Record<string, Record<string, unknown>>;
  /** data port (default 0 = the OS picks; the actual port is read from the startup line) */
  port?: number;
  /** metrics port (default 0) */
  metricsPort?: number;
  /** extra CLI arguments */
  args?: string[];
  /** ms to wait for the server to come up (default 30000) */
  startTimeoutMs?: number;
}

/** A running server process. */
export interface ServerProcess {
  readonly host: string;
  readonly dataPort: number;
  readonly metricsPort: number;
  /** e.g. http://127.0.0.5:41234 */
  readonly dataUrl: string;
  readonly metricsUrl: string;
  /** temp dir holding config.json, data/ and logs/ (unless dataDir was given) */
  readonly dir: string;
  readonly dataDir: string;
  readonly logDir: string;
  readonly configPath: string;
  readonly proc: ChildProcess;
  /** everything the process printed so far (stdout + stderr, bounded) */
  output(): string;
  /** SIGTERM and wait for exit (SIGKILL after `timeoutMs`); resolves with the exit code/signal */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL and wait for exit */
  kill9(): Promise<void>;
  /** removes the temp dir (not a caller-given dataDir) */
  cleanup(): void;
}

const started = new Set<ServerProcess>();
let hostCounter = 0;

/** A loopback address not used by other test files running in parallel (spread by pid). */
export function nextLoopbackHost(): string {
  hostCounter++;
  const n = 2 + ((process.pid * 37 + hostCounter * 11) % 250);
  return `127.0.0.${n}`;
}

/** A port that was free on `host` a moment ago (for tests that need the port before starting). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** The test defaults: small caches and one worker thread (2 shared cores), quiet fast seals. */
function testConfig(dataDir: string, logDir: string, extra: StartOptions['config']): Record<string, Record<string, unknown>> {
  const base: Record<string, Record<string, unknown>> = {
    storage: { data_dir: dataDir },
    performance: { worker_threads: 1 },
    cache: { max_size: '32MB' },
    logging: { dir: logDir },
    monitoring: { health_check_interval: 5 },
  };
  for (const [section, values] of Object.entries(extra ?? {})) base[section] = { ...base[section], ...values };
  return base;
}

/** Starts a server process and waits until /health answers 200. */
export async function startServer(opts: StartOptions = {}): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'stsdb-it-'));
  const dataDir = opts.dataDir ?? join(dir, 'data');
  const logDir = join(dir, 'logs');
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(testConfig(dataDir, logDir, opts.config), null, 2));
  const host = opts.host ?? nextLoopbackHost();
  const args = [MAIN, '--config', configPath, '--bind', host, '--port', String(opts.port ?? 0), '--metrics-port', String(opts.metricsPort ?? 0), ...(opts.args ?? [])];
  const proc = spawn(BUN, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.on('exit', (code, signal) => r({ code, signal })));

  const ports = await waitForStartLine(proc, () => out, exited, opts.startTimeoutMs ?? 30_000);
  const server: ServerProcess = {
    host,
    dataPort: ports.data,
    metricsPort: ports.metrics,
    dataUrl: `http://${host}:${ports.data}`,
    metricsUrl: `http://${host}:${ports.metrics}`,
    dir,
    dataDir,
    logDir,
    configPath,
    proc,
    output: () => out,
    async stop(timeoutMs = 30_000) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const r = await exited;
      clearTimeout(timer);
      started.delete(server);
      return r;
    },
    async kill9() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
      started.delete(server);
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  started.add(server);
  try {
    await waitForHealth(server.metricsUrl, opts.startTimeoutMs ?? 30_000);
  } catch (err) {
    await server.kill9();
    server.cleanup();
    throw new Error(`${(err as Error).message}\n--- server output ---\n${out}`);
  }
  return server;
}

/** Stops (SIGKILL) every server this process started and still runs, and removes their dirs. */
export async function stopAll(): Promise<void> {
  for (const s of [...started]) {
    await s.kill9();
    s.cleanup();
  }
}

async function waitForStartLine(
  proc: ChildProcess,
  output: () => string,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  timeoutMs: number,
): Promise<{ data: number; metrics: number }> {
  const deadline = Date.now() + timeoutMs;
  let gone: { code: number | null } | undefined;
  void exited.then((r) => (gone = r));
  for (;;) {
    const m = /listening data=\S+:(\d+) metrics=\S+:(\d+)/.exec(output());
    if (m) return { data: Number(m[1]), metrics: Number(m[2]) };
    if (gone) throw new Error(`server exited with code ${gone.code} before listening:\n${output()}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`server did not start within ${timeoutMs} ms:\n${output()}`);
    }
    await sleep(25);
  }
}

/** Polls `<metricsUrl>/health` until it answers 200. */
export async function waitForHealth(metricsUrl: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${metricsUrl}/health`);
      if (r.status === 200) return;
      last = `${r.status} ${await r.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(50);
  }
  throw new Error(`no healthy answer from ${metricsUrl}/health within ${timeoutMs} ms (last: ${last})`);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
