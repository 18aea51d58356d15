import type { CandleQuery } from '../engine-api.ts';
import { ValidationError } from '../errors.ts';
import type { Interval } from './interval.ts';
import { MAX_BUCKET_TIME_US, type Bucketer } from './time-zone.ts';

/**
 * Most buckets a filled query may emit. Like InfluxDB's `max-select-buckets`: `fill` over a
 * wide range at a small interval is almost always a mistake, and each bucket is a row.
 */
export const MAX_FILL_BUCKETS = 1_000_000;

/**
 * Every bucket start of [q.start, q.end) for `fill`: from the bucket holding q.start (whose
 * start may be before q.start, as in InfluxDB) to the last bucket starting before q.end.
 * Throws ValidationError past MAX_FILL_BUCKETS.
 */
export function fillGrid(q: CandleQuery, interval: Interval, b: Bucketer): Float64Array {
  const lo = Math.max(q.start, -MAX_BUCKET_TIME_US);
  const hi = Math.min(q.end, MAX_BUCKET_TIME_US);
  if (!(hi > lo)) return new Float64Array(0);
  // Offset changes can add a bucket each; the exact count is enforced in the loop too.
  if ((hi - lo) / interval.widthUs > MAX_FILL_BUCKETS) throw tooMany(q);
  const out: number[] = [];
  for (let t = b.bucketStart(lo); t < hi; t = b.nextBucket(t)) {
    if (out.length === MAX_FILL_BUCKETS) throw tooMany(q);
    out.push(t);
  }
  return Float64Array.from(out);
}

function tooMany(q: CandleQuery): ValidationError {
  return new ValidationError(
    `fill=${q.fill} over this range at interval ${q.interval} would emit more than ${MAX_FILL_BUCKETS} candles: narrow the range or widen the interval`,
  );
}

/** Ascending union of two ascending, duplicate-free lists. */
export function unionSorted(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) out[n++] = a[i++];
    else if (i >= a.length || b[j] < a[i]) out[n++] = b[j++];
    else (out[n++] = a[i++]), j++;
  }
  return out.subarray(0, n);
}
