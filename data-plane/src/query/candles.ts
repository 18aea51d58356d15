import type { CandleQuery, CandleResult } from '../engine-api.ts';
import { ValidationError } from '../errors.ts';
import type { SeriesData } from '../model.ts';
import { accumulate, emptyAcc, finalColumn, finalValue, mergeInto, type AccState } from './accumulators.ts';
import { bucketRows, lowerBound } from './bucket-rows.ts';
import { fillGrid, unionSorted } from './candle-fill.ts';
import { planCandles, type CandlePlan } from './candle-plan.ts';
import { parseInterval, type Interval } from './interval.ts';
import { makeBucketer, validateTimeZone, type Bucketer } from './time-zone.ts';

/**
 * Candles (DESIGN §5). Buckets align to local wall-clock time in `q.tz` (see time-zone.ts),
 * are start-inclusive / end-exclusive, and only rows in [q.start, q.end) count; a candle's
 * timestamp is its bucket's start (the first bucket's may be before q.start). Columns: see
 * candle-plan.ts. NaN (absent) values are skipped by every aggregate; an aggregate with no
 * present value is null (NaN), except count (0).
 *
 * Fill: `none` omits empty buckets. `null` and `prev` emit every bucket overlapping
 * [q.start, q.end), like InfluxDB's fill over the whole WHERE range (not just between the
 * first and last row), at most MAX_FILL_BUCKETS. `null`: every column NaN. `prev`: OHLC
 * columns = the previous bucket's close, sum/count columns 0, other columns the previous
 * bucket's value; buckets before the first row of the range have no previous bucket, so they
 * are NaN (sum/count 0).
 *
 * Parallel form: partialCandles over disjoint time slices (e.g. in workers), then
 * mergeCandlePartials. All functions are pure and worker-safe.
 */

/** Mergeable per-bucket state of one slice of a series. Plain data: structured-clones. */
export interface CandlePartial {
  /** the slice's fields (its schema); the merge plans columns over the union */
  fields: string[];
  /** bucket starts (µs) of the slice's non-empty buckets, ascending */
  starts: Float64Array;
  /** one state per accumulator the slice could compute, keyed `kind(src)` */
  accs: AccState[];
}

interface Checked {
  interval: Interval;
  bucketer: Bucketer;
}

/** Validates the query parts every entry point shares. Throws ValidationError. */
function check(q: CandleQuery): Checked {
  if (Number.isNaN(q.start) || Number.isNaN(q.end) || typeof q.start !== 'number' || typeof q.end !== 'number') {
    throw new ValidationError('candle query: start and end must be numbers (µs)');
  }
  if (q.fill !== undefined && q.fill !== 'none' && q.fill !== 'null' && q.fill !== 'prev') {
    throw new ValidationError(`invalid fill ${JSON.stringify(q.fill)}: expected none, null or prev`);
  }
  const interval = parseInterval(q.interval);
  validateTimeZone(q.tz);
  return { interval, bucketer: makeBucketer(interval, q.tz) };
}

/**
 * Validates the parts of `q` every slice and the final merge share (interval, zone, fill), so
 * a batch can refuse one bad query before handing the others to the workers. Columns are
 * validated later, against the series' fields. Throws ValidationError.
 */
export function checkCandleQuery(q: CandleQuery): void {
  check(q);
}

/**
 * Per-bucket accumulator states of `data`'s rows in [q.start, q.end). Lenient about fields
 * this slice lacks (another slice may have them): mergeCandlePartials validates columns.
 * Throws ValidationError for a bad interval, zone, fill or aggregation spec.
 */
export function partialCandles(data: SeriesData, q: CandleQuery): CandlePartial {
  const { interval, bucketer } = check(q);
  return partialWith(data, q, planCandles(data.fields, q, false), interval, bucketer);
}

/**
 * One partial over several slices of a series that are disjoint in time (e.g. its stored
 * segments), each aggregated where it lies (no concatenating copy), with one validation and
 * one plan per distinct schema. Lenient about fields like partialCandles. Throws ValidationError.
 */
export function partialCandlesOfSlices(slices: SeriesData[], q: CandleQuery): CandlePartial {
  const { interval, bucketer } = check(q);
  const plans = new Map<string, CandlePlan>();
  const parts: CandlePartial[] = [];
  for (const s of slices) {
    const schema = s.fields.join('\n');
    let plan = plans.get(schema);
    if (!plan) plans.set(schema, (plan = planCandles(s.fields, q, false)));
    parts.push(partialWith(s, q, plan, interval, bucketer));
  }
  if (parts.length === 1) return parts[0];
  const fields = unionFields(parts);
  const { starts, accs } = combine(parts, planCandles(fields, q, false));
  return { fields, starts, accs };
}

function partialWith(data: SeriesData, q: CandleQuery, plan: CandlePlan, interval: Interval, bucketer: Bucketer): CandlePartial {
  const ts = data.ts;
  const lo = lowerBound(ts, q.start);
  const hi = q.end > q.start ? lowerBound(ts, q.end, lo) : lo;
  const expected = hi > lo ? (ts[hi - 1] - ts[lo]) / interval.widthUs + 1 : 0;
  const buckets = bucketRows(ts, { lo, hi, bucketer, expected });
  const accs = plan.accs.map((spec) => accumulate(spec, { ts, vals: data.values[data.fields.indexOf(spec.src)], buckets }));
  // A copy only when the array has spare capacity: a structured clone sends a view's whole buffer.
  const starts = buckets.count === buckets.starts.length ? buckets.starts : buckets.starts.slice(0, buckets.count);
  return { fields: data.fields.slice(), starts, accs };
}

/**
 * Combines partials of disjoint time slices (any order; a bucket split across slices is
 * combined) into candles. Throws ValidationError for an unknown field (against the union of
 * the slices' fields), bad query parts, or a fill past MAX_FILL_BUCKETS.
 */
export function mergeCandlePartials(parts: CandlePartial[], q: CandleQuery): CandleResult {
  const { interval, bucketer } = check(q);
  const fields = unionFields(parts);
  const plan = planCandles(fields, q, true);
  const { starts, accs } = combine(parts, plan);
  return emit(starts, accs, plan, q, q.fill && q.fill !== 'none' ? fillGrid(q, interval, bucketer) : null);
}

/** Candles of one series on the calling thread (partialCandles + merge of that one partial). */
export function buildCandles(data: SeriesData, q: CandleQuery): CandleResult {
  const { interval, bucketer } = check(q);
  const plan = planCandles(data.fields, q, true); // validate before doing the work
  const part = partialWith(data, q, plan, interval, bucketer);
  return emit(part.starts, part.accs, plan, q, q.fill && q.fill !== 'none' ? fillGrid(q, interval, bucketer) : null);
}

function unionFields(parts: CandlePartial[]): string[] {
  const seen = new Set<string>();
  for (const p of parts) for (const f of p.fields) seen.add(f);
  return [...seen];
}

/** Merged bucket starts and one state per plan accumulator (missing in a slice = empty). */
function combine(parts: CandlePartial[], plan: CandlePlan): { starts: Float64Array; accs: AccState[] } {
  if (parts.length === 1) {
    const p = parts[0];
    const accs = plan.accs.map((s) => p.accs.find((a) => a.key === s.key) ?? emptyAcc(s.key, s.kind, p.starts.length));
    return { starts: p.starts, accs };
  }
  const starts = mergedStarts(parts);
  const accs = plan.accs.map((s) => emptyAcc(s.key, s.kind, starts.length));
  for (const p of parts) {
    const map = new Int32Array(p.starts.length);
    for (let j = 0; j < map.length; j++) map[j] = lowerBound(starts, p.starts[j]);
    for (const acc of accs) {
      const src = p.accs.find((a) => a.key === acc.key);
      if (src) mergeInto(acc, src, map);
    }
  }
  return { starts, accs };
}

/**
 * The sorted union of the parts' bucket starts. Parts of disjoint time slices, taken in time
 * order, overlap in at most one bucket where they meet: then this is one concatenation, O(n),
 * instead of a pairwise union per part (O(parts × n), which a long range of many segments hits).
 */
function mergedStarts(parts: CandlePartial[]): Float64Array {
  const order = parts.filter((p) => p.starts.length > 0).sort((a, b) => a.starts[0] - b.starts[0]);
  let total = 0;
  let last = -Infinity;
  for (const p of order) {
    const s = p.starts;
    if (s[0] < last) {
      // Interleaved (not slices of disjoint time ranges): the general union.
      let out: Float64Array = new Float64Array(0);
      for (const q of parts) out = unionSorted(out, q.starts);
      return out;
    }
    total += s.length - (s[0] === last ? 1 : 0);
    last = s[s.length - 1];
  }
  const out = new Float64Array(total);
  let n = 0;
  for (const p of order) {
    const s = p.starts;
    const from = n > 0 && s[0] === out[n - 1] ? 1 : 0;
    out.set(from ? s.subarray(1) : s, n);
    n += s.length - from;
  }
  return out;
}

/** Final columns, with empty buckets from `grid` filled per q.fill (grid null: no fill). */
function emit(starts: Float64Array, accs: AccState[], plan: CandlePlan, q: CandleQuery, grid: Float64Array | null): CandleResult {
  const cols = plan.columns;
  const result: CandleResult = {
    symbol: q.symbol,
    interval: q.interval,
    columns: ['timestamp', ...cols.map((c) => c.name)],
    ts: starts,
    values: [],
  };
  if (grid === null) {
    result.values = cols.map((c) => finalColumn(c.acc >= 0 ? accs[c.acc] : null, c.fn, starts.length));
    return result;
  }
  const ts = unionSorted(grid, starts);
  const values = cols.map(() => new Float64Array(ts.length));
  const prev = q.fill === 'prev';
  const closeAcc = plan.closeAcc >= 0 ? accs[plan.closeAcc] : null;
  let close = NaN;
  for (let r = 0, k = 0; r < ts.length; r++) {
    const hasData = k < starts.length && starts[k] === ts[r];
    for (let c = 0; c < cols.length; c++) {
      const col = cols[c];
      let v: number;
      if (hasData) v = finalValue(col.acc >= 0 ? accs[col.acc] : null, col.fn, k);
      else if (!prev) v = NaN;
      else if (col.prevFill === 'zero') v = 0;
      else if (col.prevFill === 'close') v = close;
      else v = r > 0 ? values[c][r - 1] : NaN;
      values[c][r] = v;
    }
    if (hasData) {
      if (closeAcc) close = finalValue(closeAcc, 'last', k);
      k++;
    }
  }
  result.ts = ts;
  result.values = values;
  return result;
}
