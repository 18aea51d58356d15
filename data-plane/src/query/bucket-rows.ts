import type { Bucketer } from './time-zone.ts';

/** Sorted rows split into buckets: bucket k holds rows [rowStart[k], rowStart[k+1]). */
export interface RowBuckets {
  /** number of buckets */
  count: number;
  /** bucket start (µs) of each bucket, ascending; length >= count */
  starts: Float64Array;
  /** first row of each bucket, plus the end row at [count]; length >= count + 1 */
  rowStart: Int32Array;
}

/**
 * First index in [lo, hi) whose value is >= `x` (hi if none), for ascending `a`. Positional
 * bounds (not an options object) because it runs once per bucket in hot paths.
 */
export function lowerBound(a: Float64Array, x: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Like lowerBound but galloping from `lo`: O(log d) for an answer d rows away, so splitting
 * 3600 one-second rows per hour costs ~12 comparisons per bucket and one-row buckets ~1.
 */
function gallop(a: Float64Array, x: number, lo: number, hi: number): number {
  let step = 1;
  let prev = lo;
  let i = lo;
  while (i < hi && a[i] < x) {
    prev = i + 1;
    i = lo + step;
    step *= 2;
  }
  return lowerBound(a, x, prev, Math.min(i, hi));
}

/** Which rows bucketRows splits and how. */
export interface BucketRowsOptions {
  /** first row (inclusive) and end row (exclusive) of `ts` */
  lo: number;
  hi: number;
  bucketer: Bucketer;
  /** expected bucket count, to size the first allocation (arrays grow by doubling) */
  expected: number;
}

/**
 * Splits the sorted timestamps `ts[lo..hi)` into buckets. Calls the bucketer once or twice
 * per bucket (never per row): contiguous buckets reuse the previous bucket's end as start.
 */
export function bucketRows(ts: Float64Array, opts: BucketRowsOptions): RowBuckets {
  const { lo, hi, bucketer: b, expected } = opts;
  let cap = Math.max(4, Math.min(hi - lo, Math.ceil(expected) + 2));
  let starts = new Float64Array(cap);
  let rowStart = new Int32Array(cap + 1);
  let n = 0;
  let start = NaN;
  let end = NaN;
  let i = lo;
  while (i < hi) {
    const t = ts[i];
    // Usually the row is in the bucket right after the previous one: one bucketer call.
    const next = n > 0 ? b.nextBucket(end) : NaN;
    if (t < next) {
      start = end;
      end = next;
    } else {
      start = b.bucketStart(t);
      end = b.nextBucket(start);
    }
    if (n === cap) {
      cap *= 2;
      const s2 = new Float64Array(cap);
      s2.set(starts);
      starts = s2;
      const r2 = new Int32Array(cap + 1);
      r2.set(rowStart);
      rowStart = r2;
    }
    starts[n] = start;
    rowStart[n] = i;
    n++;
    i = gallop(ts, end, i + 1, hi);
  }
  rowStart[n] = hi;
  return { count: n, starts, rowStart };
}
