import type { AggregateFn } from '../engine-api.ts';
import type { AccKind } from './candle-plan.ts';
import type { RowBuckets } from './bucket-rows.ts';

/**
 * Per-bucket accumulator states: the mergeable form of every aggregate. NaN (absent) values are
 * skipped everywhere. Layout of the two arrays by kind:
 * - first: a = timestamp of the first present value (+Infinity: none), b = that value
 * - last:  a = timestamp of the last present value (-Infinity: none), b = that value
 * - min / max: a = the extreme (NaN: none), b unused (empty)
 * - sum:   a = sum of present values, b = their count (serves sum, avg and count)
 * Plain data (typed arrays): structured-clones to and from worker threads.
 */
export interface AccState {
  key: string;
  kind: AccKind;
  a: Float64Array;
  b: Float64Array;
}

/** The bucketed rows an accumulator runs over: the series' timestamps, one value column, buckets. */
export interface AccInput {
  ts: Float64Array;
  vals: Float64Array;
  buckets: RowBuckets;
}

/**
 * Runs one accumulator over bucketed rows. One tight loop per kind (monomorphic, no per-row
 * allocation).
 */
export function accumulate(spec: { key: string; kind: AccKind }, input: AccInput): AccState {
  const { key, kind } = spec;
  const { ts, vals, buckets: bk } = input;
  const n = bk.count;
  const a = new Float64Array(n);
  const b = kind === 'min' || kind === 'max' ? new Float64Array(0) : new Float64Array(n);
  const rs = bk.rowStart;
  switch (kind) {
    case 'first':
      accFirst(ts, vals, rs, n, a, b);
      break;
    case 'last':
      accLast(ts, vals, rs, n, a, b);
      break;
    case 'min':
      accMin(vals, rs, n, a);
      break;
    case 'max':
      accMax(vals, rs, n, a);
      break;
    case 'sum':
      accSum(vals, rs, n, a, b);
      break;
  }
  return { key, kind, a, b };
}

function accFirst(ts: Float64Array, v: Float64Array, rs: Int32Array, n: number, a: Float64Array, b: Float64Array): void {
  for (let k = 0; k < n; k++) {
    const end = rs[k + 1];
    let i = rs[k];
    while (i < end && v[i] !== v[i]) i++;
    a[k] = i < end ? ts[i] : Infinity;
    b[k] = i < end ? v[i] : NaN;
  }
}

function accLast(ts: Float64Array, v: Float64Array, rs: Int32Array, n: number, a: Float64Array, b: Float64Array): void {
  for (let k = 0; k < n; k++) {
    const begin = rs[k];
    let i = rs[k + 1] - 1;
    while (i >= begin && v[i] !== v[i]) i--;
    a[k] = i >= begin ? ts[i] : -Infinity;
    b[k] = i >= begin ? v[i] : NaN;
  }
}

function accMin(v: Float64Array, rs: Int32Array, n: number, a: Float64Array): void {
  for (let k = 0; k < n; k++) {
    // NaN < m is false, so absent values never win; +Infinity means "none" (the parsers
    // reject infinities, so no stored value can be +Infinity).
    let m = Infinity;
    for (let i = rs[k], end = rs[k + 1]; i < end; i++) if (v[i] < m) m = v[i];
    a[k] = m === Infinity ? NaN : m;
  }
}

function accMax(v: Float64Array, rs: Int32Array, n: number, a: Float64Array): void {
  for (let k = 0; k < n; k++) {
    let m = -Infinity;
    for (let i = rs[k], end = rs[k + 1]; i < end; i++) if (v[i] > m) m = v[i];
    a[k] = m === -Infinity ? NaN : m;
  }
}

function accSum(v: Float64Array, rs: Int32Array, n: number, a: Float64Array, b: Float64Array): void {
  for (let k = 0; k < n; k++) {
    let s = 0;
    let c = 0;
    for (let i = rs[k], end = rs[k + 1]; i < end; i++) {
      const x = v[i];
      if (x === x) {
        s += x;
        c++;
      }
    }
    a[k] = s;
    b[k] = c;
  }
}

/** An accumulator of `n` empty buckets (identity for mergeInto). */
export function emptyAcc(key: string, kind: AccKind, n: number): AccState {
  const a = new Float64Array(n).fill(kind === 'first' ? Infinity : kind === 'last' ? -Infinity : kind === 'sum' ? 0 : NaN);
  const b = kind === 'min' || kind === 'max' ? new Float64Array(0) : new Float64Array(n).fill(kind === 'sum' ? 0 : NaN);
  return { key, kind, a, b };
}

/**
 * Folds bucket j of `src` into bucket `map[j]` of `dst` (same kind). Order-independent for
 * first/last/min/max; sums add in call order, so float sums may differ from a one-pass sum in
 * the last bits (integer volumes stay exact).
 */
export function mergeInto(dst: AccState, src: AccState, map: Int32Array): void {
  const da = dst.a;
  const db = dst.b;
  const sa = src.a;
  const sb = src.b;
  const n = map.length;
  switch (dst.kind) {
    case 'first':
      for (let j = 0; j < n; j++) if (sa[j] < da[map[j]]) (da[map[j]] = sa[j]), (db[map[j]] = sb[j]);
      break;
    case 'last':
      for (let j = 0; j < n; j++) if (sa[j] > da[map[j]]) (da[map[j]] = sa[j]), (db[map[j]] = sb[j]);
      break;
    case 'min':
      for (let j = 0; j < n; j++) if (sa[j] < da[map[j]] || da[map[j]] !== da[map[j]]) da[map[j]] = sa[j];
      break;
    case 'max':
      for (let j = 0; j < n; j++) if (sa[j] > da[map[j]] || da[map[j]] !== da[map[j]]) da[map[j]] = sa[j];
      break;
    case 'sum':
      for (let j = 0; j < n; j++) (da[map[j]] += sa[j]), (db[map[j]] += sb[j]);
      break;
  }
}

/**
 * The final value of bucket `k` for function `fn` reading state `s` (null: no such field, so
 * NaN, or 0 for count). Positional: called per bucket and column when filling.
 */
export function finalValue(s: AccState | null, fn: AggregateFn, k: number): number {
  if (s === null) return fn === 'count' ? 0 : NaN;
  switch (fn) {
    case 'first':
    case 'last':
      return s.b[k];
    case 'min':
    case 'max':
      return s.a[k];
    case 'sum':
      return s.b[k] > 0 ? s.a[k] : NaN;
    case 'avg':
      return s.b[k] > 0 ? s.a[k] / s.b[k] : NaN;
    case 'count':
      return s.b[k];
  }
}

/**
 * The final values of all `n` buckets for `fn` reading `s` (a whole column; no fill). For
 * first/last/min/max/count this is the state's own array, not a copy (a 1s-candle query over
 * millions of rows would otherwise copy every column once more): columns may share storage
 * with each other and with `s`, so treat results as read-only.
 */
export function finalColumn(s: AccState | null, fn: AggregateFn, n: number): Float64Array {
  if (s === null) return new Float64Array(n).fill(fn === 'count' ? 0 : NaN);
  switch (fn) {
    case 'first':
    case 'last':
    case 'count':
      return s.b.subarray(0, n);
    case 'min':
    case 'max':
      return s.a.subarray(0, n);
    default: {
      // sum / avg: null where no value was present
      const out = new Float64Array(n);
      const a = s.a;
      const c = s.b;
      const avg = fn === 'avg';
      for (let k = 0; k < n; k++) out[k] = c[k] > 0 ? (avg ? a[k] / c[k] : a[k]) : NaN;
      return out;
    }
  }
}
