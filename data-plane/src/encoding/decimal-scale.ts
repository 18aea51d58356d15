import { MANTISSA_LIMIT, MAX_SCALE, MIN_SCALE } from './column-encoding.ts';
import { POW10 } from './bit-math.ts';

/** How a field column will be stored; `scale`/`base` matter only for decimal columns. */
export interface ColumnClass {
  kind: 'absent' | 'constant' | 'decimal' | 'gorilla';
  /** value = mantissa / 10^scale (scale < 0: mantissa · 10^-scale) */
  scale: number;
  /** some rows are NaN (absent) */
  hasAbsent: boolean;
  /** mantissa of the first present value (m[0] of the filled mantissas) */
  base: number;
}

/** Set by the scan loops: whether every value seen equals the first one. */
let allSame = true;

/**
 * Classifies `values[0, n)` and, for decimal columns, fills `m[0, n]` with forward-filled
 * mantissas (`m[0]` = base, `m[i+1]` = row i) and `present[0, n)` with 1/0 per row.
 *
 * Decimal means (docs/format/segment.md §5.1): one scale in −9..9 under which every non-NaN value
 * is finite, not −0, and exactly `mantissa / 10^s` (the decoder's own expression) with
 * |mantissa| < 2^51; the smallest such scale is used.
 */
export function classifyColumn(values: Float64Array, n: number, m: Float64Array, present: Uint8Array): ColumnClass {
  let first = 0;
  while (first < n && values[first] !== values[first]) first++;
  if (first === n) return { kind: 'absent', scale: 0, hasAbsent: n > 0, base: 0 };
  const c = values[first];
  let scale = minimalScale(c);
  let hasAbsent = first > 0;
  let rescaled = false;
  allSame = !hasAbsent;
  // Rows are present unless the scan meets a NaN (a memset beats a store per value in the loop).
  present.fill(1, 0, n);
  present.fill(0, 0, first);
  let i = first;
  // A tight loop at the current scale; it stops at the first value it cannot take (NaN, or a
  // value needing a finer scale), which is handled here before the loop resumes.
  while (i < n && scale <= MAX_SCALE) {
    i = scale >= 0 ? scanDivide(values, i, n, POW10[scale], c, m) : scanMultiply(values, i, n, POW10[-scale], c, m);
    if (i === n) break;
    const v = values[i];
    if (v !== v) {
      hasAbsent = true;
      allSame = false;
      present[i] = 0;
      m[i + 1] = m[i];
      i++;
      continue;
    }
    const s = minimalScale(v);
    // Fits a coarser scale but not this one: its mantissa is too big here, and at any finer scale.
    scale = s > scale ? s : MAX_SCALE + 1;
    rescaled = true;
  }
  if (scale > MAX_SCALE) return finishNonDecimal(values, i, n, c, hasAbsent);
  if (allSame && (c !== 0 || sameZeroSign(values, n))) return { kind: 'constant', scale: 0, hasAbsent: false, base: 0 };
  if (rescaled) scale = recompute(values, n, m, present, scale);
  if (scale > MAX_SCALE) return { kind: 'gorilla', scale: 0, hasAbsent, base: 0 };
  const base = m[first + 1];
  for (let j = 0; j <= first; j++) m[j] = base;
  return { kind: 'decimal', scale, hasAbsent, base };
}

/** Scans values[i..) at a scale ≥ 0 (p = 10^scale); returns the index of the first misfit or n. */
function scanDivide(values: Float64Array, i: number, n: number, p: number, c: number, m: Float64Array): number {
  let same = allSame;
  for (; i < n; i++) {
    const v = values[i];
    const mant = Math.round(v * p);
    // NaN fails the first test; −0 would decode as +0, so it fails too.
    if (mant / p !== v || !(mant < MANTISSA_LIMIT && mant > -MANTISSA_LIMIT) || (mant === 0 && 1 / v < 0)) break;
    if (v !== c) same = false;
    m[i + 1] = mant;
  }
  allSame = same;
  return i;
}

/** Same as scanDivide for a negative scale (p = 10^-scale). */
function scanMultiply(values: Float64Array, i: number, n: number, p: number, c: number, m: Float64Array): number {
  let same = allSame;
  for (; i < n; i++) {
    const v = values[i];
    const mant = Math.round(v / p);
    if (mant * p !== v || !(mant < MANTISSA_LIMIT && mant > -MANTISSA_LIMIT) || (mant === 0 && 1 / v < 0)) break;
    if (v !== c) same = false;
    m[i + 1] = mant;
  }
  allSame = same;
  return i;
}

/**
 * The mantissa of `v` at `scale`, or NaN when `v` is not exactly representable there.
 * Uses the same expression the decoder evaluates, so an accepted value round-trips bit-exactly.
 */
export function mantissaAt(v: number, scale: number): number {
  let mant: number;
  if (scale >= 0) {
    const p = POW10[scale];
    mant = Math.round(v * p);
    if (mant / p !== v) return NaN;
  } else {
    const p = POW10[-scale];
    mant = Math.round(v / p);
    if (mant * p !== v) return NaN;
  }
  // A −0 mantissa would decode as +0: −0 is left to the gorilla column.
  return Math.abs(mant) < MANTISSA_LIMIT && (mant !== 0 || 1 / v > 0) ? mant : NaN;
}

/** Smallest scale in MIN_SCALE..MAX_SCALE that represents `v`; MAX_SCALE + 1 if none. */
function minimalScale(v: number): number {
  if (!Number.isFinite(v)) return MAX_SCALE + 1;
  for (let s = MIN_SCALE; s <= MAX_SCALE; s++) if (mantissaAt(v, s) === mantissaAt(v, s)) return s;
  return MAX_SCALE + 1;
}

/**
 * Recomputes every mantissa at `scale` after the scan climbed, verifying each (a value exact at a
 * coarser scale is exact at a finer one in theory; verifying keeps that an assertion, not a hope).
 * Returns the scale used, MAX_SCALE + 1 when none works.
 */
function recompute(values: Float64Array, n: number, m: Float64Array, present: Uint8Array, scale: number): number {
  for (; scale <= MAX_SCALE; scale++) {
    // (The scans also update `allSame`, which was consumed before any recompute.)
    let i = 0;
    while (i < n) {
      i = scale >= 0 ? scanDivide(values, i, n, POW10[scale], 0, m) : scanMultiply(values, i, n, POW10[-scale], 0, m);
      if (i === n || present[i]) break;
      m[i + 1] = m[i]; // absent row: forward fill
      i++;
    }
    if (i === n) return scale;
  }
  return scale;
}

/** Not decimal: still constant (e.g. all +Inf) or gorilla; finishes the NaN/same scan from i. */
function finishNonDecimal(values: Float64Array, i: number, n: number, c: number, hasAbsent: boolean): ColumnClass {
  let same = allSame;
  for (; i < n; i++) {
    const v = values[i];
    if (v !== v) hasAbsent = true;
    if (v !== c) same = false;
  }
  if (same && !hasAbsent && (c !== 0 || sameZeroSign(values, n))) return { kind: 'constant', scale: 0, hasAbsent: false, base: 0 };
  return { kind: 'gorilla', scale: 0, hasAbsent, base: 0 };
}

function sameZeroSign(values: Float64Array, n: number): boolean {
  const neg = Object.is(values[0], -0);
  for (let i = 1; i < n; i++) if (Object.is(values[i], -0) !== neg) return false;
  return true;
}
