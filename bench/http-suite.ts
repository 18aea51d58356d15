/**
 * The `http` suite: ingest the same generated bars into our server and each peer in turn (never
 * two at once), let each settle, measure disk, check the candles against a reference computed
 * from the generated data, then time the two candle queries.
 */
import { loadavg } from 'node:os';
import { generateBars, tradingDays, mulberry32, type BarColumns } from './gen-bars.ts';
import { jsonBodies, lineProtocolBodies, referenceCandles, type Body, type Candle, type Precision } from './lp-body.ts';
import { type IngestResult, type Percentiles, percentiles, sendAll, timedRequest } from './load.ts';
import { processRss } from './peers/proc.ts';
import type { HttpRequestSpec, Range, Target } from './peers/target.ts';
import { StockTsdbTarget } from './peers/stock-tsdb.ts';

/** Settings of one http-suite run. */
export interface HttpSuiteConfig {
  rows: number;
  symbols: number;
  rowsPerRequest: number;
  clients: number;
  precision: Precision;
  querySamples: number;
  batchSamples: number;
  batchSymbols: number;
  start: string;
  seed: number;
  json: boolean;
  keep: boolean;
  /** LP ingest repetitions per target, each into a fresh instance; the median is reported. */
  repeat: number;
  /** rows written untimed into every instance before its timed ingest (0 = none) */
  warmupRows: number;
}

/** Everything measured for one target. */
export interface TargetResult {
  name: string;
  version: string;
  queryDoc: { symbolDay: string; batch: string };
  loadBefore: number[];
  /** The median of `ingestRuns` (all its figures from that run). */
  ingest?: IngestResult;
  /** rows/s of every repetition, in run order. */
  ingestRuns?: number[];
  jsonIngest?: IngestResult;
  jsonIngestRuns?: number[];
  settle?: string;
  /** How the target's shutdown went, when it did more than stop. */
  stopNote?: string;
  disk?: { bytes: number; how: string; bytesPerRow: number; bytesAfterStop: number; liveBytes?: number };
  rssAfterIngest?: number;
  peakRss?: number;
  check?: string;
  symbolDayMs?: Percentiles;
  batchMs?: Percentiles;
  candlesPerSymbolDay?: number;
  error?: string;
  serverLogTail?: string;
}

/** The data and the bodies, built once and shared by every target. */
export interface Workload {
  cols: BarColumns;
  lp: Body[];
  json: Body[];
  /** untimed warm-up writes: the same symbols a week before the timed data (never in the query range) */
  warmup: { rows: number; day: string; lp: Body[]; json: Body[] } | null;
  range: Range;
  barsPerSymbol: number;
  rowsPerSymbolDay: number;
  generateSec: number;
}

const log = (msg: string) => console.error(`[bench] ${msg}`);

/** Generates the bars and all request bodies (untimed for the targets). */
export function buildWorkload(cfg: HttpSuiteConfig): Workload {
  const t0 = performance.now();
  const barsPerSymbol = Math.ceil(cfg.rows / cfg.symbols);
  const cols = generateBars({ symbols: cfg.symbols, start: cfg.start, count: barsPerSymbol, stepSec: 1, seed: cfg.seed });
  const lp = lineProtocolBodies(cols, { rowsPerRequest: cfg.rowsPerRequest, precision: cfg.precision });
  const json = cfg.json ? jsonBodies(cols, { rowsPerRequest: cfg.rowsPerRequest }) : [];
  const day = tradingDays(cfg.start, 1)[0];
  const range = { start: day, end: day + 86400 };
  let rowsPerSymbolDay = 0;
  for (let r = 0; r < cols.count; r += cols.symbols.length) {
    if (cols.timestampSec[r] >= range.start && cols.timestampSec[r] < range.end) rowsPerSymbolDay++;
  }
  return { cols, lp, json, warmup: buildWarmup(cfg), range, barsPerSymbol, rowsPerSymbolDay, generateSec: (performance.now() - t0) / 1000 };
}

/**
 * Warm-up bodies: `warmupRows` bars of the same symbols a week before `start` (other seed), in
 * requests like the timed ones. Writing them first, untimed, into every instance measures the
 * steady state (JIT-compiled code, grown buffers) that a long bulk load runs in, rather than the
 * first seconds after a start.
 */
function buildWarmup(cfg: HttpSuiteConfig): Workload['warmup'] {
  if (cfg.warmupRows <= 0) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(cfg.start);
  if (!m) throw new Error(`start must be YYYY-MM-DD, got ${cfg.start}`);
  const day = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]) - 7 * 86_400_000).toISOString().slice(0, 10);
  const cols = generateBars({ symbols: cfg.symbols, start: day, count: Math.ceil(cfg.warmupRows / cfg.symbols), stepSec: 1, seed: cfg.seed + 1000 });
  const lp = lineProtocolBodies(cols, { rowsPerRequest: cfg.rowsPerRequest, precision: cfg.precision });
  const json = cfg.json ? jsonBodies(cols, { rowsPerRequest: cfg.rowsPerRequest }) : [];
  return { rows: cols.count, day, lp, json };
}

/** Sends the warm-up bodies (untimed), when there are any. */
async function warmUp(t: Target, bodies: Body[] | undefined, spec: HttpRequestSpec, clients: number): Promise<void> {
  if (!bodies?.length) return;
  const r = await sendAll(bodies, spec, { clients, serverPid: t.pid });
  log(`${t.name}: warm-up ${fmtRate(r.rows)} rows (untimed: ${fmtRate(r.rowsPerSec)} rows/s)`);
}

/** Runs the suite against every target, one after another. */
export async function runHttpSuite(cfg: HttpSuiteConfig, w: Workload, targets: Target[]): Promise<TargetResult[]> {
  const out: TargetResult[] = [];
  for (const t of targets) out.push(await runTarget(cfg, w, t));
  return out;
}

async function runTarget(cfg: HttpSuiteConfig, w: Workload, t: Target): Promise<TargetResult> {
  const storedRows = w.cols.count + (w.warmup?.rows ?? 0);
  const res: TargetResult = { name: t.name, version: t.version, queryDoc: t.queryDoc, loadBefore: loadavg() };
  try {
    log(`${t.name}: starting`);
    await t.start();
    res.version = t.version;
    const runs: IngestResult[] = [];
    for (let rep = 0; rep < cfg.repeat; rep++) {
      if (rep > 0) {
        // A fresh, empty instance for every repetition: the same work each time.
        await t.stop();
        if (!cfg.keep) t.cleanup();
        await t.start();
      }
      await warmUp(t, w.warmup?.lp, t.lineProtocolWrite(cfg.precision), cfg.clients);
      log(`${t.name} ${t.version}: ingesting ${w.cols.count} rows as line protocol${cfg.repeat > 1 ? ` (run ${rep + 1}/${cfg.repeat})` : ''}`);
      const r = await sendAll(w.lp, t.lineProtocolWrite(cfg.precision), { clients: cfg.clients, serverPid: t.pid });
      log(`${t.name}: ${fmtRate(r.rowsPerSec)} rows/s (client CPU ${r.clientCpuSec.toFixed(1)} s, server CPU ${r.serverCpuSec.toFixed(1)} s)`);
      runs.push(r);
    }
    // The median run is the figure; every run's rate is kept to show the spread.
    res.ingest = [...runs].sort((a, b) => a.rowsPerSec - b.rowsPerSec)[(runs.length - 1) >> 1];
    res.ingestRuns = runs.map((r) => r.rowsPerSec);
    res.rssAfterIngest = processRss(t.pid).rss;
    res.settle = await t.settle();
    const disk = await t.diskUsage();
    res.disk = { ...disk, bytesPerRow: disk.bytes / storedRows, bytesAfterStop: NaN };
    log(`${t.name}: ${res.settle}; ${(disk.bytes / 2 ** 20).toFixed(1)} MiB = ${res.disk.bytesPerRow.toFixed(2)} B/row`);
    res.check = await checkCandles(t, w);
    log(`${t.name}: check ${res.check}`);
    await timeQueries(cfg, w, t, res);
    log(`${t.name}: symbol-day p50 ${res.symbolDayMs?.p50.toFixed(2)} ms p99 ${res.symbolDayMs?.p99.toFixed(2)} ms; batch p50 ${res.batchMs?.p50.toFixed(1)} ms p99 ${res.batchMs?.p99.toFixed(1)} ms`);
    res.peakRss = processRss(t.pid).peak;
    if (t.reopen) {
      // Restart on the same data: proves it survives a clean restart and lets RocksDB flush its WAL.
      const first = await t.reopen();
      res.stopNote = `first clean shutdown ${mib(first)} (${(first / storedRows).toFixed(2)} B/row); check after reopen: ${await checkCandles(t, w)}`;
      log(`${t.name}: ${res.stopNote}`);
    }
  } catch (e) {
    res.error = (e as Error).message;
    log(`${t.name}: FAILED: ${res.error}`);
    const tail = t.logTail?.();
    if (tail) {
      res.serverLogTail = tail;
      log(`${t.name}: server log tail:\n${tail}`);
    }
  } finally {
    const st = await t.stop().catch(() => ({ bytesAfterStop: NaN, graceful: false }));
    if (res.stopNote && res.disk) res.stopNote += `, after reopen + shutdown ${mib(st.bytesAfterStop)} (${(st.bytesAfterStop / storedRows).toFixed(2)} B/row)`;
    if (res.disk) {
      res.disk.bytesAfterStop = st.bytesAfterStop;
      if (t.diskAfterStop && Number.isFinite(st.bytesAfterStop)) {
        res.disk = { ...res.disk, liveBytes: res.disk.bytes, bytes: st.bytesAfterStop, bytesPerRow: st.bytesAfterStop / storedRows };
      }
    }
    if (!cfg.keep) t.cleanup();
  }
  if (t instanceof StockTsdbTarget && cfg.json && !res.error) await jsonIngest(cfg, w, t, res);
  return res;
}

/** JSON ingest into a second, fresh instance of our server (so rows are not upserts). */
async function jsonIngest(cfg: HttpSuiteConfig, w: Workload, t: StockTsdbTarget, res: TargetResult): Promise<void> {
  try {
    await t.start();
    log(`${t.name}: ingesting ${w.cols.count} rows as JSON`);
    const runs: IngestResult[] = [];
    for (let rep = 0; rep < cfg.repeat; rep++) {
      if (rep > 0) {
        await t.stop();
        if (!cfg.keep) t.cleanup();
        await t.start();
      }
      await warmUp(t, w.warmup?.json, t.jsonWrite(), cfg.clients);
      const r = await sendAll(w.json, t.jsonWrite(), { clients: cfg.clients, serverPid: t.pid });
      log(`${t.name}: JSON ${fmtRate(r.rowsPerSec)} rows/s`);
      runs.push(r);
    }
    res.jsonIngest = [...runs].sort((a, b) => a.rowsPerSec - b.rowsPerSec)[(runs.length - 1) >> 1];
    res.jsonIngestRuns = runs.map((r) => r.rowsPerSec);
  } catch (e) {
    res.error = `JSON ingest: ${(e as Error).message}`;
  } finally {
    await t.stop().catch(() => undefined);
    if (!cfg.keep) t.cleanup();
  }
}

/** Symbols for the samples: a seeded permutation, so every target gets the same sequence. */
function symbolOrder(w: Workload, seed: number): string[] {
  const names = [...w.cols.symbols];
  const rand = mulberry32(seed ^ 0x5eed);
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [names[i], names[j]] = [names[j], names[i]];
  }
  return names;
}

/** Untimed symbol-day queries before the timed ones (each on its own symbol). */
export const WARMUP_QUERIES = 50;
/**
 * Untimed batch queries before the timed ones. One was too few for a steady-state figure: our
 * codec workers had only ever encoded during ingest, and their decode path was still being
 * compiled through the first ~10 batches (measured: 40–53 ms each, then 8–14 ms), so the batch
 * p99 (of 30 samples, the slowest) was a JIT warm-up time.
 */
export const WARMUP_BATCHES = 10;

async function timeQueries(cfg: HttpSuiteConfig, w: Workload, t: Target, res: TargetResult): Promise<void> {
  const order = symbolOrder(w, cfg.seed);
  const batchOf = (k: number) => Array.from({ length: cfg.batchSymbols }, (_, i) => order[(k * 97 + i) % order.length]);
  // Warm-up (not timed): connections, JIT (our codec workers and QuestDB's JVM tier up over the
  // first few dozen queries), query caches of plans. Warm-up symbols come from the end of the
  // order, the timed ones from its start, and the batches (which read every symbol) come after
  // the symbol-days, so the timed symbol-day queries read data no query has read before.
  for (let i = 0; i < WARMUP_QUERIES; i++) await timedRequest(t.symbolDayQuery(order[order.length - 1 - i], w.range));
  const day: number[] = [];
  for (let i = 0; i < cfg.querySamples; i++) {
    const r = await timedRequest(t.symbolDayQuery(order[i % order.length], w.range));
    day.push(r.ms);
    if (i === 0) res.candlesPerSymbolDay = t.parseSymbolDay(r.body).length;
  }
  res.symbolDayMs = percentiles(day);
  for (let k = 0; k < WARMUP_BATCHES; k++) await timedRequest(t.batchQuery(batchOf(cfg.batchSamples + 1 + k), w.range));
  const batch: number[] = [];
  for (let k = 0; k < cfg.batchSamples; k++) batch.push((await timedRequest(t.batchQuery(batchOf(k), w.range))).ms);
  res.batchMs = percentiles(batch);
}

/** Compares 3 symbol-days and one 100-symbol batch with candles computed from the data. */
async function checkCandles(t: Target, w: Workload): Promise<string> {
  const syms = [w.cols.symbols[0], w.cols.symbols[1], w.cols.symbols[w.cols.symbols.length - 1]];
  const problems: string[] = [];
  for (const s of syms) {
    const got = t.parseSymbolDay((await timedRequest(t.symbolDayQuery(s, w.range))).body);
    const p = diffCandles(got, referenceCandles(w.cols, s, { ...w.range, intervalSec: 3600 }));
    if (p) problems.push(`${s}: ${p}`);
  }
  const batchSyms = w.cols.symbols.slice(0, Math.min(100, w.cols.symbols.length));
  const got = t.parseBatch((await timedRequest(t.batchQuery(batchSyms, w.range))).body);
  let bad = 0;
  for (const s of batchSyms) {
    const p = diffCandles(got.get(s) ?? [], referenceCandles(w.cols, s, { ...w.range, intervalSec: 3600 }));
    if (p && bad++ < 2) problems.push(`batch ${s}: ${p}`);
  }
  if (got.size !== batchSyms.length) problems.push(`batch answered ${got.size} of ${batchSyms.length} symbols`);
  return problems.length ? `MISMATCH ${problems.join('; ')}` : 'ok (candles equal the reference)';
}

function diffCandles(got: Candle[], want: Candle[]): string | undefined {
  if (got.length !== want.length) return `${got.length} candles, want ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    for (let k = 0; k < 6; k++) {
      const a = got[i][k];
      const b = want[i][k];
      if (!(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)))) {
        return `candle ${i} field ${['t', 'open', 'high', 'low', 'close', 'volume'][k]}: got ${a}, want ${b}`;
      }
    }
  }
  return undefined;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** 1234567 → "1.23M". */
export function fmtRate(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(0)}K`;
  return x.toFixed(0);
}
