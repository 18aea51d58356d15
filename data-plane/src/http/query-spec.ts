/**
 * What a query request asks for, validated: built from `GET /v1/query` parameters or a
 * `POST /v1/query/batch` body by the same code, so both answer alike.
 */
import type { StockTsdbConfig } from '../config/types.ts';
import { ValidationError } from '../errors.ts';
import type { Precision } from '../model.ts';
import { parsePrecision } from '../ingest/write-limits.ts';
import { parseInterval } from '../query/interval.ts';
import { validateTimeZone } from '../query/time-zone.ts';
import { checkRange, defaultTimeZoneFor, parseFields, parseFill, parseSymbol, parseTimeBound } from './params.ts';

/** One series query, validated; times in µs. */
export interface QuerySpec {
  symbol: string;
  start: number;
  end: number;
  /** unit of start/end in the request and of timestamps in the answer */
  precision: Precision;
  /** candle width (e.g. "1h") or null for raw rows */
  interval: string | null;
  /** bucket zone (explicit, or the symbol's exchange default) */
  tz: string;
  fields?: string[];
  fill: 'none' | 'null' | 'prev';
}

/** The parameters shared by every symbol of a request (everything but the symbol and tz default). */
export interface SharedQuery {
  start: number;
  end: number;
  precision: Precision;
  interval: string | null;
  /** explicit tz, or undefined = per-symbol default */
  tz?: string;
  fields?: string[];
  fill: 'none' | 'null' | 'prev';
}

/** Raw parameter values (strings from a query string, or JSON values from a batch body). */
export type RawParams = Record<string, unknown>;

/** Validates the shared parameters. @throws ValidationError naming the parameter */
export function sharedQueryFrom(p: RawParams): SharedQuery {
  const precision = parsePrecision(optString(p.precision, 'precision'), 's');
  const start = parseTimeBound(p.start, precision, 'start');
  const end = parseTimeBound(p.end, precision, 'end');
  checkRange(start, end);
  const intervalText = optString(p.interval, 'interval');
  const interval = intervalText ? checkInterval(intervalText) : null;
  const tzText = optString(p.tz, 'tz');
  const tz = tzText ? checkTimeZone(tzText) : undefined;
  return { start, end, precision, interval, tz, fields: parseFields(p.fields), fill: parseFill(p.fill, interval !== null) };
}

/** The spec of one symbol under shared parameters (tz defaults per exchange, see config.query). */
export function specFor(symbol: string, shared: SharedQuery, query: StockTsdbConfig['query']): QuerySpec {
  return { ...shared, symbol, tz: shared.tz ?? defaultTimeZoneFor(symbol, query) };
}

/** `GET /v1/query` parameters → spec. */
export function querySpecFrom(p: RawParams, query: StockTsdbConfig['query']): QuerySpec {
  const symbol = parseSymbol(p.symbol);
  return specFor(symbol, sharedQueryFrom(p), query);
}

function checkInterval(text: string): string {
  try {
    parseInterval(text);
  } catch (err) {
    throw named(err, 'interval', text);
  }
  return text;
}

function checkTimeZone(text: string): string {
  try {
    validateTimeZone(text);
  } catch (err) {
    throw named(err, 'tz', text);
  }
  return text;
}

/** Re-labels a parser's ValidationError with the parameter name, keeping its explanation. */
function named(err: unknown, name: string, value: string): unknown {
  if (!(err instanceof ValidationError)) return err;
  if (err.message.includes(`"${name}"`)) return err;
  return new ValidationError(`parameter "${name}": ${JSON.stringify(value.slice(0, 80))}: ${err.message}`, err.code, { cause: err });
}

function optString(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new ValidationError(`parameter "${name}" must be a string`);
  return v;
}
