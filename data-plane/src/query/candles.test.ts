import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AggregateFn, CandleQuery, CandleResult } from '../engine-api.ts';
import { ValidationError } from '../errors.ts';
import type { SeriesData } from '../model.ts';
import { MAX_FILL_BUCKETS } from './candle-fill.ts';
import { buildCandles, mergeCandlePartials, partialCandles, partialCandlesOfSlices, type CandlePartial } from './candles.ts';
import { parseInterval } from './interval.ts';
import { naiveBuckets, naiveCandles, naiveColumns } from './naive-reference.test-util.ts';

const H = 3600e6;
const us = (iso: string): number => Date.parse(iso) * 1000;

function series(fields: string[], ts: number[], cols: number[][]): SeriesData {
  return { symbol: 'stock.T.1', ts: Float64Array.from(ts), fields, values: cols.map((c) => Float64Array.from(c)) };
}

/** Rows of a result as plain arrays (timestamp first), NaN as null, -0 as 0, for toEqual. */
function rowsOf(r: CandleResult): (number | null)[][] {
  return Array.from(r.ts, (t, k) => [t, ...r.values.map((v) => (Number.isNaN(v[k]) ? null : v[k] + 0))]);
}

function query(over: Partial<CandleQuery>): CandleQuery {
  return { symbol: 'stock.T.1', start: -Infinity, end: Infinity, interval: '1h', tz: 'UTC', ...over };
}

describe('buildCandles() on fixed examples', () => {
  const t0 = us('2024-01-02T09:00:00Z');
  const bars = series(
    ['open', 'high', 'low', 'close', 'volume', 'amount', 'vwap'],
    [t0, t0 + 60e6, t0 + H + 5e6, t0 + 3 * H],
    [
      [10, 11, 20, 30],
      [12, 15, 21, 31],
      [9, 10, 19, 29],
      [11, 14, 20.5, 30.5],
      [100, 200, 50, NaN],
      [1000, 2000, 500, 700],
      [10.5, 12, 20, 30],
    ],
  );

  it('bars: open=first, high=max, low=min, close=last, volume/amount=sum, others last', () => {
    const r = buildCandles(bars, query({}));
    expect(r.columns).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume', 'amount', 'vwap']);
    expect(r.interval).toBe('1h');
    expect(rowsOf(r)).toEqual([
      [t0, 10, 15, 9, 14, 300, 3000, 12],
      [t0 + H, 20, 21, 19, 20.5, 50, 500, 20],
      [t0 + 3 * H, 30, 31, 29, 30.5, null, 700, 30], // volume absent in every row: null
    ]);
  });

  it('ticks: OHLC of price, volume summed, bid/ask last; price itself is not a default column', () => {
    const ticks = series(['price', 'volume', 'bid', 'ask'], [t0, t0 + 1, t0 + 2, t0 + H], [[5, 7, 6, 8], [1, 2, 3, 4], [4.9, 6.9, NaN, 7.9], [5.1, 7.1, 6.1, 8.1]]);
    const r = buildCandles(ticks, query({}));
    expect(r.columns).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume', 'bid', 'ask']);
    expect(rowsOf(r)).toEqual([
      [t0, 5, 7, 5, 6, 6, 6.9, 6.1],
      [t0 + H, 8, 8, 8, 8, 4, 7.9, 8.1],
    ]);
    expect(rowsOf(buildCandles(ticks, query({ fields: ['price', 'close'] })))[0]).toEqual([t0, 6, 6]);
  });

  it('fields select and reorder; aggregations add columns or, alone, are the output', () => {
    const r = buildCandles(bars, query({ fields: ['close', 'open', 'n'], aggregations: { n: ['close', 'count'] } }));
    expect(r.columns).toEqual(['timestamp', 'close', 'open', 'n']);
    expect(rowsOf(r)[0]).toEqual([t0, 14, 10, 2]);
    const a = buildCandles(bars, query({ aggregations: { avgClose: ['close', 'avg'], lo: ['low', 'min'], v: ['volume', 'count'] } }));
    expect(a.columns).toEqual(['timestamp', 'avgClose', 'lo', 'v']);
    expect(rowsOf(a)).toEqual([
      [t0, 12.5, 9, 2],
      [t0 + H, 20.5, 19, 1],
      [t0 + 3 * H, 30.5, 29, 0],
    ]);
  });

  it('only rows in [start, end) count; the first candle keeps its bucket start', () => {
    const r = buildCandles(bars, query({ start: t0 + 60e6, end: t0 + 3 * H }));
    expect(rowsOf(r).map((row) => row.slice(0, 2))).toEqual([
      [t0, 11],
      [t0 + H, 20],
    ]);
    expect(buildCandles(bars, query({ start: t0, end: t0 })).ts.length).toBe(0);
  });

  it('fill=null emits every bucket of [start, end) with nulls', () => {
    const r = buildCandles(bars, query({ start: t0 - H + 1, end: t0 + 4 * H, fill: 'null', fields: ['close', 'volume'] }));
    expect(rowsOf(r)).toEqual([
      [t0 - H, null, null],
      [t0, 14, 300],
      [t0 + H, 20.5, 50],
      [t0 + 2 * H, null, null],
      [t0 + 3 * H, 30.5, null],
    ]);
  });

  it('fill=prev: OHLC = previous close, volume/amount/count 0, others previous value; nothing before the first row', () => {
    const r = buildCandles(bars, query({ start: t0 - H, end: t0 + 3 * H, fill: 'prev', fields: ['open', 'high', 'low', 'close', 'volume', 'vwap', 'n'], aggregations: { n: ['close', 'count'] } }));
    expect(rowsOf(r)).toEqual([
      [t0 - H, null, null, null, null, 0, null, 0],
      [t0, 10, 15, 9, 14, 300, 12, 2],
      [t0 + H, 20, 21, 19, 20.5, 50, 20, 1],
      [t0 + 2 * H, 20.5, 20.5, 20.5, 20.5, 0, 20, 0],
    ]);
    // open alone still fills from the previous close
    expect(rowsOf(buildCandles(bars, query({ start: t0, end: t0 + 3 * H, fill: 'prev', fields: ['open'] })))[2]).toEqual([t0 + 2 * H, 20.5]);
  });

  it('empty input: no candles, or the filled grid; unknown symbols accept any field names', () => {
    const empty = series([], [], []);
    expect(buildCandles(empty, query({})).ts.length).toBe(0);
    const r = buildCandles(empty, query({ start: t0, end: t0 + 2 * H, fill: 'prev', fields: ['close', 'volume'] }));
    expect(r.columns).toEqual(['timestamp', 'close', 'volume']);
    expect(rowsOf(r)).toEqual([
      [t0, null, 0],
      [t0 + H, null, 0],
    ]);
    const noRows = series(['price', 'volume'], [], [[], []]);
    expect(buildCandles(noRows, query({})).columns).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume']);
  });

  it.each<[string, Partial<CandleQuery>, RegExp]>([
    ['an unknown field, naming it', { fields: ['close', 'bogus'] }, /unknown field "bogus"/],
    ['an unknown aggregation source', { aggregations: { x: ['nope', 'max'] } }, /unknown source field "nope"/],
    ['an unknown aggregate function', { aggregations: { x: ['close', 'median' as AggregateFn] } }, /first\|last\|min\|max\|sum\|avg\|count/],
    ['a reserved column name', { aggregations: { timestamp: ['close', 'max'] } }, /reserved/],
    ['a field asked twice', { fields: ['close', 'close'] }, /twice/],
    ['a bad interval', { interval: '1y' }, /interval/],
    ['a bad zone', { tz: 'Mars/Base' }, /time zone/],
    ['a bad fill', { fill: 'linear' as 'prev' }, /fill/],
    ['a fill over too many buckets', { start: 0, end: (MAX_FILL_BUCKETS + 1) * 1e6, interval: '1s', fill: 'null' }, /more than/],
    ['a fill over an unbounded range', { fill: 'null' }, /more than/],
  ])('rejects %s with a ValidationError', (_name, over, msg) => {
    expect(() => buildCandles(bars, query(over))).toThrow(ValidationError);
    expect(() => buildCandles(bars, query(over))).toThrow(msg);
  });

  it('merges partials whose slices have different fields (schema grew later)', () => {
    const early = series(['close', 'volume'], [t0, t0 + 1], [[1, 2], [5, 5]]);
    const late = series(['close', 'volume', 'amount'], [t0 + 2, t0 + H], [[3, 4], [5, 5], [7, 8]]);
    const r = mergeCandlePartials([partialCandles(late, query({})), partialCandles(early, query({}))], query({}));
    expect(r.columns).toEqual(['timestamp', 'close', 'volume', 'amount']);
    expect(rowsOf(r)).toEqual([
      [t0, 3, 15, 7],
      [t0 + H, 4, 5, 8],
    ]);
    expect(() => mergeCandlePartials([partialCandles(early, query({ fields: ['vwap'] }))], query({ fields: ['vwap'] }))).toThrow(/unknown field "vwap"/);
  });
});

// ---- property tests against the naive reference ------------------------------------------

/** Zones with instants near their DST changes (where they have any) to centre random rows on. */
const ZONE_ANCHORS: [string, number][] = (
  [
    ['UTC', '2019-07-01T01:30:00Z'],
    ['Asia/Shanghai', '1991-09-14T16:00:00Z'],
    ['Asia/Shanghai', '2024-01-01T00:00:00Z'],
    ['Asia/Kolkata', '2024-01-01T00:00:00Z'],
    ['America/New_York', '2024-03-10T07:00:00Z'],
    ['America/New_York', '2024-11-03T06:00:00Z'],
    ['Australia/Lord_Howe', '2024-04-06T15:00:00Z'],
    ['Australia/Lord_Howe', '2024-10-05T15:30:00Z'],
  ] as const
).map(([tz, a]) => [tz, us(a)]);
const INTERVALS = ['1s', '15s', '1m', '5m', '7m', '15m', '30m', '1h', '90m', '4h', '1d', '2d', '1w'];
const SCHEMAS: string[][] = [
  ['open', 'high', 'low', 'close', 'volume', 'amount', 'vwap'],
  ['open', 'high', 'low', 'close', 'volume'],
  ['price', 'volume', 'bid', 'ask'],
  ['x', 'y'],
];
const FNS: AggregateFn[] = ['first', 'last', 'min', 'max', 'sum', 'avg', 'count'];

/** A value: absent (NaN) one time in five, else a multiple of 1/8 (sums stay exact in any order). */
const value = fc.oneof({ weight: 1, arbitrary: fc.constant(NaN) }, { weight: 4, arbitrary: fc.integer({ min: -8000, max: 8000 }).map((i) => i / 8) });
const gap = fc.oneof(fc.integer({ min: 1, max: 90e6 }), fc.integer({ min: 1, max: 3 * H }), fc.integer({ min: 1, max: 8 * H }));

const caseArb = fc
  .record({
    zone: fc.constantFrom(...ZONE_ANCHORS),
    interval: fc.constantFrom(...INTERVALS),
    schema: fc.constantFrom(...SCHEMAS),
    lead: fc.integer({ min: -30 * H, max: 0 }),
    gaps: fc.array(gap, { maxLength: 60 }),
    startOff: fc.integer({ min: -36 * H, max: 24 * H }),
    span: fc.integer({ min: 0, max: 72 * H }),
    fill: fc.constantFrom<CandleQuery['fill']>(undefined, 'none', 'null', 'prev'),
    pick: fc.option(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 4 }), { nil: undefined }),
    aggs: fc.option(fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.constantFrom(...FNS)), { minLength: 1, maxLength: 4 }), { nil: undefined }),
    seed: fc.integer(),
  })
  .chain((c) => {
    const n = c.gaps.length;
    return fc.record({ c: fc.constant(c), cols: fc.array(fc.array(value, { minLength: n, maxLength: n }), { minLength: c.schema.length, maxLength: c.schema.length }) });
  })
  .map(({ c, cols }) => {
    const ts: number[] = [];
    const [tz, anchor] = c.zone;
    let t = anchor + c.lead;
    for (const g of c.gaps) ts.push((t += g));
    const data = series(c.schema, ts, cols);
    const width = parseInterval(c.interval).widthUs;
    let start = anchor + c.startOff;
    let end = start + c.span;
    if (c.fill === 'null' || c.fill === 'prev') end = Math.min(end, start + 200 * width); // keep the naive grid walk short
    if (c.seed % 7 === 0) [start, end] = [-Infinity, Infinity];
    if (c.seed % 7 === 0 && (c.fill === 'null' || c.fill === 'prev')) c.fill = 'none';
    const aggregations = c.aggs ? Object.fromEntries(c.aggs.map(([src, fn], i) => [`a${i}`, [c.schema[src % c.schema.length], fn] as [string, AggregateFn]])) : undefined;
    const q: CandleQuery = { symbol: 'stock.T.1', start, end, interval: c.interval, tz, fill: c.fill, aggregations };
    if (c.pick) {
      const available = [...naiveColumns(c.schema, { ...q, fields: undefined, aggregations: undefined }).cols.map((x) => x.name), ...c.schema, ...Object.keys(aggregations ?? {})];
      q.fields = [...new Set(c.pick.map((i) => available[i % available.length]))];
    }
    return { data, q, seed: c.seed };
  });

describe('buildCandles() against the naive reference', () => {
  it('equals the naive per-row grouping (random rows, zones, intervals, DST, fill, fields, NaN)', () => {
    fc.assert(
      fc.property(caseArb, ({ data, q }) => {
        const iv = parseInterval(q.interval);
        const naive = naiveCandles(data, q, naiveBuckets(iv.widthUs, iv.originUs, q.tz));
        const fast = buildCandles(data, q);
        expect(fast.columns).toEqual(naive.columns);
        const norm = (v: number): number | null => (Number.isNaN(v) ? null : v + 0);
        expect(rowsOf(fast)).toEqual(naive.ts.map((t, k) => [t, ...naive.rows[k].map(norm)]));
      }),
      { numRuns: 400 },
    );
  });

  it('merging partials of random disjoint slices, in any order, equals the unsplit result', () => {
    fc.assert(
      fc.property(caseArb, fc.array(fc.nat(), { maxLength: 6 }), fc.array(fc.double({ noNaN: true }), { maxLength: 8 }), ({ data, q }, cuts, order) => {
        const n = data.ts.length;
        const bounds = n === 0 ? [0, 0] : [...new Set([0, n, ...cuts.map((c) => c % (n + 1))])].sort((a, b) => a - b);
        const parts: CandlePartial[] = [];
        for (let i = 0; i + 1 < bounds.length; i++) {
          const [a, b] = [bounds[i], bounds[i + 1]];
          const slice = { ...data, ts: data.ts.subarray(a, b), values: data.values.map((v) => v.subarray(a, b)) };
          parts.push(structuredClone(partialCandles(slice, q))); // as if returned by a worker
        }
        const keyed = parts.map((p, i) => ({ p, k: order[i] ?? i }));
        keyed.sort((x, y) => x.k - y.k);
        expect(rowsOf(mergeCandlePartials(keyed.map((x) => x.p), q))).toEqual(rowsOf(buildCandles(data, q)));
      }),
      { numRuns: 300 },
    );
  });

  it('partialCandlesOfSlices() over random disjoint slices, merged with other partials, equals the unsplit result', () => {
    fc.assert(
      fc.property(caseArb, fc.array(fc.nat(), { maxLength: 8 }), fc.nat(), ({ data, q }, cuts, split) => {
        const n = data.ts.length;
        const bounds = n === 0 ? [0, 0] : [...new Set([0, n, ...cuts.map((c) => c % (n + 1))])].sort((a, b) => a - b);
        const slices: SeriesData[] = [];
        for (let i = 0; i + 1 < bounds.length; i++) {
          const [a, b] = [bounds[i], bounds[i + 1]];
          slices.push({ ...data, ts: data.ts.subarray(a, b), values: data.values.map((v) => v.subarray(a, b)) });
        }
        // Some slices in one partial (a worker's task), the rest in another, merged in reverse.
        const k = slices.length ? split % (slices.length + 1) : 0;
        const parts = [slices.slice(k), slices.slice(0, k)].filter((x) => x.length).map((x) => structuredClone(partialCandlesOfSlices(x, q)));
        expect(rowsOf(mergeCandlePartials(parts, q))).toEqual(rowsOf(buildCandles(data, q)));
      }),
      { numRuns: 300 },
    );
  });
});
