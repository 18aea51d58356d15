/**
 * Obviously-correct, slow reference implementations for the query tests (test-only code).
 * Offsets come from Intl.formatToParts per instant; bucket boundaries are found by walking
 * back over candidate instants straight from the definition in time-zone.ts.
 */
import type { AggregateFn, CandleQuery } from '../engine-api.ts';
import type { SeriesData } from '../model.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** UTC offset in ms of `tz` at `ms` (Intl per call; valid for years 1970+ in the test zones). */
export function naiveOffsetMs(tz: string, ms: number): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
  const local = Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second);
  return local - Math.floor(ms / 1000) * 1000;
}

const offsetMemo = new Map<string, Map<number, number>>();
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const floorDiv = (a: number, b: number): number => Math.floor(a / b);

/**
 * Bucket starts straight from the definition: u is a boundary iff local(u) is a multiple of
 * the width (from the origin) or the label differs just before u. Every boundary is a
 * multiple of gcd(width, 60 s) in UTC (offsets and transitions are whole minutes here), so
 * walking those back from t finds the bucket start.
 */
export class NaiveBuckets {
  private readonly step: number;
  private readonly memo = new Map<number, number>();

  constructor(
    private readonly widthUs: number,
    private readonly originUs: number,
    private readonly tz: string,
  ) {
    this.step = gcd(widthUs, 60e6);
  }

  private off(ms: number): number {
    let o = this.offs.get(ms);
    if (o === undefined) this.offs.set(ms, (o = naiveOffsetMs(this.tz, ms) * 1000));
    return o;
  }

  /** Offsets memo shared by every NaiveBuckets of the zone (offsets do not depend on the width). */
  private get offs(): Map<number, number> {
    let m = offsetMemo.get(this.tz);
    if (!m) offsetMemo.set(this.tz, (m = new Map()));
    return m;
  }

  /** Whether the step-aligned instant u (µs) starts a bucket. */
  isBoundary(u: number): boolean {
    const local = u + this.off(u / 1000);
    if ((((local - this.originUs) % this.widthUs) + this.widthUs) % this.widthUs === 0) return true;
    // Just before u the offset is the one at u - step: offsets change only on whole minutes,
    // which are multiples of the step.
    const before = u - 1 + this.off((u - this.step) / 1000);
    return floorDiv(local - this.originUs, this.widthUs) !== floorDiv(before - this.originUs, this.widthUs);
  }

  /** Start of the bucket holding t (µs). */
  bucketStart(t: number): number {
    let u = Math.floor(t / this.step) * this.step;
    const visited: number[] = [];
    let found: number | undefined;
    for (;;) {
      found = this.memo.get(u);
      if (found !== undefined) break;
      visited.push(u);
      if (this.isBoundary(u)) {
        found = u;
        break;
      }
      u -= this.step;
    }
    for (const v of visited) this.memo.set(v, found);
    return found;
  }

  /** Every bucket start overlapping [start, end). */
  grid(start: number, end: number): number[] {
    if (end <= start) return [];
    const out = [this.bucketStart(start)];
    for (let u = Math.floor(start / this.step) * this.step + this.step; u < end; u += this.step) {
      if (u > out[out.length - 1] && this.isBoundary(u)) out.push(u);
    }
    return out;
  }
}

type Col = { name: string; src: string; fn: AggregateFn; prev: 'zero' | 'self' | 'close' };

const shared = new Map<string, NaiveBuckets>();

/** One NaiveBuckets per (width, origin, zone), so its memo serves every property run. */
export function naiveBuckets(widthUs: number, originUs: number, tz: string): NaiveBuckets {
  const key = `${widthUs}/${originUs}/${tz}`;
  let nb = shared.get(key);
  if (!nb) shared.set(key, (nb = new NaiveBuckets(widthUs, originUs, tz)));
  return nb;
}

/** Output columns per DESIGN §5 and candle-plan.ts, written out plainly. */
export function naiveColumns(fields: string[], q: CandleQuery): { cols: Col[]; closeSrc: string | null } {
  const fnOf: Record<string, AggregateFn> = { open: 'first', high: 'max', low: 'min', close: 'last' };
  const ohlc = ['open', 'high', 'low', 'close'];
  const bars = ohlc.some((f) => fields.includes(f));
  const ticks = !bars && fields.includes('price');
  const closeSrc = bars && fields.includes('close') ? 'close' : ticks ? 'price' : null;
  const defs: Col[] = [];
  for (const f of ohlc) {
    if (bars && fields.includes(f)) defs.push({ name: f, src: f, fn: fnOf[f], prev: closeSrc ? 'close' : 'self' });
    if (ticks) defs.push({ name: f, src: 'price', fn: fnOf[f], prev: 'close' });
  }
  for (const f of ['volume', 'amount']) if (fields.includes(f)) defs.push({ name: f, src: f, fn: 'sum', prev: 'zero' });
  for (const f of fields) {
    if (!ohlc.includes(f) && f !== 'volume' && f !== 'amount' && !(ticks && f === 'price')) defs.push({ name: f, src: f, fn: 'last', prev: 'self' });
  }
  const aggs = q.aggregations ?? {};
  const lookup = (name: string): Col => {
    if (aggs[name]) {
      const [src, fn] = aggs[name];
      return { name, src, fn, prev: fn === 'sum' || fn === 'count' ? 'zero' : 'self' };
    }
    const d = defs.find((c) => c.name === name);
    if (d) return d;
    const fn = fnOf[name] ?? (name === 'volume' || name === 'amount' ? 'sum' : 'last');
    return { name, src: name, fn, prev: fn === 'sum' ? 'zero' : 'self' };
  };
  const names = q.fields ?? (q.aggregations ? Object.keys(aggs) : defs.map((c) => c.name));
  return { cols: names.map(lookup), closeSrc };
}

function aggregate(vals: number[], fn: AggregateFn): number {
  const present = vals.filter((v) => !Number.isNaN(v));
  if (fn === 'count') return present.length;
  if (present.length === 0) return NaN;
  switch (fn) {
    case 'first':
      return present[0];
    case 'last':
      return present[present.length - 1];
    case 'min':
      return present.reduce((m, v) => (v < m ? v : m));
    case 'max':
      return present.reduce((m, v) => (v > m ? v : m));
    case 'sum':
      return present.reduce((s, v) => s + v, 0);
    case 'avg':
      return present.reduce((s, v) => s + v, 0) / present.length;
  }
}

/** Naive candles: rows grouped per bucket with NaiveBuckets, fill per DESIGN §5. */
export function naiveCandles(data: SeriesData, q: CandleQuery, nb: NaiveBuckets): { columns: string[]; ts: number[]; rows: number[][] } {
  const { cols, closeSrc } = naiveColumns(data.fields, q);
  const column = (src: string): Float64Array | undefined => data.values[data.fields.indexOf(src)];
  const groups = new Map<number, number[]>();
  for (let i = 0; i < data.ts.length; i++) {
    const t = data.ts[i];
    if (t < q.start || t >= q.end) continue;
    const b = nb.bucketStart(t);
    if (!groups.has(b)) groups.set(b, []);
    groups.get(b)!.push(i);
  }
  const valuesOf = (rows: number[], src: string): number[] => rows.map((i) => column(src)?.[i] ?? NaN);
  const bucketRow = (rows: number[]): number[] => cols.map((c) => aggregate(valuesOf(rows, c.src), c.fn));
  const fill = q.fill ?? 'none';
  const ts = fill === 'none' ? [...groups.keys()].sort((a, b) => a - b) : nb.grid(q.start, q.end);
  const out: number[][] = [];
  let prevRow: number[] | null = null;
  let prevClose = NaN;
  for (const b of ts) {
    const rows = groups.get(b);
    let row: number[];
    if (rows) {
      row = bucketRow(rows);
      if (closeSrc) prevClose = aggregate(valuesOf(rows, closeSrc), 'last');
    } else if (fill === 'null') row = cols.map(() => NaN);
    else row = cols.map((c, j) => (c.prev === 'zero' ? 0 : c.prev === 'close' && closeSrc ? prevClose : (prevRow?.[j] ?? NaN)));
    out.push(row);
    prevRow = row;
  }
  return { columns: ['timestamp', ...cols.map((c) => c.name)], ts, rows: out };
}
