/**
 * Parsing and validation of request parameters (query string and JSON bodies). Pure functions;
 * each throws ValidationError whose message names the parameter at fault and what was expected.
 */
import { ValidationError } from '../errors.ts';
import { MAX_TIME_US, MIN_TIME_US } from '../ingest/write-limits.ts';
import { FIELD_PATTERN, SYMBOL_PATTERN, type Precision } from '../model.ts';

/** Most symbols one batch/latest request may name (bounds work and answer size per request). */
export const MAX_SYMBOLS_PER_REQUEST = 10_000;

const UNIT_NAMES: Record<Precision, string> = { s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds' };
/** Power of ten from a precision unit to µs. */
const EXP_TO_US: Record<Precision, number> = { s: 6, ms: 3, us: 0, ns: -3 };

/** The value of a required parameter; `undefined` or empty → ValidationError `missing_parameter`. */
export function requireParam(value: string | undefined, name: string): string {
  if (value === undefined || value === '') {
    throw new ValidationError(`parameter "${name}" is required`, 'missing_parameter');
  }
  return value;
}

/** A series symbol (DESIGN §3 charset, 1–128 chars). */
export function parseSymbol(value: unknown, name = 'symbol'): string {
  if (typeof value !== 'string' || value === '') {
    throw new ValidationError(`parameter "${name}" is required and must be a symbol string`, 'missing_parameter');
  }
  if (!SYMBOL_PATTERN.test(value)) {
    throw new ValidationError(`parameter "${name}": "${clip(value)}" is not a valid symbol (1-128 chars of A-Z a-z 0-9 . _ : -)`);
  }
  return value;
}

/**
 * A symbol list, order kept, at least one: an array (JSON body), or with `csv` a comma-separated
 * string (query string). A JSON body's string is refused, not split: it is a type mistake.
 */
export function parseSymbolList(value: unknown, opts: { name?: string; csv?: boolean } = {}): string[] {
  const name = opts.name ?? 'symbols';
  const list = opts.csv && typeof value === 'string' ? value.split(',').filter((s) => s !== '') : value;
  if (!Array.isArray(list) || list.length === 0) {
    const what = value === undefined ? 'is required' : 'must be';
    throw new ValidationError(`parameter "${name}" ${what} a non-empty list of symbols`, 'missing_parameter');
  }
  if (list.length > MAX_SYMBOLS_PER_REQUEST) {
    throw new ValidationError(`parameter "${name}": ${list.length} symbols; at most ${MAX_SYMBOLS_PER_REQUEST} per request`);
  }
  return list.map((s, i) => parseSymbol(s, `${name}[${i}]`));
}

/** Optional `fields=a,b` (or a JSON array): field names, order kept; undefined when absent. */
export function parseFields(value: unknown, name = 'fields'): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || list.length === 0) throw new ValidationError(`parameter "${name}" must be a list of field names`);
  const seen = new Set<string>();
  for (const f of list) {
    if (typeof f !== 'string' || !FIELD_PATTERN.test(f)) {
      throw new ValidationError(`parameter "${name}": ${JSON.stringify(clipAny(f))} is not a valid field name`);
    }
    if (seen.has(f)) throw new ValidationError(`parameter "${name}": field "${f}" is listed twice`);
    seen.add(f);
  }
  return list as string[];
}

/** `fill=null|prev` (absent → none); only meaningful with an interval. */
export function parseFill(value: unknown, hasInterval: boolean, name = 'fill'): 'none' | 'null' | 'prev' {
  if (value === undefined || value === null || value === '' || value === 'none') return 'none';
  if (value !== 'null' && value !== 'prev') {
    throw new ValidationError(`parameter "${name}": ${JSON.stringify(clipAny(value))} is not a fill mode; use null or prev`);
  }
  if (!hasInterval) throw new ValidationError(`parameter "${name}" needs an "interval" (it fills empty candles)`);
  return value;
}

/** `format=json|csv` (default json). */
export function parseFormat(value: string | undefined, name = 'format'): 'json' | 'csv' {
  if (value === undefined || value === '' || value === 'json') return 'json';
  if (value === 'csv') return 'csv';
  throw new ValidationError(`parameter "${name}": "${clip(value)}" is not a format; use json or csv`);
}

/** `prefix=` of /v1/symbols: empty or a run of symbol characters. */
export function parsePrefix(value: string | undefined, name = 'prefix'): string {
  if (value === undefined || value === '') return '';
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(value)) {
    throw new ValidationError(`parameter "${name}": "${clip(value)}" holds characters no symbol has (A-Z a-z 0-9 . _ : -)`);
  }
  return value;
}

/**
 * A query time bound in `precision` units (integer or decimal, as a number or a numeric string)
 * → integer µs. Stored timestamps are integer µs, so rounding up is exact for both ends of
 * [start, end): `t ≥ x ⇔ t ≥ ⌈x⌉` and `t < x ⇔ t < ⌈x⌉`. Values beyond the storable range
 * (1900–2200, see ingest/write-limits.ts) are clamped to it: nothing outside can exist.
 */
export function parseTimeBound(value: unknown, precision: Precision, name: string): number {
  if (value === undefined || value === null || value === '') {
    throw new ValidationError(`parameter "${name}" is required (${UNIT_NAMES[precision]} since the epoch)`, 'missing_parameter');
  }
  const text = typeof value === 'number' && Number.isFinite(value) ? numberToPlain(value) : value;
  const m = typeof text === 'string' ? /^(-)?(\d+)(?:\.(\d+))?$/.exec(text.trim()) : null;
  if (!m) {
    throw new ValidationError(
      `parameter "${name}": ${JSON.stringify(clipAny(value))} is not a number of ${UNIT_NAMES[precision]} since the epoch (precision=${precision})`,
    );
  }
  const us = shiftToMicros(m[2]!, m[3] ?? '', EXP_TO_US[precision], m[1] === '-');
  return Math.min(Math.max(us, MIN_TIME_US), MAX_TIME_US);
}

/**
 * Checks `start ≤ end` (both µs) naming both parameters. An empty range (equal bounds, e.g. two
 * ns bounds inside the same µs) is a valid query with no rows; a reversed one is a mistake.
 */
export function checkRange(start: number, end: number): void {
  if (end < start) throw new ValidationError('parameters "start" and "end": end is before start (the range is [start, end))');
}

/**
 * Exact decimal shift of `int.frac × 10^exp`, rounded up to an integer (ceil). Done on the digit
 * string because ns inputs (19 digits) exceed float64's exact range.
 */
function shiftToMicros(int: string, frac: string, exp: number, negative: boolean): number {
  const digits = int + frac;
  const point = int.length + exp;
  let whole: string;
  let rest: string;
  if (point <= 0) {
    whole = '0';
    rest = digits;
  } else if (point >= digits.length) {
    whole = digits + '0'.repeat(point - digits.length);
    rest = '';
  } else {
    whole = digits.slice(0, point);
    rest = digits.slice(point);
  }
  const hasFraction = /[1-9]/.test(rest);
  // Past 2^53 the clamp applies anyway; Number() of a long digit string is only approximate there.
  let v = Number(whole);
  if (negative) v = -v;
  else if (hasFraction) v += 1;
  return v === 0 ? 0 : v;
}

function numberToPlain(v: number): string {
  // Avoid exponent notation (1e21 → "1e+21") so the digit parser sees plain digits.
  return Math.abs(v) < 1e21 ? (Number.isInteger(v) ? v.toFixed(0) : String(v)) : BigInt(Math.trunc(v)).toString();
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

function clipAny(v: unknown): unknown {
  return typeof v === 'string' ? clip(v) : v;
}

/** A default bucket time zone for `symbol`: the zone of its exchange (the middle part of
 * `kind.EXCHANGE.code`, upper-cased) when configured, else `defaultZone`. */
export function defaultTimeZoneFor(symbol: string, query: { default_timezone: string; exchange_timezones: Record<string, string> }): string {
  const parts = symbol.split('.');
  if (parts.length >= 3) {
    const zone = query.exchange_timezones[parts[1]!.toUpperCase()];
    if (zone) return zone;
  }
  return query.default_timezone;
}
