/**
 * Limits and timestamp rules shared by every write-body parser (line protocol, JSON, NDJSON).
 *
 * Pure (no I/O, no `node:*`): safe in workers.
 */
import { ValidationError } from '../errors.ts';
import { US_PER_UNIT, type Precision } from '../model.ts';

/** Per-request bounds a parser enforces while it parses (so a hostile body cannot blow memory up). */
export interface WriteLimits {
  /** Most rows one request may carry; more → ValidationError code `request_too_large` (HTTP 413). */
  maxRows: number;
  /**
   * Most values the parsed batch may hold, counting absent ones: Σ over series of rows × distinct
   * fields of that series. Bounds memory when rows use ever new field names (each one is a column
   * as long as its series); more → `request_too_large`.
   */
  maxValues: number;
}

/**
 * Defaults: 1M rows is ~100× a sensible batch (10K rows); 32M values = 256 MB of columns, i.e.
 * 1M rows of 32 fields, far past OHLCV + extras.
 */
export const DEFAULT_WRITE_LIMITS: Readonly<WriteLimits> = Object.freeze({
  maxRows: 1_000_000,
  maxValues: 32_000_000,
});

/** `partial` over DEFAULT_WRITE_LIMITS (missing or undefined entries take the default). */
export function resolveLimits(partial: Partial<WriteLimits> | undefined): WriteLimits {
  return {
    maxRows: partial?.maxRows ?? DEFAULT_WRITE_LIMITS.maxRows,
    maxValues: partial?.maxValues ?? DEFAULT_WRITE_LIMITS.maxValues,
  };
}

/**
 * Earliest accepted timestamp, µs: 1900-01-01T00:00:00Z (inclusive). Stock data starts after
 * 1900; the bound mainly catches unit mistakes (ms sent as s lands in year 50000+).
 */
export const MIN_TIME_US = Date.UTC(1900, 0, 1) * 1000;
/** End of the accepted range, µs: 2200-01-01T00:00:00Z (exclusive); far below 2^53 µs (year 2255). */
export const MAX_TIME_US = Date.UTC(2200, 0, 1) * 1000;

/** ValidationError code for a request over a WriteLimits bound (the HTTP layer maps it to 413). */
export const REQUEST_TOO_LARGE = 'request_too_large';

/** True when `us` is an integer inside [MIN_TIME_US, MAX_TIME_US). */
export function isTimeInRange(us: number): boolean {
  // NaN fails both comparisons; integrality matters because the engine keys on exact µs.
  return us >= MIN_TIME_US && us < MAX_TIME_US && Math.floor(us) === us;
}

/** Message for a timestamp outside the accepted range (no row prefix; callers add it). */
export function timeRangeMessage(raw: string, precision: Precision): string {
  return `timestamp ${raw} (precision ${precision}) is outside 1900-01-01..2200-01-01`;
}

/**
 * Converts a numeric timestamp in `precision` units to integer µs since the epoch.
 *
 * Rules (documented contract of the JSON API):
 * - `s`, `ms`: fractions are allowed and rounded to the nearest µs, because a JSON number such
 *   as 1700000000.123456 is not exact in binary and flooring would turn .123456 into .123455.
 *   A float64 count of seconds (ms) resolves every µs only below 2^31 s (2^41 ms), i.e. until
 *   2038; later fractional values may land on a neighbouring µs (use `us` or RFC 3339 there);
 * - `us`: must be an integer;
 * - `ns`: must be an integer; floored to µs (toward −∞, so every ns in [k µs, k+1 µs) maps to
 *   k, also before 1970). JSON numbers above 2^53 ns (any date after 1970-04-15) are already
 *   rounded by JSON.parse to a multiple of 256+ ns, so send `us` or an RFC 3339 string when
 *   sub-µs-exact ns matter.
 *
 * Throws ValidationError (no row prefix) when the value is not finite, not integral where
 * required, or outside [MIN_TIME_US, MAX_TIME_US).
 */
export function timestampToMicros(value: number, precision: Precision): number {
  if (!Number.isFinite(value)) throw new ValidationError(`timestamp ${value} is not a finite number`);
  let us: number;
  switch (precision) {
    case 's':
    case 'ms':
      us = Math.round(value * US_PER_UNIT[precision]);
      break;
    case 'us':
      if (!Number.isInteger(value)) throw new ValidationError(`timestamp ${value} must be an integer for precision us`);
      us = value;
      break;
    case 'ns':
      if (!Number.isInteger(value)) throw new ValidationError(`timestamp ${value} must be an integer for precision ns`);
      us = Math.floor(value / 1000);
      break;
    default:
      throw new ValidationError(`unknown precision ${JSON.stringify(precision)}`);
  }
  if (!isTimeInRange(us)) throw new ValidationError(timeRangeMessage(String(value), precision));
  return us === 0 ? 0 : us; // no −0 µs: Math.round(-0.4) is −0
}

/**
 * The server time to give rows that carry no timestamp: `nowUs` truncated (floored) to the
 * request's precision, as InfluxDB does (`defaultTime.Truncate(precision)`), so a Telegraf
 * write with precision=s lands on whole seconds.
 */
export function defaultTimeMicros(nowUs: number, precision: Precision): number {
  const unit = US_PER_UNIT[precision];
  const us = unit > 1 ? Math.floor(nowUs / unit) * unit : Math.floor(nowUs);
  if (!isTimeInRange(us)) throw new Error(`BUG: server time ${nowUs} µs is outside the accepted range`);
  return us;
}

/**
 * Reads a `precision` query parameter: `s|ms|us|ns`, plus InfluxDB v1 spellings `u` and `n`
 * (and `µs`). Missing or empty → `fallback`. Anything else → ValidationError naming the value.
 */
export function parsePrecision(param: string | null | undefined, fallback: Precision): Precision {
  if (param === undefined || param === null || param === '') return fallback;
  switch (param) {
    case 's':
    case 'ms':
    case 'us':
    case 'ns':
      return param;
    case 'u':
    case 'µs':
      return 'us';
    case 'n':
      return 'ns';
    default:
      throw new ValidationError(`precision ${JSON.stringify(param)} is not one of s, ms, us, ns`, 'invalid_precision');
  }
}
