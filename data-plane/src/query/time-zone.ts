import { ValidationError } from '../errors.ts';
import type { Interval } from './interval.ts';
import { newOffsetSpan, zoneOffsets } from './zone-offsets.ts';

/**
 * Bucket alignment in an IANA time zone.
 *
 * Semantics (one rule for every interval, sub-day or calendar): with local(u) = u + offset(u),
 * label(u) = floor((local(u) - origin) / width). A bucket *boundary* is every instant u where
 * local(u) is a multiple of the width (from the origin) or where the label changes across an
 * offset change. A row at t belongs to [b, b'), b the last boundary <= t, b' the next one after
 * t; the candle's timestamp is b (a UTC instant). Consequences:
 * - Asia/Kolkata (+05:30): 1h buckets start at hh:30 UTC; Asia/Shanghai 1d buckets start at
 *   16:00 UTC the day before.
 * - America/New_York 1d buckets run local midnight to local midnight (23 or 25 h on DST days);
 *   1h buckets stay one real hour each, including both 01:00 hours of the fall-back night.
 * - 4h buckets over a 1h DST change last 3 or 5 real hours (they cover 4 wall-clock hours).
 * - A spring-forward jump past a multiple (Lord_Howe's 02:00 -> 02:30 for 1h buckets) starts
 *   a bucket at the jump itself; buckets are always contiguous, ascending and non-empty in time.
 * Widths that do not divide a day (7m, 25h, 2d) count from 1970-01-01 00:00 local; weeks from
 * Monday 1969-12-29.
 */

/** Bucket arithmetic for one (interval, zone) pair. Mutable cache inside: one per thread/query. */
export interface Bucketer {
  /** Start (µs, UTC) of the bucket holding `tUs` (µs, UTC); always <= tUs. */
  bucketStart(tUs: number): number;
  /** Start of the first bucket after the one holding `startUs` (always > startUs). */
  nextBucket(startUs: number): number;
}

/**
 * Timestamps accepted by bucketers: |t| <= 2^53 µs (years 1684..2255), the range where µs in
 * a float64 are exact. Callers clip query ranges to it; rows are always inside it.
 */
export const MAX_BUCKET_TIME_US = 2 ** 53;

/**
 * A bucketer for `interval` in zone `tz` (validate it first with validateTimeZone). Fast:
 * it caches the current constant-offset span, so sorted input costs a range check and a few
 * float ops per call; Intl runs only when a new span of the zone is first needed (about one
 * call per day of history, once per thread). Worker-safe.
 */
export function makeBucketer(interval: Interval, tz: string): Bucketer {
  const zone = zoneOffsets(tz);
  const w = interval.widthUs;
  const origin = interval.originUs;
  const sp = newOffsetSpan();
  sp.lo = Infinity; // empty: the first call looks the span up
  sp.hi = -Infinity;

  // Floor to a multiple of w from the origin. The quotient may round to the neighbouring
  // integer near a multiple, so the remainder is corrected once; it is exact for |x| <= 2^53
  // (integers). Division instead of % because fmod costs ~3x more and runs once per bucket.
  const alignDown = (local: number): number => {
    const x = local - origin;
    let r = x - Math.floor(x / w) * w;
    if (r < 0) r += w;
    else if (r >= w) r -= w;
    return local - r;
  };
  // Two local times have the same label iff they align down to the same multiple.
  const label = alignDown;
  const lookup = (t: number): void => {
    if (!(t >= sp.lo && t < sp.hi)) {
      if (!(Math.abs(t) <= MAX_BUCKET_TIME_US)) throw new RangeError(`BUG: bucket time ${t} outside ±2^53 µs`);
      zone.spanAt(t, sp);
    }
  };

  const bucketStart = (tUs: number): number => {
    let t = tUs;
    for (;;) {
      lookup(t);
      const c = alignDown(t + sp.off) - sp.off;
      if (c >= sp.lo) return c;
      if (!sp.loReal) {
        // The span's start is only the edge of what has been computed: compute further back.
        zone.extendBefore();
        sp.hi = -Infinity;
        continue;
      }
      // No multiple of the width in [lo, t]: the bucket began at lo (if the label changed
      // there) or continues from before the offset change.
      if (label(sp.lo - 1 + sp.offBefore) !== label(sp.lo + sp.off)) return sp.lo;
      t = sp.lo - 1;
    }
  };

  const nextBucket = (startUs: number): number => {
    let t = startUs;
    for (;;) {
      lookup(t);
      const c = alignDown(t + sp.off) + w - sp.off;
      if (c < sp.hi) return c;
      if (!sp.hiReal) {
        zone.extendAfter();
        sp.hi = -Infinity;
        continue;
      }
      const localHi = sp.hi + sp.offAfter;
      if (alignDown(localHi) === localHi || label(localHi) !== label(sp.hi - 1 + sp.off)) return sp.hi;
      t = sp.hi;
    }
  };

  return { bucketStart, nextBucket };
}

const ZONE_PATTERN = /^[A-Za-z0-9_+\-/:]{1,64}$/;
const validated = new Map<string, string>();

/**
 * Checks that `tz` is an IANA zone this runtime knows (e.g. "Asia/Shanghai", "UTC") and
 * returns its canonical name; throws ValidationError naming it otherwise. Worker-safe.
 */
export function validateTimeZone(tz: string): string {
  const hit = validated.get(tz);
  if (hit !== undefined) return hit;
  if (!ZONE_PATTERN.test(tz)) throw new ValidationError(`invalid time zone ${JSON.stringify(tz)}: expected an IANA name such as Asia/Shanghai`);
  let canonical: string;
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch (cause) {
    throw new ValidationError(`unknown time zone ${JSON.stringify(tz)}: expected an IANA name such as Asia/Shanghai`, 'invalid_request', { cause });
  }
  // Valid names are a finite set, so this memo stays small.
  validated.set(tz, canonical);
  return canonical;
}
