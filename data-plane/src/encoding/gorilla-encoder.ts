import { BitWriter } from './bit-writer.ts';
import { ByteWriter } from './byte-writer.ts';
import { assertLittleEndian } from './endian.ts';

const bits = new BitWriter(1024);

/**
 * Appends `values[0, n)` as a Gorilla XOR bit stream, `byteLength <uvarint>` first
 * (docs/format/segment.md §5.2). Keeps every float64 bit pattern (NaN payloads, −0, ±Inf).
 *
 * Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory Time Series Database", VLDB 2015,
 * §4.1.2: consecutive values share sign, exponent and high mantissa bits, so their XOR has long
 * runs of leading and trailing zeros; only the "meaningful" middle bits are stored, reusing the
 * previous value's window when it fits. This is the fallback for columns that are not decimal.
 */
export function encodeGorilla(values: Float64Array, n: number, out: ByteWriter): void {
  assertLittleEndian();
  bits.reset();
  if (n > 0) {
    const w = new Uint32Array(values.buffer, values.byteOffset, n * 2);
    let prevLo = w[0];
    let prevHi = w[1];
    bits.writeBits(prevLo, 32);
    bits.writeBits(prevHi, 32);
    let lead = -1; // no window yet
    let trail = 0;
    for (let i = 1; i < n; i++) {
      const lo = w[2 * i];
      const hi = w[2 * i + 1];
      const xl = (lo ^ prevLo) >>> 0;
      const xh = (hi ^ prevHi) >>> 0;
      prevLo = lo;
      prevHi = hi;
      if ((xl | xh) === 0) {
        bits.writeBits(0, 1);
        continue;
      }
      // Leading zeros are capped at 31 so they fit the paper's 5-bit field.
      const lz = Math.min(31, xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl));
      const tz = xl !== 0 ? ctz(xl) : 32 + ctz(xh);
      if (lead >= 0 && lz >= lead && tz >= trail) {
        bits.writeBits(0b01, 2); // control bits "1", "0": reuse the window
        writeMeaningful(xh, xl, trail, 64 - lead - trail);
      } else {
        const len = 64 - lz - tz;
        bits.writeBits(0b11, 2); // control bits "1", "1": new window
        bits.writeBits(lz, 5);
        bits.writeBits(len - 1, 6);
        writeMeaningful(xh, xl, tz, len);
        lead = lz;
        trail = tz;
      }
    }
  }
  const len = bits.flush();
  out.uvarint(len);
  out.bytes(bits.buf.subarray(0, len));
}

/** Writes bits [shift, shift + len) of the 64-bit value (hi, lo), low bits first. */
function writeMeaningful(hi: number, lo: number, shift: number, len: number): void {
  let low: number;
  let high: number;
  if (shift >= 32) {
    low = hi >>> (shift - 32);
    high = 0;
  } else if (shift === 0) {
    low = lo;
    high = hi;
  } else {
    low = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
    high = hi >>> shift;
  }
  if (len <= 32) {
    bits.writeBits(len === 32 ? low : low & ((2 ** len - 1) >>> 0), len);
  } else {
    bits.writeBits(low, 32);
    bits.writeBits(high, len - 32);
  }
}

function ctz(x: number): number {
  return 31 - Math.clz32(x & -x);
}
