/**
 * The load generator: sends pre-built bodies with `fetch` from `clients` concurrent loops (each
 * keeps one request in flight), and times single queries. Measures the client's own CPU so a
 * result can show the generator was not the bottleneck.
 */
import type { Body } from './lp-body.ts';
import type { HttpRequestSpec } from './peers/target.ts';
import { processCpuSec } from './peers/proc.ts';

/** What one ingest run did. */
export interface IngestResult {
  readonly rows: number;
  readonly bytes: number;
  readonly requests: number;
  readonly wallSec: number;
  readonly rowsPerSec: number;
  /** Client (this process) user+system CPU seconds spent during the run. */
  readonly clientCpuSec: number;
  /** Server CPU seconds during the run (from /proc), NaN if unknown. */
  readonly serverCpuSec: number;
  /** Per-request latency percentiles, ms. */
  readonly requestMs: Percentiles;
}

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
  readonly n: number;
}

/** Percentiles by nearest rank over a copy of `xs`. */
export function percentiles(xs: readonly number[]): Percentiles {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : NaN);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] ?? NaN, mean, n: s.length };
}

function cpuSec(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * POSTs every body to `spec.url` with `clients` requests in flight; throws on the first non-2xx
 * answer (after the in-flight ones finish) with the server's message.
 */
export async function sendAll(
  bodies: readonly Body[],
  spec: HttpRequestSpec,
  opts: { clients: number; serverPid?: number; onProgress?: (done: number) => void },
): Promise<IngestResult> {
  const headers = (spec.init?.headers as Record<string, string> | undefined) ?? {};
  const lat: number[] = new Array(bodies.length);
  let next = 0;
  let failure: Error | undefined;
  const srv0 = opts.serverPid ? processCpuSec(opts.serverPid) : NaN;
  const cpu0 = cpuSec();
  const t0 = performance.now();
  const loop = async () => {
    while (!failure) {
      const i = next++;
      if (i >= bodies.length) return;
      const b = bodies[i];
      const s = performance.now();
      const res = await fetch(spec.url, { method: 'POST', body: b.bytes, headers });
      if (res.status >= 300) {
        failure = new Error(`POST ${spec.url} → ${res.status}: ${(await res.text()).slice(0, 500)}`);
        return;
      }
      await res.arrayBuffer();
      lat[i] = performance.now() - s;
      if (opts.onProgress && i % 50 === 0) opts.onProgress(i);
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, loop));
  const wallSec = (performance.now() - t0) / 1000;
  const clientCpuSec = cpuSec() - cpu0;
  const serverCpuSec = opts.serverPid ? processCpuSec(opts.serverPid) - srv0 : NaN;
  if (failure) throw failure;
  const rows = bodies.reduce((a, b) => a + b.rows, 0);
  const bytes = bodies.reduce((a, b) => a + b.bytes.length, 0);
  return { rows, bytes, requests: bodies.length, wallSec, rowsPerSec: rows / wallSec, clientCpuSec, serverCpuSec, requestMs: percentiles(lat) };
}

/** Sends one request and reads the whole answer; returns the wall time in ms and the text. */
export async function timedRequest(spec: HttpRequestSpec): Promise<{ ms: number; body: string }> {
  const t0 = performance.now();
  const res = await fetch(spec.url, spec.init);
  const buf = await res.arrayBuffer();
  const ms = performance.now() - t0;
  const body = new TextDecoder().decode(buf);
  if (!res.ok) throw new Error(`${spec.init?.method ?? 'GET'} ${spec.url.slice(0, 200)} → ${res.status}: ${body.slice(0, 500)}`);
  return { ms, body };
}
