/**
 * Process plumbing for benchmark targets: free loopback ports, spawning a server with its logs in
 * a temporary folder, waiting until it answers, stopping it, its CPU time, and on-disk sizes.
 */
import { createServer } from 'node:net';
import { mkdtempSync, openSync, readFileSync, readdirSync, lstatSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Subprocess } from 'bun';

/** A free TCP port on 127.0.0.1 (asks the kernel, then releases it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A fresh temporary folder `/tmp/stock-tsdb-bench-<name>-XXXX`. */
export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `stock-tsdb-bench-${name}-`));
}

/** Bytes allocated on disk under `path` (like `du -s --block-size=1`); 0 if missing. */
export function dirBytes(path: string): number {
  if (!existsSync(path)) return 0;
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.blocks * 512;
  let sum = st.blocks * 512;
  for (const e of readdirSync(path)) sum += dirBytes(join(path, e));
  return sum;
}

/** Apparent size (sum of file lengths) under `path`. */
export function dirApparentBytes(path: string): number {
  if (!existsSync(path)) return 0;
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  let sum = 0;
  for (const e of readdirSync(path)) sum += dirApparentBytes(join(path, e));
  return sum;
}

/** User+system CPU seconds of a live process (all its threads), from /proc/PID/stat. */
export function processCpuSec(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after "(comm)": state is [0]; utime is field 14 → [11], stime 15 → [12].
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Resident set size and its peak, bytes, from /proc/PID/status. */
export function processRss(pid: number): { rss: number; peak: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

/** A spawned server: its process, log file and a stop() that escalates SIGTERM → SIGKILL. */
export class ServerProcess {
  private constructor(
    readonly proc: Subprocess,
    readonly logPath: string,
  ) {}

  /** Starts `cmd` with stdout+stderr appended to `logPath`. */
  static spawn(cmd: string[], opts: { logPath: string; cwd?: string; env?: Record<string, string> }): ServerProcess {
    const fd = openSync(opts.logPath, 'a');
    const proc = Bun.spawn(cmd, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdin: 'ignore',
      stdout: fd,
      stderr: fd,
    });
    live.add(proc);
    return new ServerProcess(proc, opts.logPath);
  }

  get pid(): number {
    return this.proc.pid;
  }

  get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  /** The last `n` characters of the log, for error messages. */
  logTail(n = 2000): string {
    try {
      const s = readFileSync(this.logPath, 'utf8');
      return s.slice(-n);
    } catch {
      return '';
    }
  }

  /** SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves when the process is gone. */
  async stop(graceMs = 30_000): Promise<{ graceful: boolean }> {
    if (this.exited) return { graceful: true };
    this.proc.kill('SIGTERM');
    const done = await Promise.race([this.proc.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
    if (!done) {
      this.proc.kill('SIGKILL');
      await this.proc.exited;
    }
    live.delete(this.proc);
    return { graceful: done };
  }
}

const live = new Set<Subprocess>();

/** Kills every server this process started (used on Ctrl-C and on crashes). */
export function killAllStarted(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
}

/** Polls `probe` until it returns true; throws with `what` and the log tail after `timeoutMs`. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; server?: ServerProcess; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (opts.server?.exited) throw new Error(`${what}: process exited\n${opts.server.logTail()}`);
    try {
      if (await probe()) return;
    } catch {
      /* not up yet */
    }
    await Bun.sleep(opts.intervalMs ?? 200);
  }
  throw new Error(`${what}: not ready after ${opts.timeoutMs} ms\n${opts.server?.logTail() ?? ''}`);
}

/** Waits until `size()` has not changed for `stableMs` (and `extra()` holds), at most `timeoutMs`. */
export async function waitStable(
  size: () => number | Promise<number>,
  opts: { stableMs: number; timeoutMs: number; intervalMs?: number; extra?: () => Promise<boolean> },
): Promise<{ stable: boolean; waitedMs: number }> {
  const t0 = Date.now();
  let last = await size();
  let since = Date.now();
  while (Date.now() - t0 < opts.timeoutMs) {
    await Bun.sleep(opts.intervalMs ?? 1000);
    const cur = await size();
    if (cur !== last) {
      last = cur;
      since = Date.now();
    } else if (Date.now() - since >= opts.stableMs && (!opts.extra || (await opts.extra()))) {
      return { stable: true, waitedMs: Date.now() - t0 };
    }
  }
  return { stable: false, waitedMs: Date.now() - t0 };
}

/** Removes a temporary folder made by {@link tempDir}. */
export function removeDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** Reads KEY=VALUE lines of bench/peers/setup.sh's peers.env. */
export function readPeersEnv(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
