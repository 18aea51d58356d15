import type { AggregateFn } from '../engine-api.ts';
import { ValidationError } from '../errors.ts';
import type { SeriesData } from '../model.ts';
import { accumulate, finalValue } from './accumulators.ts';
import { lowerBound, type RowBuckets } from './bucket-rows.ts';
import { accKind, checkAggregations } from './candle-plan.ts';

/** A whole-range aggregate query: rows in [start, end) (µs), columns `name → [field, fn]`. */
export interface RangeAggregateQuery {
  start: number;
  end: number;
  aggregations: Record<string, [string, AggregateFn]>;
}

/**
 * Aggregates of `data`'s rows in [q.start, q.end), one number per requested column, with the
 * candle accumulators (one bucket spanning the range): NaN values are skipped; no present
 * value gives NaN (count: 0). Throws ValidationError for a bad spec or a field the series
 * lacks (a series with no fields at all gives NaN / 0). Pure; worker-safe.
 */
export function aggregateRange(data: SeriesData, q: RangeAggregateQuery): Record<string, number> {
  checkAggregations(q.aggregations);
  const lo = lowerBound(data.ts, q.start);
  const hi = q.end > q.start ? lowerBound(data.ts, q.end, lo) : lo;
  const buckets: RowBuckets = { count: 1, starts: Float64Array.of(q.start), rowStart: Int32Array.of(lo, hi) };
  const out: Record<string, number> = {};
  for (const [name, [src, fn]] of Object.entries(q.aggregations)) {
    const col = data.fields.indexOf(src);
    if (col < 0 && data.fields.length > 0) throw new ValidationError(`unknown field ${JSON.stringify(src)} for ${data.symbol}`);
    const state = col < 0 ? null : accumulate({ key: src, kind: accKind(fn) }, { ts: data.ts, vals: data.values[col], buckets });
    out[name] = finalValue(state, fn, 0);
  }
  return out;
}
