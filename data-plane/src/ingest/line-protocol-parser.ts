/**
 * InfluxDB line protocol → WriteBatch, parsed over the request bytes (no whole-body decode).
 *
 *   <measurement>[,<tag>=<value>...] <field>=<value>[,<field>=<value>...] [<timestamp>]
 *
 * Syntax follows InfluxDB's reference decoders (`models/points.go`, and
 * github.com/influxdata/line-protocol v2 `lineprotocol/decoder.go`):
 * - Escapes: in the measurement `\,` and `\ `; in tag keys, tag values and field keys `\,` `\=`
 *   `\ `. A backslash before any other byte is a literal backslash. (Symbols and field names we
 *   accept cannot contain `\ , =` or spaces, so escapes only matter for where tokens end and in
 *   ignored tags/measurements; a name that needed one is rejected as an invalid name.)
 * - Field values: floats (`1`, `-1.5`, `.5`, `1.`, `1e-3`, `1.5E+10`), integers `12i`, unsigned
 *   `12u`. Strings (`"…"`) and booleans (`t`, `true`, `F`, …) are rejected with a clear message,
 *   since our fields are numeric. NaN/Inf (or overflow like `1e999`) → "not a finite number".
 * - A field key repeated within one line: the last value wins (as InfluxDB does).
 * - Timestamp: optional signed integer in `precision` units; missing → `defaultTimeUs` (server
 *   time, truncated to the precision as InfluxDB does). ns is floored to µs (toward −∞). Must fall
 *   in 1900-01-01..2200-01-01 (see write-limits.ts).
 * - Lines end with LF or CRLF; blank lines and lines whose first non-blank byte is `#` are
 *   skipped; leading spaces/tabs, several spaces between sections and trailing spaces are allowed.
 *
 * Series naming: the `symbol` tag names the series when present, else the measurement does. All
 * other tags (and the measurement, when a `symbol` tag exists) are checked for syntax but
 * otherwise IGNORED: they are not part of the series identity. Two `symbol` tags on one line are
 * rejected; other duplicate tags are not checked.
 *
 * Errors: the first bad line rejects the whole request with ValidationError
 * `line N: <what is wrong>` (N 1-based, counting every line including comments/blank ones).
 *
 * Speed: ~5M lines/s in process under Bun for OHLCV lines (bench/parse-bench.ts): one pass over
 * the bytes, numbers parsed in place (lp-number.ts), names interned without allocation
 * (byte-interner.ts), rows staged in WriteBatchBuilder. In the codec workers, bodies in the
 * common shape go to the WebAssembly fast path first (ingest-task.ts, lp-fast-path.ts; ~1.8×
 * faster), which hands everything else — including every error — to this parser.
 *
 * Module-level name cache: one per thread (each worker has its own); parses are synchronous, so
 * they never interleave.
 */
import { ValidationError } from '../errors.ts';
import { US_PER_UNIT, type Precision, type WriteBatch } from '../model.ts';
import { ByteInterner, FNV_OFFSET, FNV_PRIME, decodeBytes, hashBytes } from './byte-interner.ts';
import { numberProblem, numberScan, readNumber, readTimestamp, tokenEnd } from './lp-number.ts';
import { fieldNameProblem, quoteForError, symbolProblem } from './names.ts';
import type { PackedBatch } from './packed-batch.ts';
import { WriteBatchBuilder } from './write-batch-builder.ts';
import {
  REQUEST_TOO_LARGE,
  defaultTimeMicros,
  isTimeInRange,
  resolveLimits,
  timeRangeMessage,
  type WriteLimits,
} from './write-limits.ts';

/** Options of parseLineProtocol. */
export interface LineProtocolOptions {
  /** unit of the timestamps in the body (InfluxDB's default is ns) */
  precision: Precision;
  /** µs given to lines without a timestamp (server receive time); default Date.now() × 1000 */
  defaultTimeUs?: number;
  /** request bounds; defaults DEFAULT_WRITE_LIMITS */
  limits?: Partial<WriteLimits>;
}

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const HASH = 35;
const COMMA = 44;
const EQ = 61;
const BACKSLASH = 92;
const QUOTE = 34;
/** Exact powers of ten 10^0..10^9 (the inline number fast path divides by them). */
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * Byte classes for key scanning: 0 = ordinary byte of a name; 1 = a byte that ends or escapes a
 * token or is invalid there (`,` ` ` `=` `\` and control bytes, incl. CR/LF). Loops run on 0s.
 */
const SPECIAL = new Uint8Array(256);
for (let b = 0; b < 32; b++) SPECIAL[b] = 1;
SPECIAL[127] = 1;
SPECIAL[COMMA] = 1;
SPECIAL[SPACE] = 1;
SPECIAL[EQ] = 1;
SPECIAL[BACKSLASH] = 1;

/** Bytes of the tag key that names the series. */
const SYMBOL_KEY = [115, 121, 109, 98, 111, 108]; // "symbol"

// Name cache shared by all parses on this thread: symbols and field names repeat across requests.
const names = new ByteInterner(4096);
/** Past this many cached names the cache is emptied at the start of the next parse (bounded memory). */
const MAX_CACHED_NAMES = 100_000;
// names.flags bits: the name was validated as a symbol / as a field name (only names valid for at
// least one use are cached; see internChecked).
const NAME_SYMBOL_OK = 1;
const NAME_FIELD_OK = 2;

// Name id → the current parse's builder series id / field id, valid where the stamp equals
// `generation` (bumped per parse, so nothing needs clearing between parses).
let seriesOfName: Int32Array = new Int32Array(1024);
let seriesStamp: Int32Array = new Int32Array(1024);
let fieldOfName: Int32Array = new Int32Array(1024);
let fieldStamp: Int32Array = new Int32Array(1024);
let generation = 0;

/** Raised inside the loop; parseLineProtocol prefixes the line number. */
class LineError extends Error {
  constructor(
    message: string,
    readonly code = 'invalid_line_protocol',
  ) {
    super(message);
  }
}

/**
 * Parses an InfluxDB line-protocol body into rows grouped by symbol (see the module comment for
 * the exact rules). Throws ValidationError `line N: …` on the first bad line (code
 * `invalid_line_protocol`, or `request_too_large` past the limits); nothing partial is returned.
 * An empty body (or only comments/blank lines) gives an empty batch.
 */
export function parseLineProtocol(body: Uint8Array, opts: LineProtocolOptions): WriteBatch {
  return parseInto(body, opts).build();
}

/**
 * parseLineProtocol's result in the thread-crossing form (ingest workers; packed-batch.ts): what
 * the workers use for the bodies the WebAssembly fast path leaves (ingest-task.ts), and the
 * reference that path is tested against.
 */
export function parseLineProtocolPacked(body: Uint8Array, opts: LineProtocolOptions): PackedBatch {
  return parseInto(body, opts).buildPacked();
}

/** Parses the whole body into a builder (not yet built), or throws. */
function parseInto(body: Uint8Array, opts: LineProtocolOptions): WriteBatchBuilder {
  const limits = resolveLimits(opts.limits);
  const unit = US_PER_UNIT[opts.precision];
  if (unit === undefined) throw new ValidationError(`unknown precision ${JSON.stringify(opts.precision)}`, 'invalid_precision');
  if (names.size > MAX_CACHED_NAMES) names.clear();
  if (++generation > 0x3fffffff) {
    // Stamps of a wrapped generation could match stale entries: start over (once per 2^30 parses).
    generation = 1;
    seriesStamp.fill(0);
    fieldStamp.fill(0);
  }
  const p = new LpParse(body, opts, limits);
  try {
    p.run();
  } catch (e) {
    p.out.release();
    // Builder limits throw ValidationError; they get the line prefix too.
    if (e instanceof LineError || e instanceof ValidationError) {
      throw new ValidationError(`line ${p.line}: ${e.message}`, e instanceof LineError ? e.code : (e as ValidationError).code);
    }
    throw e;
  }
  return p.out;
}

/**
 * One parse. The scanning methods are long because they are the hot loop (one pass over the
 * bytes, no substrings, no per-line allocation); each handles one section of a line.
 */
class LpParse {
  readonly out: WriteBatchBuilder;
  line = 0;
  private pos = 0;
  private readonly n: number;
  private readonly unitMul: number;
  private readonly unitDiv: number;
  private defaultUs = NaN;
  // Where the current line's series name lies, and whether it contained a backslash.
  private nameStart = 0;
  private nameEnd = 0;
  private nameHash = 0;
  private nameEscaped = false;
  private nameFromTag = false;
  // Previous line's key section (measurement + tags) as [prevKeyStart, +prevKeyLen): a line that
  // repeats it byte for byte skips key scanning (bodies often send one symbol line after line).
  private prevKeyStart = 0;
  private prevKeyLen = 0;
  // Previous parsed timestamp: its bytes [prevTsStart, +prevTsLen) and µs.
  private prevTsStart = 0;
  private prevTsLen = 0;
  private prevTs = 0;
  // Previous line's series name and id.
  private prevStart = 0;
  private prevEnd = 0;
  private prevSeries = -1;
  // Field keys of the previous line by position (name id and builder field id): lines mostly
  // repeat one field order, so key j is first byte-compared with the previous line's key j.
  private readonly hintName: number[] = [];
  private readonly hintField: number[] = [];

  constructor(
    private readonly buf: Uint8Array,
    private readonly opts: LineProtocolOptions,
    private readonly limits: WriteLimits,
  ) {
    this.n = buf.length;
    this.out = new WriteBatchBuilder(limits.maxValues);
    this.unitMul = opts.precision === 'ns' ? 1 : US_PER_UNIT[opts.precision];
    this.unitDiv = opts.precision === 'ns' ? 1000 : 1;
  }

  run(): void {
    const buf = this.buf;
    const n = this.n;
    while (this.pos < n) {
      this.line++;
      let i = this.pos;
      while (i < n && (buf[i] === SPACE || buf[i] === TAB)) i++;
      if (i === n) break;
      const c = buf[i];
      if (c === LF) {
        this.pos = i + 1;
        continue;
      }
      if (c === CR && (i + 1 === n || buf[i + 1] === LF)) {
        this.pos = i + 2;
        continue;
      }
      if (c === HASH) {
        const nl = buf.indexOf(LF, i);
        this.pos = nl < 0 ? n : nl + 1;
        continue;
      }
      this.pos = i;
      this.parseLine();
    }
  }

  private parseLine(): void {
    const buf = this.buf;
    const n = this.n;
    const m0 = this.pos;
    let i = this.sameKeyAsPrevious(m0);
    let series: number;
    if (i >= 0) {
      series = this.prevSeries;
    } else {
      i = this.parseKey(m0);
      series = this.seriesId();
      this.prevKeyStart = m0;
      this.prevKeyLen = i - m0;
    }
    // ---- one or more spaces, then the field set
    while (i < n && buf[i] === SPACE) i++;
    if (i === n || buf[i] === LF || buf[i] === CR) throw new LineError('missing fields');
    const out = this.out;
    if (out.rowCount >= this.limits.maxRows) {
      throw new LineError(`too many rows in one request (limit ${this.limits.maxRows})`, REQUEST_TOO_LARGE);
    }
    out.beginRow(series, 0);
    i = this.parseFields(i);
    // ---- after the fields: end of line, or spaces then an optional timestamp
    let us: number;
    let c = i < n ? buf[i] : LF;
    if (c === SPACE) {
      while (i < n && buf[i] === SPACE) i++;
      c = i < n ? buf[i] : LF;
    }
    if (c === LF || c === CR) {
      us = this.defaultTime();
    } else {
      // Time-major bodies repeat one timestamp on many lines in a row: reuse the previous line's
      // value when the bytes (and the token's end) are the same.
      const len = this.prevTsLen;
      const e = i + len;
      if (len > 0 && (e === n || buf[e] === SPACE || buf[e] === LF || buf[e] === CR) && this.sameAsPrevTs(i, len)) {
        us = this.prevTs;
        i = e;
      } else {
        us = this.parseTimestamp(i);
        this.prevTsStart = i;
        this.prevTsLen = numberScan.end - i;
        this.prevTs = us;
        i = numberScan.end;
      }
      while (i < n && buf[i] === SPACE) i++;
      c = i < n ? buf[i] : LF;
      if (c !== LF && c !== CR) throw new LineError(`unexpected text after the timestamp: ${this.quote(i, tokenEnd(buf, i, n))}`);
    }
    out.setTime(us);
    // ---- end of line: LF, CRLF, or CR/nothing at the end of the body
    if (c === CR) {
      if (i + 1 < n && buf[i + 1] !== LF) throw new LineError('carriage return not followed by a line feed');
      i++;
    }
    this.pos = i + 1;
  }

  /** True when buf[i, i + len) equals the previous line's (validated) timestamp bytes. */
  private sameAsPrevTs(i: number, len: number): boolean {
    const buf = this.buf;
    const d = this.prevTsStart - i;
    // From the end: the digits that change between timestamps come before the zero padding.
    for (let k = i + len - 1; k >= i; k--) if (buf[k] !== buf[k + d]) return false;
    return true;
  }

  /**
   * When the line at m0 starts with exactly the previous line's key section (measurement and
   * tags, already validated) followed by a space, returns the offset of that space; else -1.
   * Compared from the end, where symbols of one body differ, so a miss costs a few bytes.
   */
  private sameKeyAsPrevious(m0: number): number {
    const len = this.prevKeyLen;
    const end = m0 + len;
    if (len === 0 || end >= this.n || this.buf[end] !== SPACE) return -1;
    const buf = this.buf;
    const d = this.prevKeyStart - m0;
    for (let k = end - 1; k >= m0; k--) if (buf[k] !== buf[k + d]) return -1;
    return end;
  }

  /**
   * Scans `measurement[,tag=value...]` from m0 up to the space that ends it (returned), and sets
   * the series name (the `symbol` tag's value, else the measurement).
   */
  private parseKey(m0: number): number {
    const buf = this.buf;
    const n = this.n;
    // ---- measurement: ends at an unescaped ',' (tags follow) or ' ' (fields follow)
    let i = m0;
    let escaped = false;
    let c = 0;
    // Names are hashed (FNV-1a, as hashBytes) while scanned: no second pass to look them up.
    let h = FNV_OFFSET;
    for (;;) {
      while (i < n && SPECIAL[(c = buf[i])] === 0) {
        h = Math.imul(h ^ c, FNV_PRIME);
        i++;
      }
      if (i === n) throw new LineError('missing fields');
      c = buf[i];
      if (c === COMMA || c === SPACE) break;
      if (c === EQ) {
        h = Math.imul(h ^ c, FNV_PRIME); // '=' is an ordinary byte in a measurement
        i++;
      } else if (c === BACKSLASH) {
        escaped = true;
        i += i + 1 < n && (buf[i + 1] === COMMA || buf[i + 1] === SPACE) ? 2 : 1;
      } else {
        throw this.controlError(c, i);
      }
    }
    if (i === m0) throw new LineError('missing measurement');
    this.nameStart = m0;
    this.nameEnd = i;
    this.nameHash = h;
    this.nameEscaped = escaped;
    this.nameFromTag = false;
    let hasSymbolTag = false;
    // ---- tags
    while (c === COMMA) {
      i++;
      const k0 = i;
      escaped = false;
      for (;;) {
        while (i < n && SPECIAL[buf[i]] === 0) i++;
        if (i === n) throw new LineError(`tag key ${this.quote(k0, i)} has no value`);
        c = buf[i];
        if (c === EQ) break;
        if (c === BACKSLASH) {
          escaped = true;
          i += this.tagEscapeLen(i);
        } else if (c === COMMA || c === SPACE || c === LF || c === CR) {
          if (i === k0) throw new LineError(c === COMMA ? 'missing tag key' : 'missing tag key after ","');
          throw new LineError(`tag key ${this.quote(k0, i)} has no value`);
        } else {
          throw this.controlError(c, i);
        }
      }
      const k1 = i;
      if (k1 === k0) throw new LineError('missing tag key');
      const keyIsSymbol = !escaped && this.isSymbolKey(k0, k1);
      i++;
      const v0 = i;
      escaped = false;
      h = FNV_OFFSET;
      for (;;) {
        if (keyIsSymbol) {
          while (i < n && SPECIAL[(c = buf[i])] === 0) {
            h = Math.imul(h ^ c, FNV_PRIME);
            i++;
          }
        } else {
          while (i < n && SPECIAL[buf[i]] === 0) i++;
        }
        if (i === n) throw new LineError('missing fields');
        c = buf[i];
        if (c === COMMA || c === SPACE) break;
        if (c === BACKSLASH) {
          escaped = true;
          i += this.tagEscapeLen(i);
        } else if (c === EQ) {
          throw new LineError(`tag ${this.quote(k0, k1)}: unescaped "=" in tag value`);
        } else if (c === LF || c === CR) {
          throw new LineError('missing fields');
        } else {
          throw this.controlError(c, i);
        }
      }
      if (i === v0) throw new LineError(`tag ${this.quote(k0, k1)} has an empty value`);
      if (keyIsSymbol) {
        if (hasSymbolTag) throw new LineError('more than one "symbol" tag');
        hasSymbolTag = true;
        this.nameStart = v0;
        this.nameEnd = i;
        this.nameHash = h;
        this.nameEscaped = escaped;
        this.nameFromTag = true;
      }
      if (c === COMMA && (i + 1 >= n || buf[i + 1] === SPACE || buf[i + 1] === LF || buf[i + 1] === CR)) {
        throw new LineError('missing tag key after ","');
      }
    }
    return i;
  }

  /** Parses `key=value[,key=value…]` from i; returns the offset of the byte after the last value. */
  private parseFields(i: number): number {
    const buf = this.buf;
    const n = this.n;
    const out = this.out;
    const hintName = this.hintName;
    for (let j = 0; ; j++) {
      // ---- field key: ends at an unescaped '='. First try the previous line's key j (one
      // byte compare, no scan): a validated name followed by '=' is that key, unescaped.
      const f0 = i;
      let f1 = -1;
      let field = -1;
      if (j < hintName.length) {
        const id = hintName[j];
        const end = f0 + names.lengthOf(id);
        if (end < n && buf[end] === EQ && names.equals(id, buf, f0, end)) {
          f1 = end;
          field = this.hintField[j];
        }
      }
      if (field < 0) {
        f1 = this.scanFieldKey(f0);
        field = this.fieldId(j, f0, f1);
      }
      i = f1 + 1;
      // ---- value
      if (i === n) throw new LineError(`field ${this.quote(f0, f1)}: missing value`);
      let c = buf[i];
      let v = NaN;
      // Inline fast path for what market data sends (prices `12.34`, volumes `1200i`): ≤ 9
      // digits, at most one '.', no sign. Anything else, or any doubt, goes to readNumber.
      // (Saves a call and the numberScan round trip on ~5 values per row.)
      let k = i;
      let m = 0;
      for (; k < n; k++) {
        const d = buf[k] - 48;
        if (d >>> 0 > 9) break;
        m = (m * 10 + d) | 0;
      }
      let e = k - i; // digits so far
      let frac = 0;
      if (k < n && buf[k] === 46 && e > 0) {
        const f0 = ++k;
        for (; k < n; k++) {
          const d = buf[k] - 48;
          if (d >>> 0 > 9) break;
          m = (m * 10 + d) | 0;
        }
        frac = k - f0;
        e += frac;
      }
      if (e > 0 && e <= 9) {
        const t = k < n ? buf[k] : COMMA;
        if (t === COMMA || t === SPACE || t === LF || t === CR) {
          v = frac === 0 ? m : m / POW10[frac];
        } else if (t === 105 && k - i === e && (k + 1 === n || isValueEnd(buf[k + 1]))) {
          // `i` after plain digits: an int64 (here < 10^9, exact)
          v = m;
          k++;
        }
      }
      if (v === v) {
        i = k;
      } else if ((c >= 48 && c <= 57) || c === 45 || c === 46) {
        v = readNumber(buf, i, n);
        // NaN: invalid; ±Infinity: overflow. `v - v === 0` is false for both.
        if (v - v !== 0) {
          const problem = numberProblem(buf, i, numberScan.end);
          throw new LineError(`field ${this.quote(f0, f1)}: ${problem}`);
        }
        i = numberScan.end;
      } else {
        throw new LineError(`field ${this.quote(f0, f1)}: ${this.nonNumberProblem(i)}`);
      }
      out.set(field, v);
      if (i === n) return i;
      c = buf[i];
      if (c !== COMMA) return i;
      i++;
      if (i === n || buf[i] === SPACE || buf[i] === LF || buf[i] === CR) throw new LineError('missing field key after ","');
    }
  }

  /** End of the field key starting at f0 (the offset of its unescaped '='). */
  private scanFieldKey(f0: number): number {
    const buf = this.buf;
    const n = this.n;
    let i = f0;
    for (;;) {
      while (i < n && SPECIAL[buf[i]] === 0) i++;
      if (i === n) throw new LineError(`field ${this.quote(f0, i)} has no value`);
      const c = buf[i];
      if (c === EQ) break;
      if (c === BACKSLASH) {
        i += this.tagEscapeLen(i);
      } else if (c === COMMA || c === SPACE || c === LF || c === CR) {
        if (i === f0) throw new LineError('missing field key');
        throw new LineError(`field ${this.quote(f0, i)} has no value`);
      } else {
        throw this.controlError(c, i);
      }
    }
    if (i === f0) throw new LineError('missing field key');
    return i;
  }

  /** Builder field id of key buf[f0, f1) (validated on first sight); remembered as hint j. */
  private fieldId(j: number, f0: number, f1: number): number {
    const buf = this.buf;
    if (buf.subarray(f0, f1).includes(BACKSLASH)) {
      const name = unescape(buf, f0, f1, TAG_ESCAPABLE);
      throw new LineError(fieldNameProblem(name) ?? `field name ${quoteForError(name)} must not need escaping`);
    }
    const id = internChecked(buf, f0, f1, hashBytes(buf, f0, f1), NAME_FIELD_OK, fieldNameProblem);
    if (id >= fieldStamp.length) [fieldOfName, fieldStamp] = growMaps(fieldOfName, fieldStamp, id + 1);
    if (fieldStamp[id] !== generation) {
      fieldStamp[id] = generation;
      fieldOfName[id] = this.out.fieldId(names.names[id]);
    }
    const field = fieldOfName[id];
    if (j <= this.hintName.length) {
      this.hintName[j] = id;
      this.hintField[j] = field;
    }
    return field;
  }

  /** Builder series id of the current line's name (this.nameStart/End), validated on first sight. */
  private seriesId(): number {
    const buf = this.buf;
    const s0 = this.nameStart;
    const s1 = this.nameEnd;
    // Compare from the end: symbols of one body mostly share a prefix ("stock.SH.6005…").
    if (this.prevSeries >= 0 && s1 - s0 === this.prevEnd - this.prevStart) {
      const d = this.prevStart - s0;
      let k = s1 - 1;
      while (k >= s0 && buf[k] === buf[k + d]) k--;
      if (k < s0) return this.prevSeries;
    }
    if (this.nameEscaped) {
      const name = unescape(buf, s0, s1, this.nameFromTag ? TAG_ESCAPABLE : MEASUREMENT_ESCAPABLE);
      throw new LineError(symbolProblem(name) ?? `symbol ${quoteForError(name)} must not need escaping`);
    }
    const id = internChecked(buf, s0, s1, this.nameHash, NAME_SYMBOL_OK, symbolProblem);
    if (id >= seriesStamp.length) [seriesOfName, seriesStamp] = growMaps(seriesOfName, seriesStamp, id + 1);
    if (seriesStamp[id] !== generation) {
      seriesStamp[id] = generation;
      seriesOfName[id] = this.out.seriesId(names.names[id]);
    }
    this.prevStart = s0;
    this.prevEnd = s1;
    this.prevSeries = seriesOfName[id];
    return this.prevSeries;
  }

  private parseTimestamp(i: number): number {
    const buf = this.buf;
    const us = readTimestamp(buf, i, this.n, this.unitMul, this.unitDiv);
    if (us !== us) throw new LineError(`invalid timestamp ${this.quote(i, numberScan.end)}`);
    if (!isTimeInRange(us)) throw new LineError(timeRangeMessage(decodeBytes(buf, i, numberScan.end), this.opts.precision));
    return us;
  }

  private defaultTime(): number {
    if (this.defaultUs !== this.defaultUs) {
      const now = this.opts.defaultTimeUs ?? Date.now() * 1000;
      this.defaultUs = defaultTimeMicros(now, this.opts.precision);
    }
    return this.defaultUs;
  }

  /** Why the field value at i (not starting like a number) is not accepted. */
  private nonNumberProblem(i: number): string {
    const buf = this.buf;
    const c = buf[i];
    if (c === QUOTE) {
      // Show the string (up to the closing unescaped quote on this line) so the caller sees which.
      let k = i + 1;
      while (k < this.n && buf[k] !== QUOTE && buf[k] !== LF) k += buf[k] === BACKSLASH ? 2 : 1;
      return `string values are not supported (got ${this.quote(i + 1, Math.min(k, this.n))})`;
    }
    const end = tokenEnd(buf, i, this.n);
    const text = decodeBytes(buf, i, end);
    if (/^(t|T|true|True|TRUE|f|F|false|False|FALSE)$/.test(text)) {
      return `boolean values are not supported (got ${text})`;
    }
    if (/^[+-]?(nan|inf|infinity)$/i.test(text)) return `${JSON.stringify(text)} is not a finite number`;
    if (end === i) return 'missing value';
    return `invalid value ${quoteForError(text)}`;
  }

  private tagEscapeLen(i: number): number {
    const next = i + 1 < this.n ? this.buf[i + 1] : -1;
    return next === COMMA || next === SPACE || next === EQ ? 2 : 1;
  }

  private isSymbolKey(k0: number, k1: number): boolean {
    if (k1 - k0 !== 6) return false;
    for (let k = 0; k < 6; k++) if (this.buf[k0 + k] !== SYMBOL_KEY[k]) return false;
    return true;
  }

  private quote(start: number, end: number): string {
    return quoteForError(decodeBytes(this.buf, start, end));
  }

  private controlError(c: number, i: number): LineError {
    if (c === LF || c === CR) return new LineError('missing fields');
    return new LineError(`invalid control character 0x${c.toString(16).padStart(2, '0')} at byte ${i - this.lineStart() + 1} of the line`);
  }

  private lineStart(): number {
    const nl = this.buf.lastIndexOf(LF, this.pos);
    return nl < 0 ? 0 : nl + 1;
  }
}

/**
 * Id of the name buf[s, e) (`hash` = its hashBytes), which `check` must accept (validated once per name and use: `flag`).
 * Only valid names are cached, so hostile bodies cannot fill the cache with junk.
 */
function internChecked(
  buf: Uint8Array,
  s: number,
  e: number,
  hash: number,
  flag: number,
  check: (name: string) => string | null,
): number {
  let id = names.find(buf, s, e, hash);
  if (id < 0) {
    const name = decodeBytes(buf, s, e);
    const problem = check(name);
    if (problem !== null) throw new LineError(problem);
    id = names.add(buf, s, e, hash, name);
    names.flags[id] = flag;
  } else if ((names.flags[id] & flag) === 0) {
    const problem = check(names.names[id]);
    if (problem !== null) throw new LineError(problem);
    names.flags[id] |= flag;
  }
  return id;
}

const MEASUREMENT_ESCAPABLE = [COMMA, SPACE];
const TAG_ESCAPABLE = [COMMA, SPACE, EQ];

/** buf[start, end) with `\x` → `x` for x in `escapable` (other backslashes kept), decoded. */
function unescape(buf: Uint8Array, start: number, end: number, escapable: number[]): string {
  const out: number[] = [];
  for (let i = start; i < end; i++) {
    if (buf[i] === BACKSLASH && i + 1 < end && escapable.includes(buf[i + 1])) i++;
    out.push(buf[i]);
  }
  return decodeBytes(Uint8Array.from(out), 0, out.length);
}

/** True for the bytes that end a field value: ',' ' ' CR LF. */
function isValueEnd(c: number): boolean {
  return c === COMMA || c === SPACE || c === LF || c === CR;
}

/** Grown copies of a (value, stamp) map pair holding at least `min` entries. */
function growMaps(values: Int32Array, stamps: Int32Array, min: number): [Int32Array, Int32Array] {
  let n = values.length * 2;
  while (n < min) n *= 2;
  const v = new Int32Array(n);
  v.set(values);
  const s = new Int32Array(n);
  s.set(stamps);
  return [v, s];
}
