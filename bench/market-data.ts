import type { SeriesRows } from '../data-plane/src/model.ts';

/**
 * Deterministic A-share-like market data for benchmarks and tests.
 *
 * Every symbol runs one per-second process on an integer tick grid (0.01 CNY), so prices are
 * exact 2-decimal doubles: a starting price in 10–200 CNY; each second a trade happens with
 * probability 0.9; the second opens at the previous close ±1 tick (20%), moves 0/±1/±2/±3 ticks
 * (40/40/15/5%), and its high/low exceed max/min(open, close) by one tick 30% of the time;
 * volume is lognormal lots (median ~20) of 100 shares. Seconds without a trade repeat the
 * previous close with volume 0. Bars of `stepSec` aggregate those seconds (open first, high max,
 * low min, close last, volume sum); ticks are `stepSec` snapshots of the last price with the
 * bid/ask around it (spread 1 tick, 2 ticks 10% of the time) and the volume since the last one.
 */
export interface MarketDataOptions {
  /** how many symbols (named stock.SH.600000, stock.SZ.000001, …), or their names */
  symbols: number | string[];
  /** µs since the epoch of the first row */
  start: number;
  /** rows per symbol */
  count: number;
  /** seconds between rows (1 = 1-second bars; 60 = 1-minute bars; 3 = 3-second snapshots) */
  stepSec: number;
  /** PRNG seed; the same options always give the same data */
  seed: number;
  /** drop bars/snapshots with no trade (irregular timestamps); default false */
  omitEmpty?: boolean;
}

/** OHLCV bars (`open high low close volume`) per symbol, columnar, ascending timestamps. */
export function generateBars(opts: MarketDataOptions): SeriesRows[] {
  return symbolNames(opts.symbols).map((symbol, k) => {
    const sim = new SecondSim(opts.seed * 1_000_003 + k);
    const n = opts.count;
    const cols = { ts: new Float64Array(n), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n) };
    let t = opts.start;
    let i = 0;
    while (i < n) {
      let o = -1;
      let h = 0;
      let l = 0;
      let vol = 0;
      for (let s = 0; s < opts.stepSec; s++) {
        sim.step();
        if (sim.volume === 0) continue;
        if (o < 0) [o, h, l] = [sim.open, sim.high, sim.low];
        h = Math.max(h, sim.high);
        l = Math.min(l, sim.low);
        vol += sim.volume;
      }
      const time = t;
      t += opts.stepSec * 1e6;
      if (o < 0) {
        if (opts.omitEmpty) continue;
        o = h = l = sim.close;
      }
      cols.ts[i] = time;
      cols.open[i] = o / 100;
      cols.high[i] = h / 100;
      cols.low[i] = l / 100;
      cols.close[i] = sim.close / 100;
      cols.volume[i] = vol * 100;
      i++;
    }
    const { ts, ...fields } = cols;
    return { symbol, ts, columns: new Map(Object.entries(fields)) };
  });
}

/** Snapshots (`price volume bid ask`) every `stepSec` seconds per symbol (A-share: 3 s). */
export function generateTicks(opts: MarketDataOptions): SeriesRows[] {
  return symbolNames(opts.symbols).map((symbol, k) => {
    const sim = new SecondSim(opts.seed * 1_000_003 + k + 7_777);
    const n = opts.count;
    const cols = { ts: new Float64Array(n), price: new Float64Array(n), volume: new Float64Array(n), bid: new Float64Array(n), ask: new Float64Array(n) };
    let t = opts.start;
    let i = 0;
    while (i < n) {
      let vol = 0;
      for (let s = 0; s < opts.stepSec; s++) {
        sim.step();
        vol += sim.volume;
      }
      const time = t;
      t += opts.stepSec * 1e6;
      if (vol === 0 && opts.omitEmpty) continue;
      const price = sim.close;
      // The last trade hit the bid or lifted the ask.
      const bid = sim.rand() < 0.5 ? price : Math.max(1, price - 1);
      const ask = bid + (sim.rand() < 0.9 ? 1 : 2);
      cols.ts[i] = time;
      cols.price[i] = price / 100;
      cols.volume[i] = vol * 100;
      cols.bid[i] = bid / 100;
      cols.ask[i] = ask / 100;
      i++;
    }
    const { ts, ...fields } = cols;
    return { symbol, ts, columns: new Map(Object.entries(fields)) };
  });
}

function symbolNames(symbols: number | string[]): string[] {
  if (Array.isArray(symbols)) return symbols;
  return Array.from({ length: symbols }, (_, i) =>
    i % 2 === 0 ? `stock.SH.${600000 + i / 2}` : `stock.SZ.${String(1 + (i - 1) / 2).padStart(6, '0')}`,
  );
}

/** One symbol's trading, second by second, in integer ticks (0.01 CNY) and lots (100 shares). */
class SecondSim {
  open = 0;
  high = 0;
  low = 0;
  close: number;
  volume = 0;
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
    this.close = 1000 + Math.floor(this.rand() * 19000);
  }

  /** mulberry32: tiny, fast, good enough for synthetic data. */
  rand(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  step(): void {
    if (this.rand() >= 0.9) {
      this.volume = 0;
      return;
    }
    const j = this.rand();
    const o = Math.max(1, this.close + (j < 0.1 ? 1 : j < 0.2 ? -1 : 0));
    const u = this.rand();
    const size = u < 0.4 ? 0 : u < 0.8 ? 1 : u < 0.95 ? 2 : 3;
    const c = Math.max(1, o + (this.rand() < 0.5 ? size : -size));
    this.open = o;
    this.close = c;
    this.high = Math.max(o, c) + (this.rand() < 0.3 ? 1 : 0);
    this.low = Math.max(1, Math.min(o, c) - (this.rand() < 0.3 ? 1 : 0));
    this.volume = 1 + Math.floor(Math.exp(3 + 0.8 * this.normal()));
  }

  private normal(): number {
    const u = 1 - this.rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.rand());
  }
}
