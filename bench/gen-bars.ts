/**
 * A-share bars for the HTTP benchmarks: prices and volumes from bench/market-data.ts (the
 * project's one market-data generator), timestamps laid on Shanghai/Shenzhen trading hours
 * (09:30–11:30, 13:00–15:00 Asia/Shanghai, weekdays), rows in time-major order as a real feed
 * delivers them. bench/lp-body.ts turns these columns into request bodies.
 */
import { generateBars as generateMarketBars } from './market-data.ts';

/** Columnar bars, rows in time-major order: every symbol's bar for t, then t + stepSec, … */
export interface BarColumns {
  /** Series names, e.g. `stock.SH.600519`; `symbolIndex` points into this. */
  readonly symbols: readonly string[];
  /** Number of rows (symbols × bars per symbol). */
  readonly count: number;
  readonly symbolIndex: Uint32Array;
  /** Bar start, integer seconds since the epoch (UTC). */
  readonly timestampSec: Float64Array;
  /** Prices in CNY with 2 decimals (exactly `ticks / 100`). */
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  /** Shares, an integral multiple of 100 (0 in a second without trades). */
  readonly volume: Float64Array;
}

export interface GenerateBarsOptions {
  /** How many symbols, or their names. */
  symbols: number | readonly string[];
  /** First trading day, `YYYY-MM-DD` (Asia/Shanghai); a weekend rolls to Monday. */
  start: string;
  /** Bars per symbol. */
  count: number;
  /** Seconds between bars (default 1). */
  stepSec?: number;
  /** PRNG seed (default 1), passed to market-data.ts. Same options → same bytes. */
  seed?: number;
}

const SHANGHAI_OFFSET_SEC = 8 * 3600;
/** Trading sessions as [start, end) seconds after local midnight. */
const SESSIONS: readonly (readonly [number, number])[] = [
  [9.5 * 3600, 11.5 * 3600],
  [13 * 3600, 15 * 3600],
];
/** Trading seconds in one day. */
export const TRADING_SECONDS_PER_DAY = SESSIONS.reduce((s, [a, b]) => s + (b - a), 0);

/** Mulberry32: small deterministic PRNG in [0, 1), for the harness's own choices (query symbols). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** UTC epoch seconds of local midnight (Asia/Shanghai) of each trading day from `start` on. */
export function tradingDays(start: string, n: number): number[] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(start);
  if (!m) throw new Error(`start must be YYYY-MM-DD, got ${start}`);
  let day = Date.UTC(+m[1], +m[2] - 1, +m[3]) / 1000;
  const out: number[] = [];
  while (out.length < n) {
    const dow = new Date(day * 1000).getUTCDay();
    if (dow !== 0 && dow !== 6) out.push(day - SHANGHAI_OFFSET_SEC);
    day += 86400;
  }
  return out;
}

/** The bar timestamps (UTC epoch seconds) of one symbol: `count` trading-time instants. */
export function barTimestamps(start: string, count: number, stepSec = 1): Float64Array {
  const perDay = Math.floor(TRADING_SECONDS_PER_DAY / stepSec);
  const days = tradingDays(start, Math.max(1, Math.ceil(count / perDay)));
  const ts = new Float64Array(count);
  let i = 0;
  for (const midnight of days) {
    for (const [a, b] of SESSIONS) {
      for (let s = a; s < b && i < count; s += stepSec) ts[i++] = midnight + s;
    }
    if (i >= count) break;
  }
  return ts;
}

/**
 * Bars from bench/market-data.ts's `generateBars` (the one generator of the project), laid on
 * trading time and transposed to time-major columns: symbol k's i-th bar gets the i-th trading
 * instant of {@link barTimestamps}, so prices stay continuous across the lunch break and nights.
 * Deterministic for given options.
 */
export function generateBars(opts: GenerateBarsOptions): BarColumns {
  const stepSec = opts.stepSec ?? 1;
  const perSymbol = opts.count;
  const times = barTimestamps(opts.start, perSymbol, stepSec);
  const series = generateMarketBars({
    symbols: typeof opts.symbols === 'number' ? opts.symbols : [...opts.symbols],
    start: times[0] * 1e6,
    count: perSymbol,
    stepSec,
    seed: opts.seed ?? 1,
  });
  const nSym = series.length;
  const count = nSym * perSymbol;
  const out = {
    symbols: series.map((s) => s.symbol),
    count,
    symbolIndex: new Uint32Array(count),
    timestampSec: new Float64Array(count),
    open: new Float64Array(count),
    high: new Float64Array(count),
    low: new Float64Array(count),
    close: new Float64Array(count),
    volume: new Float64Array(count),
  };
  const fields = ['open', 'high', 'low', 'close', 'volume'] as const;
  for (let s = 0; s < nSym; s++) {
    const src = fields.map((f) => series[s].columns.get(f)!);
    const dst = fields.map((f) => out[f]);
    for (let t = 0, r = s; t < perSymbol; t++, r += nSym) {
      out.symbolIndex[r] = s;
      out.timestampSec[r] = times[t];
      for (let f = 0; f < fields.length; f++) dst[f][r] = src[f][t];
    }
  }
  return out;
}
