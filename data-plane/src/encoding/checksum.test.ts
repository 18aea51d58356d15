import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash32 } from './checksum.ts';
import { naiveXxh32 } from './testing/naive-codecs.ts';

const text = (s: string) => new TextEncoder().encode(s);

describe('hash32()', () => {
  it.each([
    ['', 0x02cc5d05],
    ['a', 0x550d7456],
    ['abc', 0x32d153ff],
    ['Nobody inspects the spammish repetition', 0xe2293b2f],
    ['The quick brown fox jumps over the lazy dog', 0xe85ea4de],
  ])('matches the xxHash32 test vector for %j', (s, expected) => {
    expect(hash32(text(s))).toBe(expected);
  });

  it('agrees with a naive BigInt xxHash32 on any bytes, offsets and alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(7), fc.nat(7), (data, pre, post) => {
        // Place the data at an arbitrary offset in a larger buffer to exercise both read paths.
        const buf = new Uint8Array(pre + data.length + post).fill(0xa5);
        buf.set(data, pre);
        expect(hash32(buf, pre, pre + data.length)).toBe(naiveXxh32(data));
        expect(hash32(buf.subarray(pre, pre + data.length))).toBe(naiveXxh32(data));
      }),
      { numRuns: 300 },
    );
  });

  it('changes when any single byte changes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (data, at, mask) => {
        const i = at % data.length;
        const flipped = data.slice();
        flipped[i] ^= mask;
        expect(hash32(flipped)).not.toBe(hash32(data));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a range outside the bytes', () => {
    expect(() => hash32(new Uint8Array(4), 0, 5)).toThrow(RangeError);
    expect(() => hash32(new Uint8Array(4), 3, 2)).toThrow(RangeError);
    expect(() => hash32(new Uint8Array(4), -1)).toThrow(RangeError);
  });
});
