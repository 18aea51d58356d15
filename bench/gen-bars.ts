/**
 * Deterministic synthetic A-share market data: 1-second (or `stepSec`) OHLCV bars for many
 * symbols during Shanghai/Shenzhen trading hours (09:30–11:30, 13:00–15:00 Asia/Shanghai,
 * weekdays), as columnar typed arrays.
 *
 * The one place the benchmarks make bars; bench/lp-body.ts turns them into request bodies.
 * (If bench/market-data.ts appears with the same `generateBars`, this file should become a
 * re-export of it so the generator lives in one place.)
 */

/** Columnar bars, rows in time-major order: every symbol's bar for t, then t + stepSec, … */
export interface BarColumns {
  /** Series names, e.g. `stock.SH.600519`; `symbolIndex` points into this. */
  readonly symbols: readonly string[];
  /** Number of rows (symbols × bars per symbol). */
  readonly count: number;
  readonly symbolIndex: Uint32Array;
  /** Bar start, integer seconds since the epoch (UTC). */
  readonly timestampSec: Float64Array;
  /** Prices in CNY with 2 decimals (exactly `cents / 100`). */
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  /** Shares, an integral multiple of 100. */
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
  /** PRNG seed (default 1). Same options → same bytes. */
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

/** Mulberry32: small, fast, deterministic 32-bit PRNG returning floats in [0, 1). */
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

/** `n` A-share style names, alternating SH (600000+) and SZ (000001+) codes. */
export function symbolNames(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = i >> 1;
    out.push(i % 2 === 0 ? `stock.SH.${600000 + k}` : `stock.SZ.${String(1 + k).padStart(6, '0')}`);
  }
  return out;
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

/** Generates bars; see {@link BarColumns}. Deterministic for given options. */
export function generateBars(opts: GenerateBarsOptions): BarColumns {
  const symbols = typeof opts.symbols === 'number' ? symbolNames(opts.symbols) : [...opts.symbols];
  const nSym = symbols.length;
  const perSymbol = opts.count;
  const count = nSym * perSymbol;
  const rand = mulberry32(opts.seed ?? 1);
  const times = barTimestamps(opts.start, perSymbol, opts.stepSec ?? 1);

  // Per-symbol state in integer cents: a log-uniform start price in 5–300 CNY.
  const cents = new Float64Array(nSym);
  const lot = new Float64Array(nSym); // typical volume in lots of 100 shares
  for (let s = 0; s < nSym; s++) {
    cents[s] = Math.round(500 * Math.exp(rand() * Math.log(60)));
    lot[s] = 1 + Math.floor(rand() * 50);
  }

  const symbolIndex = new Uint32Array(count);
  const timestampSec = new Float64Array(count);
  const open = new Float64Array(count);
  const high = new Float64Array(count);
  const low = new Float64Array(count);
  const close = new Float64Array(count);
  const volume = new Float64Array(count);
  let r = 0;
  for (let t = 0; t < perSymbol; t++) {
    const ts = times[t];
    for (let s = 0; s < nSym; s++, r++) {
      const o = cents[s];
      // Random walk in ticks of 0.01, step size proportional to price (~2 bp per second).
      const vol = Math.max(1, Math.round(o * 0.0002));
      const c = Math.max(1, o + Math.round((rand() - 0.5) * 2 * vol));
      const h = Math.max(o, c) + Math.floor(rand() * rand() * vol);
      const l = Math.max(1, Math.min(o, c) - Math.floor(rand() * rand() * vol));
      cents[s] = c;
      symbolIndex[r] = s;
      timestampSec[r] = ts;
      open[r] = o / 100;
      high[r] = h / 100;
      low[r] = l / 100;
      close[r] = c / 100;
      volume[r] = 100 * Math.floor(lot[s] * 2 * rand() * rand() * 4);
    }
  }
  return { symbols, count, symbolIndex, timestampSec, open, high, low, close, volume };
}
