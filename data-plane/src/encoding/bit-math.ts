/**
 * Integer helpers over float64 for values beyond 32 bits (mantissas reach 2^51, residual
 * zig-zags 2^53), where JS bit operators would truncate.
 */

const TWO_32 = 4294967296;

/** Bits needed to write `x` (an integer in [0, 2^54)); 0 for 0. */
export function bitLength(x: number): number {
  return x < TWO_32 ? 32 - Math.clz32(x) : 64 - Math.clz32(x / TWO_32);
}

/** Zig-zag of an integer with |r| < 2^52 (exact in float64). */
export function zigzag(r: number): number {
  return r >= 0 ? r * 2 : -r * 2 - 1;
}

/** Powers of ten 10^0 … 10^9, exact doubles. */
export const POW10: readonly number[] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * max/min of two mantissas. Mantissas are never NaN or −0, so a comparison is exact; unlike
 * Math.max it compiles to one instruction (Math.max must order −0 below +0 and propagate NaN).
 * Encoder and decoder must use these same functions.
 */
export function max2(x: number, y: number): number {
  return x > y ? x : y;
}

/** See max2. */
export function min2(x: number, y: number): number {
  return x < y ? x : y;
}
