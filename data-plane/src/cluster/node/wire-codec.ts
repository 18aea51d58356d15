/**
 * JSON forms of the internal read API (`POST /internal/v1/read`): requests, and answers whose
 * float64 columns travel as base64 of their little-endian bytes (exact: NaN = absent and every
 * timestamp survive, which decimal JSON would not promise for NaN and costs 3× the bytes).
 */
import type { CandleQuery, CandleResult, RangeQuery } from '../../engine-api.ts';
import { ValidationError } from '../../errors.ts';
import type { SeriesData } from '../../model.ts';

/** A read one node asks another to run on its local engine. `refuse_if_behind`: answer 503
 *  rather than possibly stale rows while the node has not caught up after a start. `epoch`: the
 *  ring the caller routed by (absent from older nodes: never refused as stale). */
export type ReadRequest = { refuse_if_behind?: boolean; epoch?: number } & (
  | { op: 'range'; query: RangeQuery }
  | { op: 'candles'; query: CandleQuery }
  | { op: 'latest'; query: { symbols: string[] } }
);

/** SeriesData on the wire. */
export interface WireSeries {
  symbol: string;
  fields: string[];
  ts: string;
  values: string[];
}

/** CandleResult on the wire. */
export interface WireCandles {
  symbol: string;
  interval: string;
  columns: string[];
  ts: string;
  values: string[];
}

/** Base64 of a Float64Array's bytes (this machine is little-endian: encoding/endian.ts). */
export function f64ToBase64(a: Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

/** Inverse of f64ToBase64; a fresh, aligned array. Throws ValidationError on a ragged length. */
export function base64ToF64(s: string): Float64Array {
  const b = Buffer.from(s, 'base64');
  if (b.length % 8 !== 0) throw new ValidationError(`internal read: column of ${b.length} bytes is not whole float64s`);
  const out = new Float64Array(b.length / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/** SeriesData → wire form. */
export function seriesToWire(d: SeriesData): WireSeries {
  return { symbol: d.symbol, fields: d.fields, ts: f64ToBase64(d.ts), values: d.values.map(f64ToBase64) };
}

/** Wire form → SeriesData (throws ValidationError when malformed). */
export function seriesFromWire(w: unknown): SeriesData {
  const o = obj(w, 'series');
  const fields = strings(o.fields, 'fields');
  const values = strings(o.values, 'values').map(base64ToF64);
  const ts = base64ToF64(str(o.ts, 'ts'));
  if (values.length !== fields.length || values.some((v) => v.length !== ts.length)) throw bad('series columns do not match fields/ts');
  return { symbol: str(o.symbol, 'symbol'), fields, ts, values };
}

/** CandleResult → wire form. */
export function candlesToWire(r: CandleResult): WireCandles {
  return { symbol: r.symbol, interval: r.interval, columns: r.columns, ts: f64ToBase64(r.ts), values: r.values.map(f64ToBase64) };
}

/** Wire form → CandleResult (throws ValidationError when malformed). */
export function candlesFromWire(w: unknown): CandleResult {
  const o = obj(w, 'candles');
  const ts = base64ToF64(str(o.ts, 'ts'));
  const values = strings(o.values, 'values').map(base64ToF64);
  if (values.some((v) => v.length !== ts.length)) throw bad('candle columns do not match ts');
  return { symbol: str(o.symbol, 'symbol'), interval: str(o.interval, 'interval'), columns: strings(o.columns, 'columns'), ts, values };
}

/**
 * Checks the shape of a read request from another node (the engine validates the rest, as it
 * does for local callers). @throws ValidationError naming the bad part
 */
export function parseReadRequest(v: unknown): ReadRequest {
  const o = obj(v, 'request');
  const q = obj(o.query, 'query');
  if (o.epoch !== undefined && (typeof o.epoch !== 'number' || !Number.isSafeInteger(o.epoch) || o.epoch < 0)) throw bad('epoch must be a non-negative integer');
  const common = { refuse_if_behind: o.refuse_if_behind === true, ...(o.epoch === undefined ? {} : { epoch: o.epoch as number }) };
  if (o.op === 'latest') return { ...common, op: 'latest', query: { symbols: strings(q.symbols, 'symbols') } };
  if (o.op !== 'range' && o.op !== 'candles') throw bad(`op ${JSON.stringify(o.op)} is not range, candles or latest`);
  str(q.symbol, 'symbol');
  for (const k of ['start', 'end']) if (typeof q[k] !== 'number') throw bad(`query.${k} must be a number (µs)`);
  if (q.fields !== undefined) strings(q.fields, 'fields');
  if (o.op === 'candles') {
    str(q.interval, 'interval');
    str(q.tz, 'tz');
    return { ...common, op: 'candles', query: q as unknown as CandleQuery };
  }
  return { ...common, op: 'range', query: q as unknown as RangeQuery };
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw bad(`${what} must be a string`);
  return v;
}

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad(`${what} must be an array of strings`);
  return v;
}

function bad(msg: string): ValidationError {
  return new ValidationError(`internal read: ${msg}`);
}
