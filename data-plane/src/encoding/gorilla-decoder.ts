import { BitReader } from './bit-reader.ts';
import { ByteReader } from './byte-reader.ts';
import { assertLittleEndian } from './endian.ts';

/**
 * Reads a Gorilla XOR column written by `encodeGorilla` at `r` into `out[0, n)`, bit-exact.
 * Throws CorruptionError when the stream is shorter than `n` values need or has bytes left over.
 */
export function decodeGorilla(r: ByteReader, n: number, out: Float64Array): void {
  assertLittleEndian();
  const len = r.uvarint();
  r.need(len, 'gorilla column');
  const bits = new BitReader(r.buf, r.pos, len, r.key);
  r.pos += len;
  if (n === 0) {
    if (len !== 0) r.fail('gorilla column has bytes for no rows');
    return;
  }
  const w = new Uint32Array(out.buffer, out.byteOffset, n * 2);
  bits.need(64);
  let lo = bits.readBits(32) >>> 0;
  let hi = bits.readBits(32) >>> 0;
  w[0] = lo;
  w[1] = hi;
  let lead = -1;
  let trail = 0;
  for (let i = 1; i < n; i++) {
    bits.need(1);
    if (bits.readBits(1) !== 0) {
      bits.need(1);
      if (bits.readBits(1) !== 0) {
        bits.need(11);
        lead = bits.readBits(5);
        const len = bits.readBits(6) + 1;
        trail = 64 - lead - len;
        if (trail < 0) r.fail(`gorilla window of ${len} bits after ${lead} leading zeros`);
      } else if (lead < 0) {
        r.fail('gorilla value reuses a window before any was set');
      }
      const len = 64 - lead - trail;
      bits.need(len);
      const low = bits.readBits(Math.min(len, 32));
      const high = len > 32 ? bits.readBits(len - 32) : 0;
      if (trail >= 32) {
        hi ^= low << (trail - 32);
      } else if (trail === 0) {
        lo ^= low;
        hi ^= high;
      } else {
        lo ^= low << trail;
        hi ^= (high << trail) | (low >>> (32 - trail));
      }
    }
    w[2 * i] = lo;
    w[2 * i + 1] = hi;
  }
  if (bits.remaining >= 8) r.fail('gorilla column has trailing bytes');
}
