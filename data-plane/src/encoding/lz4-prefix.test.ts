import fc from 'fast-check';
import { compressSync, uncompressSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { lz4BlockPrefix } from './lz4-prefix.ts';

/** Bytes that compress in different ways: random, runs (overlapping matches), repeats at distance. */
const bytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 5000 }),
  fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 400 })), { maxLength: 40 }).map((runs) =>
    Uint8Array.from(runs.flatMap(([b, n]) => Array<number>(n).fill(b))),
  ),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 30 })).map(([unit, times]) => {
    const out = new Uint8Array(unit.length * times);
    for (let k = 0; k < times; k++) out.set(unit, k * unit.length);
    return out;
  }),
);

describe('lz4BlockPrefix()', () => {
  it('gives exactly the first bytes lz4-napi decompresses to, for any prefix length', () => {
    fc.assert(
      fc.property(bytesArb, fc.integer({ min: 0, max: 6000 }), (data, want) => {
        const packed = compressSync(Buffer.from(data));
        const full = uncompressSync(packed);
        const prefix = lz4BlockPrefix(packed, want);
        expect(Buffer.from(prefix).equals(full.subarray(0, Math.min(want, full.length)))).toBe(true);
      }),
    );
  });

  it('throws (never reads out of bounds) on a block cut short', () => {
    const packed = compressSync(Buffer.from('stock-tsdb '.repeat(500)));
    expect(() => lz4BlockPrefix(packed.subarray(0, 6), 5000)).toThrow(/lz4:/);
    expect(() => lz4BlockPrefix(packed.subarray(0, 2), 10)).toThrow(/size prefix/);
  });
});
