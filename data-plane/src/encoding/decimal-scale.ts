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

/**
 * Classifies `values[0, n)` and, for decimal columns, fills `m[0, n]` with forward-filled
 * mantissas (`m[0]` = base, `m[i+1]` = row i) and `present[0, n)` with 1/0 per row.
 *
 * Decimal means (docs/format/segment.md §5.1): one scale in −9..9 under which every non-NaN value
 * is finite, not −0, and exactly `mantissa / 10^s` (the decoder's own expression) with
 * |mantissa| < 2^51; the smallest such scale is used.
 */
export function classifyColumn(values: Float64Array, n: number, m: Float64Array, present: Uint8Array): ColumnClass {
  let first = -1;
  for (let i = 0; i < n; i++) {
    if (values[i] === values[i]) {
      first = i;
      break;
    }
  }
  if (first < 0) return { kind: 'absent', scale: 0, hasAbsent: n > 0, base: 0 };
  const c = values[first];
  let scale = minimalScale(c);
  let decimal = scale <= MAX_SCALE && !Object.is(c, -0);
  let allSame = first === 0;
  let hasAbsent = first > 0;
  let rescaled = false;
  // One pass: NaN/constant tracking plus the decimal test at the current scale; when a value
  // needs a finer scale, climb and remember to recompute the earlier mantissas afterwards.
  for (let i = first; i < n; i++) {
    const v = values[i];
    if (v !== v) {
      hasAbsent = true;
      allSame = false;
      present[i] = 0;
      m[i + 1] = m[i];
      continue;
    }
    present[i] = 1;
    if (v !== c) allSame = false;
    if (!decimal) continue;
    let mant = mantissaAt(v, scale);
    if (mant !== mant) {
      const s = Object.is(v, -0) ? MAX_SCALE + 1 : minimalScale(v);
      if (s > MAX_SCALE) {
        decimal = false;
        continue;
      }
      if (s > scale) {
        scale = s;
        rescaled = true;
      }
      mant = mantissaAt(v, scale);
    }
    m[i + 1] = mant;
  }
  if (allSame && (c !== 0 || sameZeroSign(values, n))) return { kind: 'constant', scale: 0, hasAbsent: false, base: 0 };
  if (decimal && rescaled) scale = recompute(values, n, m, scale);
  if (!decimal || scale > MAX_SCALE) return { kind: 'gorilla', scale: 0, hasAbsent, base: 0 };
  const base = m[first + 1];
  for (let i = 0; i <= first; i++) m[i] = base;
  for (let i = 0; i < first; i++) present[i] = 0;
  return { kind: 'decimal', scale, hasAbsent, base };
}

/**
 * The mantissa of `v` at `scale`, or NaN when `v` is not exactly representable there.
 * Uses the same expression the decoder evaluates, so an accepted value round-trips bit-exactly.
 */
export function mantissaAt(v: number, scale: number): number {
  if (scale >= 0) {
    const p = POW10[scale];
    const mant = Math.round(v * p);
    return mant / p === v && Math.abs(mant) < MANTISSA_LIMIT && (mant !== 0 || 1 / mant > 0) ? mant : NaN;
  }
  const p = POW10[-scale];
  const mant = Math.round(v / p);
  // A −0 mantissa would decode as +0: −0 is left to the gorilla column.
  return mant * p === v && Math.abs(mant) < MANTISSA_LIMIT && (mant !== 0 || 1 / mant > 0) ? mant : NaN;
}

/** Smallest scale in MIN_SCALE..MAX_SCALE that represents `v`; MAX_SCALE + 1 if none. */
function minimalScale(v: number): number {
  if (!Number.isFinite(v)) return MAX_SCALE + 1;
  if (v === 0) return MIN_SCALE;
  for (let s = MIN_SCALE; s <= MAX_SCALE; s++) if (mantissaAt(v, s) === mantissaAt(v, s)) return s;
  return MAX_SCALE + 1;
}

/**
 * Recomputes every mantissa at `scale` after the scan climbed, verifying each (a value exact at a
 * coarser scale is exact at a finer one in theory; verifying keeps that an assertion, not a hope).
 * Returns the scale used, MAX_SCALE + 1 when none works.
 */
function recompute(values: Float64Array, n: number, m: Float64Array, scale: number): number {
  for (; scale <= MAX_SCALE; scale++) {
    let ok = true;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v !== v) {
        m[i + 1] = m[i];
        continue;
      }
      const mant = mantissaAt(v, scale);
      if (mant !== mant) {
        ok = false;
        break;
      }
      m[i + 1] = mant;
    }
    if (ok) return scale;
  }
  return scale;
}

function sameZeroSign(values: Float64Array, n: number): boolean {
  const neg = Object.is(values[0], -0);
  for (let i = 1; i < n; i++) if (Object.is(values[i], -0) !== neg) return false;
  return true;
}
