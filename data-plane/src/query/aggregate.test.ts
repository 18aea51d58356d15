import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AggregateFn } from '../engine-api.ts';
import { ValidationError } from '../errors.ts';
import type { SeriesData } from '../model.ts';
import { aggregateRange } from './aggregate.ts';

const data: SeriesData = {
  symbol: 'stock.T.1',
  ts: Float64Array.of(10, 20, 30, 40),
  fields: ['price', 'volume'],
  values: [Float64Array.of(5, NaN, 3, 9), Float64Array.of(NaN, NaN, NaN, NaN)],
};

describe('aggregateRange()', () => {
  it('computes every function over [start, end), skipping NaN', () => {
    const fns: AggregateFn[] = ['first', 'last', 'min', 'max', 'sum', 'avg', 'count'];
    const r = aggregateRange(data, { start: 10, end: 40, aggregations: Object.fromEntries(fns.map((f) => [f, ['price', f]])) });
    expect(r).toEqual({ first: 5, last: 3, min: 3, max: 5, sum: 8, avg: 4, count: 2 });
  });

  it('gives NaN (count 0) where no value is present or the range is empty', () => {
    expect(aggregateRange(data, { start: 0, end: 100, aggregations: { v: ['volume', 'sum'], n: ['volume', 'count'] } })).toEqual({ v: NaN, n: 0 });
    expect(aggregateRange(data, { start: 50, end: 10, aggregations: { p: ['price', 'max'] } })).toEqual({ p: NaN });
  });

  it('rejects an unknown field or function', () => {
    expect(() => aggregateRange(data, { start: 0, end: 1, aggregations: { x: ['bogus', 'max'] } })).toThrow(ValidationError);
    expect(() => aggregateRange(data, { start: 0, end: 1, aggregations: { x: ['price', 'p99' as AggregateFn] } })).toThrow(ValidationError);
  });

  it('equals plain array arithmetic on random data', () => {
    const v = fc.oneof(fc.constant(NaN), fc.integer({ min: -100, max: 100 }));
    fc.assert(
      fc.property(fc.array(v, { maxLength: 50 }), fc.nat(60), fc.nat(60), (vals, a, b) => {
        const d: SeriesData = { symbol: 's', ts: Float64Array.from(vals, (_, i) => i), fields: ['x'], values: [Float64Array.from(vals)] };
        const present = vals.slice(Math.min(a, b), Math.max(a, b)).filter((x) => !Number.isNaN(x));
        const r = aggregateRange(d, { start: Math.min(a, b), end: Math.max(a, b), aggregations: { s: ['x', 'sum'], n: ['x', 'count'], hi: ['x', 'max'] } });
        expect(r.n).toBe(present.length);
        expect(r.s).toBe(present.length ? present.reduce((x, y) => x + y, 0) : NaN);
        expect(r.hi).toBe(present.length ? Math.max(...present) : NaN);
      }),
    );
  });
});
