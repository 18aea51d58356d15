import { CorruptionError } from '../errors.ts';
import { LITTLE_ENDIAN } from './endian.ts';

const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);

/**
 * Bounds-checked little-endian reader over `buf[pos, end)`; every overrun or malformed varint
 * throws `CorruptionError` naming `key`, so decoders never read past what they verified.
 */
export class ByteReader {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
    readonly key?: string,
  ) {}

  /** Throws CorruptionError with this reader's key. */
  fail(message: string): never {
    throw new CorruptionError(message, this.key);
  }

  /** Ensures `n` more bytes are readable. */
  need(n: number, what = 'value'): void {
    if (n < 0 || this.pos + n > this.end) this.fail(`truncated ${what} at byte ${this.pos}`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  i8(): number {
    return (this.u8() << 24) >> 24;
  }

  u16(): number {
    this.need(2);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return b[p] | (b[p + 1] << 8);
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  f64(): number {
    this.need(8);
    // Through a scratch word, not a DataView on `buf.buffer`: reading `.buffer` of a small typed
    // array makes JSC materialize its ArrayBuffer (~8% of a handoff import's header reads).
    const b = this.buf;
    const p = this.pos;
    for (let i = 0; i < 8; i++) F64_BYTES[LITTLE_ENDIAN ? i : 7 - i] = b[p + i];
    this.pos = p + 8;
    return F64[0];
  }

  /** Unsigned LEB128, at most 8 bytes (< 2^56); longer encodings are corruption. */
  uvarint(): number {
    const b = this.buf;
    let p = this.pos;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (p >= this.end) this.fail(`truncated varint at byte ${p}`);
      const x = b[p++];
      v += (x & 0x7f) * mul;
      if (x < 0x80) {
        this.pos = p;
        return v;
      }
      mul *= 128;
    }
    return this.fail(`varint longer than 8 bytes at byte ${this.pos}`);
  }

  /** Zig-zag LEB128. */
  svarint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** A view (not a copy) of the next `n` bytes. */
  bytes(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}
