/**
 * Load for the cluster benchmark: ingest spread over several coordinators, a paced background
 * writer and reader that count every failure (the handoff phase), the two candle queries, and the
 * check that every acknowledged row is readable through a node.
 */
import type { BarColumns } from './gen-bars.ts';
import { type Percentiles, percentiles } from './load.ts';
import type { Body } from './lp-body.ts';
import type { HttpRequestSpec, Range } from './peers/target.ts';

/** What one spread ingest did. */
export interface SpreadResult {
  rows: number;
  bytes: number;
  requests: number;
  failed: number;
  firstError?: string;
  wallSec: number;
  rowsPerSec: number;
  clientCpuSec: number;
  requestMs: Percentiles;
  /** acked[i]: body i was answered 2xx */
  acked: Uint8Array;
}

function cpuSec(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * POSTs every body with `clients` requests in flight in total, body i to `urls[i % urls.length]`
 * (each coordinator gets the same share). Unlike load.ts `sendAll`, a failed request is counted
 * and the run goes on, so the acknowledged set is known exactly.
 */
export async function sendSpread(bodies: readonly Body[], urls: readonly string[], clients: number): Promise<SpreadResult> {
  const lat: number[] = [];
  const acked = new Uint8Array(bodies.length);
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const cpu0 = cpuSec();
  const t0 = performance.now();
  const loop = async () => {
    for (let i = next++; i < bodies.length; i = next++) {
      const s = performance.now();
      try {
        const res = await fetch(urls[i % urls.length], { method: 'POST', body: bodies[i].bytes });
        const text = await res.text();
        if (res.status >= 300) throw new Error(`${res.status}: ${text.slice(0, 300)}`);
        acked[i] = 1;
        lat.push(performance.now() - s);
      } catch (e) {
        failed++;
        firstError ??= `POST ${urls[i % urls.length]} → ${(e as Error).message}`;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  const wallSec = (performance.now() - t0) / 1000;
  let rows = 0;
  let bytes = 0;
  bodies.forEach((b, i) => {
    if (acked[i]) rows += b.rows;
    bytes += b.bytes.length;
  });
  return { rows, bytes, requests: bodies.length, failed, firstError, wallSec, rowsPerSec: rows / wallSec, clientCpuSec: cpuSec() - cpu0, requestMs: percentiles(lat), acked };
}

/** A background writer at a fixed row rate; stop() resolves with what it did. */
export interface PacedWriter {
  stop(): Promise<{ sent: number; failed: number; errors: string[]; ackedRows: number; wallSec: number; cycles: number; acked: Uint8Array }>;
}

/**
 * Sends `bodies` at `rowsPerSec` (body k due at k × rows/rate), from 2 loops, to the coordinators
 * in turn. When the bodies run out it starts over (the same rows again: upserts of equal values),
 * so writes continue for as long as the phase lasts. Failures are counted, never retried.
 */
export function pacedWriter(bodies: readonly Body[], urls: () => readonly string[], rowsPerSec: number): PacedWriter {
  const acked = new Uint8Array(bodies.length);
  const errors: string[] = [];
  let stopping = false;
  let k = 0;
  let sent = 0;
  let failed = 0;
  let ackedRows = 0;
  const t0 = performance.now();
  const perBody = bodies[0] ? bodies[0].rows / rowsPerSec : 1;
  const loop = async () => {
    while (!stopping) {
      const i = k++;
      const due = t0 + i * perBody * 1000;
      const wait = due - performance.now();
      if (wait > 0) await Bun.sleep(wait);
      if (stopping) return;
      const b = bodies[i % bodies.length];
      const us = urls();
      const url = us[i % us.length];
      sent++;
      try {
        const res = await fetch(url, { method: 'POST', body: b.bytes });
        const text = await res.text();
        if (res.status >= 300) throw new Error(`${res.status}: ${text.slice(0, 200)}`);
        acked[i % bodies.length] = 1;
        ackedRows += b.rows;
      } catch (e) {
        failed++;
        if (errors.length < 5) errors.push(`POST ${url} → ${(e as Error).message}`);
      }
    }
  };
  const loops = [loop(), loop()];
  return {
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return { sent, failed, errors, ackedRows, wallSec: (performance.now() - t0) / 1000, cycles: Math.floor(k / Math.max(1, bodies.length)), acked };
    },
  };
}

/** A background reader (one query at a time, `pauseMs` apart); stop() resolves with what it did. */
export interface Reader {
  stop(): Promise<{ ok: number; failed: number; errors: string[]; ms: Percentiles }>;
}

export function backgroundReader(next: (k: number) => HttpRequestSpec, pauseMs: number): Reader {
  let stopping = false;
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  const lat: number[] = [];
  const run = (async () => {
    for (let k = 0; !stopping; k++) {
      const spec = next(k);
      const t0 = performance.now();
      try {
        const res = await fetch(spec.url, spec.init);
        const text = await res.text();
        if (res.status !== 200) throw new Error(`${res.status}: ${text.slice(0, 200)}`);
        lat.push(performance.now() - t0);
        ok++;
      } catch (e) {
        failed++;
        if (errors.length < 5) errors.push(`${spec.url.slice(0, 120)} → ${(e as Error).message}`);
      }
      await Bun.sleep(pauseMs);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await run;
      return { ok, failed, errors, ms: percentiles(lat) };
    },
  };
}

/** GET /v1/query: 1h candles of one symbol over `range` (the http suite's symbol-day query). */
export function symbolDayQuery(base: string, symbol: string, range: Range): HttpRequestSpec {
  const p = new URLSearchParams({ symbol, start: String(range.start), end: String(range.end), interval: '1h', precision: 's' });
  return { url: `${base}/v1/query?${p}` };
}

/** POST /v1/query/batch: 1h candles (or raw `fields` rows without interval) of many symbols. */
export function batchQuery(base: string, symbols: readonly string[], range: Range, opts: { raw?: string[] } = {}): HttpRequestSpec {
  const q = opts.raw ? { fields: opts.raw } : { interval: '1h' };
  return {
    url: `${base}/v1/query/batch`,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ symbols, start: range.start, end: range.end, precision: 's', ...q }),
    },
  };
}

/** Rows a node must answer: the acknowledged rows of some bodies cut from `cols`. */
export interface AckedRows {
  cols: BarColumns;
  rowsPerBody: number;
  acked: Uint8Array;
}

/** What {@link verifyAcked} found. */
export interface VerifyResult {
  expected: number;
  missing: number;
  wrong: number;
  examples: string[];
  sec: number;
}

/**
 * Reads every symbol's raw rows (close, volume) over `range` through `base` and checks that each
 * acknowledged row is there with its values. Rows the check does not expect (a write that failed
 * on the client but landed) are not errors.
 */
export async function verifyAcked(base: string, sets: readonly AckedRows[], range: Range): Promise<VerifyResult> {
  const t0 = performance.now();
  const symbols = sets[0].cols.symbols;
  // Expected rows per symbol: timestamp → [close, volume].
  const want = symbols.map(() => new Map<number, [number, number]>());
  for (const s of sets) {
    for (let r = 0; r < s.cols.count; r++) {
      if (!s.acked[Math.floor(r / s.rowsPerBody)]) continue;
      want[s.cols.symbolIndex[r]].set(s.cols.timestampSec[r], [s.cols.close[r], s.cols.volume[r]]);
    }
  }
  const perSymbol = Math.max(1, ...want.map((m) => m.size));
  const chunk = Math.max(1, Math.min(100, Math.floor(400_000 / perSymbol)));
  const res: VerifyResult = { expected: want.reduce((a, m) => a + m.size, 0), missing: 0, wrong: 0, examples: [], sec: 0 };
  for (let i = 0; i < symbols.length; i += chunk) {
    const names = symbols.slice(i, i + chunk);
    const spec = batchQuery(base, names, range, { raw: ['close', 'volume'] });
    const r = await fetch(spec.url, spec.init);
    const text = await r.text();
    if (r.status !== 200) throw new Error(`verify: ${spec.url} → ${r.status}: ${text.slice(0, 300)}`);
    const answers = (JSON.parse(text) as { results: { symbol: string; columns: string[]; rows: number[][] }[] }).results;
    const bySymbol = new Map(answers.map((a) => [a.symbol, a]));
    for (let j = 0; j < names.length; j++) {
      const a = bySymbol.get(names[j]);
      const got = new Map<number, number[]>();
      if (a) {
        const [ti, ci, vi] = ['timestamp', 'close', 'volume'].map((c) => a.columns.indexOf(c));
        for (const row of a.rows) got.set(row[ti], [row[ci], row[vi]]);
      }
      for (const [ts, [close, volume]] of want[i + j]) {
        const g = got.get(ts);
        if (!g) res.missing++;
        else if (g[0] !== close || g[1] !== volume) res.wrong++;
        else continue;
        if (res.examples.length < 3) res.examples.push(`${names[j]} @${ts}: want close ${close} volume ${volume}, got ${g ? `${g[0]} ${g[1]}` : 'nothing'}`);
      }
    }
  }
  res.sec = (performance.now() - t0) / 1000;
  return res;
}
