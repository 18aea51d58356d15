import { ValidationError } from '../errors.ts';

/** Units of a candle interval: seconds, minutes, hours, days, weeks. */
export type IntervalUnit = 's' | 'm' | 'h' | 'd' | 'w';

/**
 * A parsed candle interval. Buckets are ranges of *local wall-clock* time in the query's zone
 * (see time-zone.ts): label k covers local times [origin + k·width, origin + (k+1)·width).
 * Immutable; plain data, so it can cross to worker threads.
 */
export interface Interval {
  /** canonical text, e.g. "15m" */
  readonly text: string;
  readonly count: number;
  readonly unit: IntervalUnit;
  /** bucket width in local wall-clock µs */
  readonly widthUs: number;
  /** local wall-clock µs where label 0 starts: 0 (1970-01-01 00:00 local), Monday 1969-12-29 for weeks */
  readonly originUs: number;
  /**
   * true for d and w: a bucket runs from local midnight to local midnight, so it lasts 23 or 25
   * real hours across a DST change. Sub-day intervals are fixed-width except where a UTC-offset
   * change that is not a multiple of the width cuts or stretches one bucket.
   */
  readonly calendar: boolean;
}

const US_PER_UNIT: Record<IntervalUnit, number> = {
  s: 1e6,
  m: 60e6,
  h: 3600e6,
  d: 86_400e6,
  w: 7 * 86_400e6,
};

/** Widest accepted interval (about ten years): wider buckets are a mistake, not a query. */
export const MAX_INTERVAL_US = 3660 * 86_400e6;

/** 1970-01-01 was a Thursday; weeks start on Monday like most exchanges' trading weeks. */
const MONDAY_ORIGIN_US = -3 * 86_400e6;

const INTERVAL_PATTERN = /^([1-9][0-9]{0,9})([smhdw])$/;

/**
 * Parses `Ns|Nm|Nh|Nd|Nw` (N a positive integer without sign or leading zeros), e.g. "1s",
 * "5m", "1h", "4h", "1d", "1w". Throws ValidationError naming the input otherwise, or when the
 * interval is wider than MAX_INTERVAL_US. Pure; worker-safe.
 */
export function parseInterval(s: string): Interval {
  const m = INTERVAL_PATTERN.exec(s);
  if (!m) {
    throw new ValidationError(
      `invalid interval ${JSON.stringify(s)}: expected a positive integer and a unit s|m|h|d|w, e.g. 1m, 15m, 1h, 1d, 1w`,
    );
  }
  const count = Number(m[1]);
  const unit = m[2] as IntervalUnit;
  const widthUs = count * US_PER_UNIT[unit];
  if (widthUs > MAX_INTERVAL_US) {
    throw new ValidationError(`invalid interval ${JSON.stringify(s)}: wider than the maximum of 3660d`);
  }
  return {
    text: `${count}${unit}`,
    count,
    unit,
    widthUs,
    originUs: unit === 'w' ? MONDAY_ORIGIN_US : 0,
    calendar: unit === 'd' || unit === 'w',
  };
}
