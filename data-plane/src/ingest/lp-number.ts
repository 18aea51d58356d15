/**
 * Line-protocol numbers read straight from bytes, without building a substring in the common
 * case. Grammar (InfluxDB `models/points.go` scanNumber + strconv.ParseFloat, decimal only):
 *
 *   float    = "-"? (digits ("." digits?)? | "." digits) (("e"|"E") ("+"|"-")? digits)?
 *   integer  = "-"? digits "i"        (int64 range)
 *   unsigned = digits "u"             (uint64 range)
 *
 * A value ends at ',', ' ', '\r', '\n' or the end of the body. Results equal `Number(text)`
 * exactly: the fast path is Clinger's (an integer mantissa < 2^53 times or divided by an exact
 * power of ten ≤ 10^22 is one correctly rounded IEEE operation); anything longer falls back to
 * `Number()` of the (validated, ASCII) text.
 *
 * Pure; worker-safe. Not reentrant across threads (module scratch `numberScan`), which is fine:
 * each worker has its own module instance.
 */

/** Out-parameters of the last read*: where the token ended and what kind it was. */
export const numberScan = { end: 0, kind: 0 };
/** `numberScan.kind` values. */
export const KIND_FLOAT = 0;
export const KIND_INT = 1;
export const KIND_UINT = 2;

const CH_MINUS = 45;
const CH_DOT = 46;
const CH_0 = 48;
const CH_COMMA = 44;
const CH_SPACE = 32;
const CH_CR = 13;
const CH_LF = 10;
const TWO_53 = 9007199254740992;

/** Exact powers of ten (10^0..10^22 are exactly representable in float64). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** Digit value of each byte, -1 for non-digits (one load + one compare per byte). */
const DIGIT = new Int8Array(256).fill(-1);
for (let d = 0; d < 10; d++) DIGIT[48 + d] = d;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** 1 for the bytes that end a value token: ',' ' ' CR LF. */
const END = new Uint8Array(256);
END[CH_COMMA] = END[CH_SPACE] = END[CH_CR] = END[CH_LF] = 1;

function isEnd(c: number): boolean {
  return c === CH_COMMA || c === CH_SPACE || c === CH_LF || c === CH_CR;
}

/** Offset of the end of the value token starting at i (first ',', ' ', CR, LF, or n). */
export function tokenEnd(buf: Uint8Array, i: number, n: number): number {
  while (i < n && !isEnd(buf[i])) i++;
  return i;
}

const utf8 = new TextDecoder();

/** ASCII text of buf[start, end) (callers only pass validated ASCII; may be megabytes long). */
function ascii(buf: Uint8Array, start: number, end: number): string {
  return utf8.decode(buf.subarray(start, end));
}

/**
 * Reads the field value starting at buf[i] (which must be '-', '.' or a digit) up to its end.
 * Returns the value and sets numberScan.end / numberScan.kind; returns NaN when the token is
 * not a valid number or is out of range (then numberProblem() says why). ±Infinity can only
 * come back for float overflow (e.g. 1e999): callers reject non-finite results.
 *
 * This is the fast path for what market data sends (≤ 9 significant digits, no exponent), with
 * the mantissa in int32 arithmetic: a float multiply-add chain has ~3× the latency, and keeping
 * 19-digit inputs out of this function stops the JIT from deoptimizing it to doubles. Everything
 * else goes to readNumberGeneral().
 */
export function readNumber(buf: Uint8Array, i: number, n: number): number {
  const start = i;
  const neg = buf[i] === CH_MINUS;
  if (neg) i++;
  const d0 = i;
  let m = 0;
  let c = CH_LF; // the byte after the digits; LF stands for the end of the body
  for (; i < n; i++) {
    const d = (c = buf[i]) - CH_0;
    if (d >>> 0 > 9) break;
    m = (m * 10 + d) | 0;
  }
  if (i === n) c = CH_LF;
  let digits = i - d0;
  let frac = -1; // -1: no '.'
  if (c === CH_DOT) {
    const f0 = ++i;
    for (c = CH_LF; i < n; i++) {
      const d = (c = buf[i]) - CH_0;
      if (d >>> 0 > 9) break;
      m = (m * 10 + d) | 0;
    }
    if (i === n) c = CH_LF;
    frac = i - f0;
    digits += frac;
  }
  // int32 m is exact up to 9 digits; anything else (exponent, suffix, error) is not our case.
  if (digits === 0 || digits > 9) return readNumberGeneral(buf, start, n);
  if (END[c] === 0) {
    // 'i': int64 integer (−0i is 0, and `1.i` is invalid: both left to the general path)
    if (c === 105 && frac < 0 && (i + 1 === n || END[buf[i + 1]] !== 0) && !(neg && m === 0)) {
      numberScan.end = i + 1;
      numberScan.kind = KIND_INT;
      return neg ? -m : m;
    }
    return readNumberGeneral(buf, start, n);
  }
  numberScan.end = i;
  numberScan.kind = KIND_FLOAT;
  const v = frac <= 0 ? m : m / POW10[frac]; // exact int / exact power of ten: correctly rounded
  return neg ? -v : v;
}

/** readNumber for every input (exponents, long mantissas, `u`, errors); same contract. */
export function readNumberGeneral(buf: Uint8Array, i: number, n: number): number {
  const start = i;
  let neg = false;
  if (buf[i] === CH_MINUS) {
    neg = true;
    i++;
  }
  let m = 0;
  let digits = 0;
  let c = -1;
  // Integer digits. `m` stays exact while < 2^53; past that the slow path takes over.
  for (; i < n; i++) {
    c = buf[i];
    const d = c - CH_0;
    if (d < 0 || d > 9) break;
    m = m * 10 + d;
    digits++;
  }
  if (i === n) c = -1;
  let scale = 0; // value = m * 10^scale
  let floatSyntax = false;
  if (c === CH_DOT) {
    floatSyntax = true;
    c = -1;
    for (i++; i < n; i++) {
      c = buf[i];
      const d = c - CH_0;
      if (d < 0 || d > 9) break;
      m = m * 10 + d;
      digits++;
      scale--;
    }
    if (i === n) c = -1;
  }
  if (digits === 0) return bad(buf, start, n);
  if (c === 101 || c === 69) {
    // 'e' | 'E'
    floatSyntax = true;
    i++;
    let eneg = false;
    if (i < n && (buf[i] === 43 || buf[i] === CH_MINUS)) {
      eneg = buf[i] === CH_MINUS;
      i++;
    }
    let e = 0;
    let edigits = 0;
    c = -1;
    for (; i < n; i++) {
      c = buf[i];
      const d = c - CH_0;
      if (d < 0 || d > 9) break;
      if (e < 100000) e = e * 10 + d; // beyond this Number() decides (∞ or 0)
      edigits++;
    }
    if (i === n) c = -1;
    if (edigits === 0) return bad(buf, start, n);
    scale += eneg ? -e : e;
  }
  if (c === -1 || isEnd(c)) {
    numberScan.end = i;
    numberScan.kind = KIND_FLOAT;
    let v: number;
    if (m < TWO_53 && scale >= -22 && scale <= 22) v = scale < 0 ? m / POW10[-scale] : m * POW10[scale];
    else v = Number(ascii(buf, neg ? start + 1 : start, i));
    return neg ? -v : v;
  }
  if (floatSyntax || (c !== 105 && c !== 117)) return bad(buf, start, n); // 'i' | 'u'
  const kind = c === 105 ? KIND_INT : KIND_UINT;
  i++;
  if (i < n && !isEnd(buf[i])) return bad(buf, start, n);
  if (kind === KIND_UINT && neg) return bad(buf, start, n);
  numberScan.end = i;
  numberScan.kind = kind;
  if (m < TWO_53) return neg ? 0 - m : m; // 0 - m: "-0i" is the integer 0, not −0
  // Rare: 16+ digit integers. Check the 64-bit range exactly, then round like Number().
  const text = ascii(buf, start, i - 1);
  const big = BigInt(text);
  if (kind === KIND_INT ? big < INT64_MIN || big > INT64_MAX : big > UINT64_MAX) return bad(buf, start, n);
  return Number(text);
}

function bad(buf: Uint8Array, start: number, n: number): number {
  numberScan.end = tokenEnd(buf, start, n);
  numberScan.kind = KIND_FLOAT;
  return NaN;
}

/** Why the value token buf[start, end) was rejected by readNumber (or was not finite). */
export function numberProblem(buf: Uint8Array, start: number, end: number): string {
  const text = utf8.decode(buf.subarray(start, end));
  const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
  if (/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return `${shown} is not a finite number`;
  if (/^-?\d+i$/.test(text)) return `integer ${shown} is outside the int64 range`;
  if (/^-\d+u$/.test(text)) return `unsigned integer ${shown} is negative`;
  if (/^\d+u$/.test(text)) return `unsigned integer ${shown} is outside the uint64 range`;
  return `invalid number ${shown}`;
}

/**
 * Reads a line-protocol timestamp: "-"? digits, ending at ' ', CR, LF or n. `unitDiv` is 1000 for
 * ns input (µs = floor(ns / 1000), toward −∞) and 1 otherwise; `unitMul` is µs per unit (1e6 for
 * s, 1e3 for ms, 1 for us and ns). Returns integer µs (range NOT checked: callers do), or NaN when
 * the token is malformed or absurdly large; sets numberScan.end.
 *
 * A 19-digit ns value exceeds 2^53, so it is never accumulated whole: the last three digits are
 * split off as the sub-µs remainder and the rest (≤ 16 digits, < 2^53 when in range) is µs.
 */
export function readTimestamp(buf: Uint8Array, i: number, n: number, unitMul: number, unitDiv: number): number {
  if (unitDiv === 1000 && i + 19 <= n) {
    const us = readNs19(buf, i, n);
    if (us >= 0) return us;
  }
  let neg = false;
  if (i < n && buf[i] === CH_MINUS) {
    neg = true;
    i++;
  }
  const d0 = i;
  while (i < n && DIGIT[buf[i]] >= 0) i++;
  const d1 = i;
  numberScan.end = i;
  if (d1 === d0 || (i < n && buf[i] !== CH_SPACE && buf[i] !== CH_LF && buf[i] !== CH_CR)) {
    numberScan.end = tokenEnd(buf, i, n); // the whole bad token, for the message
    return NaN;
  }
  // Split point: ns drops its last 3 digits into `rem`.
  const split = unitDiv === 1000 ? Math.max(d0, d1 - 3) : d1;
  // Accumulate in int32 chunks of ≤ 9 digits (short integer multiply-add chains), joined in
  // float64: exact while v < 2^53, which every accepted timestamp is.
  let v = 0;
  for (let k = d0; k < split; ) {
    const stop = Math.min(split, k + 9);
    const width = stop - k;
    let chunk = 0;
    for (; k < stop; k++) chunk = (chunk * 10 + (buf[k] - CH_0)) | 0;
    v = v * POW10[width] + chunk;
    if (v > TWO_53) return NaN; // far outside any accepted range
  }
  let rem = 0;
  for (let k = split; k < d1; k++) rem = rem * 10 + (buf[k] - CH_0);
  const us = v * unitMul;
  if (!neg) return us;
  return rem > 0 ? -us - 1 : 0 - us;
}

/**
 * readTimestamp's fast path for what clients send: exactly 19 ns digits (2001-09-09..2255)
 * then the token's end. µs = the first 16 digits, read as 7 + 9 digits in int32 and joined
 * exactly in float64 (< 2^53); the last 3 digits are dropped (floor, the value being ≥ 0).
 * Returns -1 when buf[i, i + 19) is not that shape (the caller then takes the general path);
 * requires i + 19 <= n. Sets numberScan.end on success.
 */
function readNs19(buf: Uint8Array, i: number, n: number): number {
  const e = i + 19;
  if (e < n) {
    const t = buf[e];
    if (t !== CH_SPACE && t !== CH_LF && t !== CH_CR) return -1;
  }
  // `bad` collects d | (9 - d): negative as soon as one byte is not a digit.
  let bad = 0;
  let hi = 0;
  for (let k = i; k < i + 7; k++) {
    const d = buf[k] - CH_0;
    bad |= d | (9 - d);
    hi = (hi * 10 + d) | 0;
  }
  let lo = 0;
  for (let k = i + 7; k < i + 16; k++) {
    const d = buf[k] - CH_0;
    bad |= d | (9 - d);
    lo = (lo * 10 + d) | 0;
  }
  for (let k = i + 16; k < e; k++) {
    const d = buf[k] - CH_0;
    bad |= d | (9 - d);
  }
  // Past 2^53 µs (year 2255) the general path decides (it rejects such values as invalid).
  if (bad < 0 || hi >= 9007199) return -1;
  numberScan.end = e;
  return hi * 1e9 + lo;
}
