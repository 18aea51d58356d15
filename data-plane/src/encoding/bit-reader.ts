import { CorruptionError } from '../errors.ts';

/**
 * Reader for LSB-first bit streams written by `BitWriter`, over `buf[start, start + byteLength)`.
 *
 * Reads use a 32-bit window assembled from 4 bytes at the current byte, so the buffer must hold
 * at least 3 readable bytes after the stream; stored structures guarantee it (each ends with a
 * 4-byte checksum after all bit streams). Callers check lengths with `need()` per chunk, so a
 * damaged stream raises `CorruptionError` instead of reading other bytes.
 */
export class BitReader {
  readonly buf: Uint8Array;
  /** Absolute bit position in `buf`. */
  bitPos: number;
  /** Absolute bit position where the stream ends. */
  readonly endBit: number;

  constructor(buf: Uint8Array, start: number, byteLength: number, readonly key?: string) {
    if (start + byteLength + 3 > buf.length) throw new Error('BUG: bit stream needs 3 bytes of slack after it');
    this.buf = buf;
    this.bitPos = start * 8;
    this.endBit = (start + byteLength) * 8;
  }

  /** Throws CorruptionError unless `bits` more bits remain in the stream. */
  need(bits: number): void {
    if (this.bitPos + bits > this.endBit) {
      throw new CorruptionError(`bit stream overrun (${bits} bits past bit ${this.bitPos})`, this.key);
    }
  }

  /** Bits left unread (padding of the last byte included). */
  get remaining(): number {
    return this.endBit - this.bitPos;
  }

  /** Reads `n` values of `width` bits into `dst[0, n)` as non-negative integers. */
  readValues(dst: Float64Array, n: number, width: number): void {
    this.need(n * width);
    if (width === 0) {
      dst.fill(0, 0, n);
      return;
    }
    if (width > 24) return this.readWide(dst, n, width);
    const b = this.buf;
    const mask = (1 << width) - 1;
    let bp = this.bitPos;
    for (let i = 0; i < n; i++) {
      const p = bp >>> 3;
      const w = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
      dst[i] = (w >>> (bp & 7)) & mask;
      bp += width;
    }
    this.bitPos = bp;
  }

  /** Like readValues, then zig-zag decoded to signed integers. */
  readZigzag(dst: Float64Array, n: number, width: number): void {
    this.need(n * width);
    if (width === 0) {
      dst.fill(0, 0, n);
      return;
    }
    if (width > 24) {
      this.readWide(dst, n, width);
      for (let i = 0; i < n; i++) {
        const u = dst[i];
        dst[i] = u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      }
      return;
    }
    const b = this.buf;
    const mask = (1 << width) - 1;
    let bp = this.bitPos;
    for (let i = 0; i < n; i++) {
      const p = bp >>> 3;
      const w = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
      const u = (w >>> (bp & 7)) & mask;
      dst[i] = (u >>> 1) ^ -(u & 1);
      bp += width;
    }
    this.bitPos = bp;
  }

  private readWide(dst: Float64Array, n: number, width: number): void {
    for (let i = 0; i < n; i++) {
      let x = 0;
      let mul = 1;
      let left = width;
      while (left > 24) {
        x += this.readBits(24) * mul;
        mul *= 16777216;
        left -= 24;
      }
      dst[i] = x + this.readBits(left) * mul;
    }
  }

  /** Reads one value of `width` ≤ 32 bits (unsigned). Bounds are the caller's `need()`. */
  readBits(width: number): number {
    if (width === 0) return 0;
    if (width > 24) {
      const low = this.readBits(16);
      return low + this.readBits(width - 16) * 65536;
    }
    const b = this.buf;
    const bp = this.bitPos;
    const p = bp >>> 3;
    const w = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
    this.bitPos = bp + width;
    return (w >>> (bp & 7)) & ((1 << width) - 1);
  }
}
