/**
 * Under Bun, hash32 takes Bun's native xxHash32 for inputs of 128 bytes or more: it must give
 * the portable implementation's value (the one Vitest checks against the spec) for every length,
 * offset and alignment, or checksums written by one runtime would not verify in the other.
 */
import { describe, expect, it } from 'bun:test';
import { hash32, hash32Portable } from '../../data-plane/src/encoding/checksum.ts';

describe('hash32() under Bun', () => {
  it('uses a native xxHash32 here', () => {
    expect(typeof Bun.hash.xxHash32).toBe('function');
  });

  it('equals hash32Portable for every length 0..600 and offset 0..7, whole and as a range', () => {
    const buf = new Uint8Array(700);
    let x = 0x12345678;
    for (let i = 0; i < buf.length; i++) buf[i] = (x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + i) >>> 24;
    for (let off = 0; off < 8; off++) {
      for (let len = 0; len + off <= 600; len++) {
        const want = hash32Portable(buf, off, off + len);
        if (hash32(buf, off, off + len) !== want || hash32(buf.subarray(off, off + len)) !== want) {
          throw new Error(`hash32 differs from hash32Portable at offset ${off}, length ${len}`);
        }
      }
    }
  });

  it('hashes large inputs like the portable code (a 1 MiB value)', () => {
    const big = new Uint8Array((1 << 20) + 3).map((_, i) => (i * 2654435761) >>> 24);
    expect(hash32(big, 3)).toBe(hash32Portable(big, 3));
    expect(hash32(big)).toBe(hash32Portable(big));
  });
});
