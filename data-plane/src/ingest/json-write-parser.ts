/**
 * JSON write bodies (`POST /v1/write`, DESIGN §5) → WriteBatch. Three shapes:
 *
 *   1. {"symbol": "stock.SH.600519", "rows": [{"timestamp": t, "open": 1.5, ...}, ...]}
 *   2. [{"symbol": "stock.SH.600519", "timestamp": t, "open": 1.5, ...}, ...]
 *   3. NDJSON: one shape-2 object per line (blank lines skipped)
 *
 * NDJSON is chosen by content type (`application/x-ndjson`, `application/ndjson`,
 * `application/jsonl`, `application/x-jsonlines`…) or, without one, by shape: a body that is not
 * one JSON value but whose first line is a JSON object.
 *
 * Row contract:
 * - `timestamp` (alias `time`; not both): a number in `precision` units (s and ms may have a
 *   fraction, rounded to the µs; us and ns must be integers; ns floored to µs), or an RFC 3339
 *   string with a UTC offset (`2024-01-02T09:30:00.123456+08:00`). Range 1900..2200. Required.
 * - `symbol`: required in shapes 2/3; in shape 1 a row may repeat it only with the same value.
 * - every other key is a field (FIELD_PATTERN, not reserved) whose value is a finite number, or
 *   null = absent. Strings (also numeric ones), booleans, objects and arrays are rejected.
 *   A row needs at least one non-null field.
 *
 * Errors: the first bad row rejects the whole request with ValidationError naming it —
 * `row N: field "volume": …` (N 1-based: the element of the array / of "rows") or, for NDJSON,
 * `line N: …` (1-based body line). Code `invalid_json_write`, or `request_too_large` past the
 * WriteLimits. An empty body is an empty batch.
 *
 * Speed: the body is parsed by the engine's JSON.parse (native, faster than any JS parser) and
 * then walked once; per row the walk costs ~15% of JSON.parse. Worker-safe.
 */
import { ValidationError } from '../errors.ts';
import type { Precision, WriteBatch } from '../model.ts';
import { fieldNameProblem, quoteForError, symbolProblem } from './names.ts';
import { parseRfc3339Micros } from './rfc3339.ts';
import type { PackedBatch } from './packed-batch.ts';
import { WriteBatchBuilder } from './write-batch-builder.ts';
import {
  REQUEST_TOO_LARGE,
  resolveLimits,
  isTimeInRange,
  timestampToMicros,
  type WriteLimits,
} from './write-limits.ts';

/** Options of parseJsonWrite. */
export interface JsonWriteOptions {
  /** unit of numeric timestamps (the JSON API's default is `s`) */
  precision: Precision;
  /** request Content-Type; an NDJSON type forces NDJSON parsing */
  contentType?: string;
  /** request bounds; defaults DEFAULT_WRITE_LIMITS */
  limits?: Partial<WriteLimits>;
}

/** ValidationError code of a malformed JSON write body. */
export const INVALID_JSON_WRITE = 'invalid_json_write';

// Ids of the keys that are not fields (field ids are ≥ 0).
const KEY_SYMBOL = -1;
const KEY_TIME = -2;
const RESERVED_KEYS = new Map<string, number>([
  ['symbol', KEY_SYMBOL],
  ['timestamp', KEY_TIME],
  ['time', KEY_TIME],
]);

const SYMBOL_CACHE_SIZE = 2048;

const PRECISIONS = new Set<string>(['s', 'ms', 'us', 'ns']);
const NDJSON_TYPE = /^\s*application\/(x-)?(ndjson|jsonl|json-lines|jsonlines)\s*(;|$)/i;
const utf8 = new TextDecoder('utf-8');

/** A row-level problem; the parser adds the row/line prefix. */
class RowError extends Error {}

/**
 * Parses a JSON / NDJSON write body (see the module comment for the shapes and rules).
 * Throws ValidationError naming the first bad row and field; nothing partial is returned.
 */
export function parseJsonWrite(body: Uint8Array | string, opts: JsonWriteOptions): WriteBatch {
  return parseInto(body, opts).build();
}

/** parseJsonWrite's result in the thread-crossing form (ingest workers; packed-batch.ts). */
export function parseJsonWritePacked(body: Uint8Array | string, opts: JsonWriteOptions): PackedBatch {
  return parseInto(body, opts).buildPacked();
}

/** Parses the whole body into a builder (not yet built), or throws. */
function parseInto(body: Uint8Array | string, opts: JsonWriteOptions): WriteBatchBuilder {
  let text = typeof body === 'string' ? body : utf8.decode(body); // TextDecoder drops a BOM
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const p = new JsonWalk(opts);
  try {
    if (opts.contentType !== undefined && NDJSON_TYPE.test(opts.contentType)) p.ndjson(text);
    else p.json(text);
  } catch (e) {
    p.out.release();
    throw p.locate(e);
  }
  return p.out;
}

/** One parse: walks parsed values into the builder. */
class JsonWalk {
  readonly out: WriteBatchBuilder;
  private readonly limits: WriteLimits;
  private readonly precision: Precision;
  /** how the current row is named in messages: `${where} ${index}` ("row 3", "line 7"); '' = none */
  private where: '' | 'row' | 'line' = '';
  private index = 0;
  // Symbol of the previous row and its series id (rows of one symbol often come together).
  private lastSymbol: string | null = null;
  private lastSeries = -1;
  private readonly seriesOf = new Map<string, number>();
  private readonly cacheSymbol: (string | undefined)[] = new Array(SYMBOL_CACHE_SIZE);
  private readonly cacheSeries = new Int32Array(SYMBOL_CACHE_SIZE);
  private readonly fieldOf = new Map<string, number>();
  // Keys of the previous row by position and their field ids: rows mostly repeat one key order.
  private readonly hintKey: string[] = [];
  private readonly hintField: number[] = [];

  constructor(opts: JsonWriteOptions) {
    this.limits = resolveLimits(opts.limits);
    this.precision = opts.precision;
    if (!PRECISIONS.has(opts.precision)) {
      throw new ValidationError(`unknown precision ${JSON.stringify(opts.precision)}`, 'invalid_precision');
    }
    this.out = new WriteBatchBuilder(this.limits.maxValues);
  }

  /** Whole-body JSON (shape 1 or 2), falling back to NDJSON when the body is several values. */
  json(text: string): void {
    const first = firstNonBlank(text);
    if (first < 0) return;
    const c = text.charCodeAt(first);
    if (c !== 0x5b && c !== 0x7b) throw new RowError('body must be a JSON object, an array of row objects, or NDJSON');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      if (c === 0x7b && looksLikeNdjson(text, first)) return this.ndjson(text);
      throw new RowError(`invalid JSON: ${(e as Error).message}`);
    }
    if (Array.isArray(value)) return this.rows(value, null);
    const obj = value as Record<string, unknown>;
    // {"symbol", "rows"}, unless it is a row that happens to have a field named "rows"
    if ('rows' in obj && !('timestamp' in obj) && !('time' in obj)) return this.seriesObject(obj);
    this.where = 'row';
    this.index = 1;
    this.row(obj, null); // a single row object (NDJSON of one line)
  }

  /**
   * NDJSON: one row object per line. Fast path: when every line is non-blank, starts with "{"
   * and ends with "}", the newlines become commas and one JSON.parse reads the whole body as an
   * array (per-line JSON.parse calls and split/join cost ~30% more). Taken only if the array has
   * one element per line, so it accepts exactly what per-line parsing accepts (merging two lines
   * into one valid row would need a nested value, which rows reject). Otherwise the lines are
   * parsed one by one, which also pins a syntax error to its line.
   */
  ndjson(text: string): void {
    const body = text.trimEnd();
    if (body.length === 0) return;
    const lines = body.charCodeAt(0) === 0x7b && body.charCodeAt(body.length - 1) === 0x7d ? countSimpleLines(body) : -1;
    if (lines > 0) {
      let values: unknown[] | null = null;
      try {
        values = JSON.parse(`[${body.replaceAll('\n', ',')}]`) as unknown[];
      } catch {
        // per-line parsing below names the bad line
      }
      if (values !== null && values.length === lines) return this.rowsOfLines(values);
    }
    this.where = 'line';
    this.index = 0;
    for (let pos = 0; pos < body.length; ) {
      let nl = body.indexOf('\n', pos);
      if (nl < 0) nl = body.length;
      this.index++;
      const line = body.slice(pos, nl);
      pos = nl + 1;
      if (firstNonBlank(line) < 0) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        throw new RowError(`invalid JSON: ${(e as Error).message}`);
      }
      this.row(value, null);
    }
  }

  /** Rows of the NDJSON fast path: element k is line k + 1. */
  private rowsOfLines(values: unknown[]): void {
    if (values.length > this.limits.maxRows) {
      throw new ValidationError(`too many rows in one request: ${values.length} (limit ${this.limits.maxRows})`, REQUEST_TOO_LARGE);
    }
    this.where = 'line';
    for (let k = 0; k < values.length; k++) {
      this.index = k + 1;
      this.row(values[k], null);
    }
  }

  /** Shape 1: {"symbol": S, "rows": [...]} */
  private seriesObject(obj: Record<string, unknown>): void {
    for (const k in obj) {
      if (k !== 'symbol' && k !== 'rows') throw new RowError(`unknown top-level key ${quoteForError(k)} (expected "symbol" and "rows")`);
    }
    const symbol = obj.symbol;
    if (typeof symbol !== 'string') throw new RowError('"symbol" must be a string next to "rows"');
    if (!Array.isArray(obj.rows)) throw new RowError('"rows" must be an array of row objects');
    this.seriesId(symbol);
    this.rows(obj.rows, symbol);
  }

  private rows(rows: unknown[], symbol: string | null): void {
    if (rows.length > this.limits.maxRows) {
      throw new ValidationError(`too many rows in one request: ${rows.length} (limit ${this.limits.maxRows})`, REQUEST_TOO_LARGE);
    }
    this.where = 'row';
    for (let r = 0; r < rows.length; r++) {
      this.index = r + 1;
      this.row(rows[r], symbol);
    }
  }

  /** One row object; `symbol` is the shape-1 symbol (null: the row must carry its own). */
  private row(value: unknown, symbol: string | null): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new RowError(`expected a row object, got ${describe(value)}`);
    }
    const row = value as Record<string, unknown>;
    const sym = row.symbol;
    let series: number;
    if (symbol === null) {
      if (typeof sym !== 'string') throw new RowError(sym === undefined ? 'missing "symbol"' : `"symbol" must be a string, got ${describe(sym)}`);
      series = sym === this.lastSymbol ? this.lastSeries : this.cachedSeriesId(sym);
    } else {
      if (sym !== undefined && sym !== symbol) throw new RowError(`"symbol" ${quoteForError(String(sym))} differs from the top-level symbol`);
      series = this.lastSeries;
    }
    if (this.out.rowCount >= this.limits.maxRows) {
      throw new ValidationError(`too many rows in one request (limit ${this.limits.maxRows})`, REQUEST_TOO_LARGE);
    }
    const out = this.out;
    out.beginRow(series, 0);
    const hintKey = this.hintKey;
    let t: unknown = undefined;
    let fields = 0;
    let j = 0;
    // One pass over the keys; key j is first compared with the previous row's key j (rows of a
    // body almost always share one key order), so a field costs one string compare.
    for (const key in row) {
      const f = j < hintKey.length && hintKey[j] === key ? this.hintField[j] : this.keyId(key, j);
      j++;
      const v = row[key];
      if (f < 0) {
        if (f !== KEY_SYMBOL) {
          if (t !== undefined) throw new RowError('both "timestamp" and "time" given (use one)');
          t = v;
        }
        continue;
      }
      if (typeof v !== 'number') {
        if (v === null) continue;
        throw new RowError(`field ${quoteForError(key)}: ${valueProblem(key, v)}`);
      }
      if (v - v !== 0) throw new RowError(`field ${quoteForError(key)}: ${v} is not a finite number`);
      out.set(f, v);
      fields++;
    }
    if (fields === 0) throw new RowError('no field values (a row needs at least one non-null field)');
    out.setTime(this.timestamp(t));
  }

  /** µs of a row's `timestamp`/`time` value (undefined: the row had neither). */
  private timestamp(t: unknown): number {
    if (typeof t === 'number') {
      try {
        return timestampToMicros(t, this.precision);
      } catch (e) {
        throw new RowError((e as Error).message);
      }
    }
    if (typeof t === 'string') return this.stringTime(t);
    if (t === undefined) throw new RowError('missing "timestamp"');
    throw new RowError(`timestamp must be a number or an RFC 3339 string, got ${describe(t)}`);
  }

  private stringTime(t: string): number {
    if (/^\s*-?\d+(\.\d*)?\s*$/.test(t)) {
      throw new RowError(`timestamp ${quoteForError(t)} is a string: send numbers as JSON numbers`);
    }
    let us: number;
    try {
      us = parseRfc3339Micros(t);
    } catch (e) {
      throw new RowError((e as Error).message);
    }
    if (!isTimeInRange(us)) throw new RowError(`timestamp ${quoteForError(t)} is outside 1900-01-01..2200-01-01`);
    return us;
  }

  /**
   * seriesId() behind a direct-mapped cache keyed by the symbol's length and last 4 characters:
   * JSON.parse returns a fresh string per row, and hashing it for Map.get was 12% of a
   * 1000-symbol parse; here a hit is one short string compare.
   */
  private cachedSeriesId(symbol: string): number {
    const n = symbol.length;
    const h =
      (n * 31 + symbol.charCodeAt(n - 1) + symbol.charCodeAt(n - 2) * 7 + symbol.charCodeAt(n - 3) * 59 + symbol.charCodeAt(n - 4) * 461) &
      (SYMBOL_CACHE_SIZE - 1);
    if (this.cacheSymbol[h] === symbol) {
      this.lastSymbol = symbol;
      return (this.lastSeries = this.cacheSeries[h]);
    }
    const id = this.seriesId(symbol);
    this.cacheSymbol[h] = symbol;
    this.cacheSeries[h] = id;
    return id;
  }

  private seriesId(symbol: string): number {
    let id = this.seriesOf.get(symbol);
    if (id === undefined) {
      const problem = symbolProblem(symbol);
      if (problem !== null) throw new RowError(problem);
      id = this.out.seriesId(symbol);
      this.seriesOf.set(symbol, id);
    }
    this.lastSymbol = symbol;
    this.lastSeries = id;
    return id;
  }

  /** Id of key `key` (a field id, or KEY_* for reserved keys), validated on first sight; hint j. */
  private keyId(key: string, j: number): number {
    let id = RESERVED_KEYS.get(key) ?? this.fieldOf.get(key);
    if (id === undefined) {
      const problem = fieldNameProblem(key);
      if (problem !== null) throw new RowError(problem);
      id = this.out.fieldId(key);
      this.fieldOf.set(key, id);
    }
    if (j <= this.hintKey.length) {
      this.hintKey[j] = key;
      this.hintField[j] = id;
    }
    return id;
  }

  /** The error to throw for `e` raised while walking: ValidationError with the row prefix. */
  locate(e: unknown): unknown {
    const prefix = this.where === '' ? '' : `${this.where} ${this.index}: `;
    if (e instanceof RowError) return new ValidationError(prefix + e.message, INVALID_JSON_WRITE);
    if (e instanceof ValidationError) return new ValidationError(prefix + e.message, e.code);
    return e;
  }
}

function valueProblem(key: string, v: unknown): string {
  if (typeof v === 'string') return `strings are not supported (got ${quoteForError(v)})`;
  if (typeof v === 'boolean') return `booleans are not supported (got ${v})`;
  if (key === 'rows' && Array.isArray(v)) return '"rows" is only allowed in the {"symbol": …, "rows": […]} form';
  return `expected a number or null, got ${describe(v)}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${quoteForError(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function firstNonBlank(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
  }
  return -1;
}

/**
 * Number of lines of `body` (which starts with "{" and ends with "}") when every line break is
 * "}\n{" or "}\r\n{"; -1 otherwise (blank lines, indentation, anything else).
 */
function countSimpleLines(body: string): number {
  let lines = 1;
  for (let nl = body.indexOf('\n'); nl >= 0; nl = body.indexOf('\n', nl + 1)) {
    const before = body.charCodeAt(nl - 1) === 0x0d ? body.charCodeAt(nl - 2) : body.charCodeAt(nl - 1);
    if (before !== 0x7d || body.charCodeAt(nl + 1) !== 0x7b) return -1;
    lines++;
  }
  return lines;
}

/** True when the first line (from `first`) is a complete JSON value followed by more lines. */
function looksLikeNdjson(text: string, first: number): boolean {
  const nl = text.indexOf('\n', first);
  if (nl < 0) return false;
  try {
    JSON.parse(text.slice(first, nl));
    return true;
  } catch {
    return false;
  }
}
