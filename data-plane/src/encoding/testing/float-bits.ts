/**
 * Test helper: bit-exact comparison of float64 arrays. NaN equals NaN whatever its payload (decimal
 * columns store absence, not payloads); every other value must match bit for bit (−0 ≠ +0).
 */
export function sameFloats(a: Float64Array, b: Float64Array): boolean {
  return firstDifference(a, b) < 0;
}

/** Index of the first value that differs (see sameFloats), -1 if none; length mismatch → 0. */
export function firstDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x !== x && y !== y) continue;
    if (!Object.is(x, y)) return i;
  }
  return -1;
}

/** Hex of bytes, for golden tests. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Bytes of a hex string. */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
