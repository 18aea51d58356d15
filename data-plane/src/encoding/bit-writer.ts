/**
 * LSB-first bit packer (format: docs/format/segment.md, "bit stream"): value bits go to the
 * stream low bit first, bytes fill from bit 0. Widths up to 54 bits; values are non-negative
 * integers held in float64 (JS bit operators are 32-bit, so wide values are split into 24-bit
 * pieces arithmetically).
 *
 * Pending bits collect in a 32-bit accumulator that is flushed four bytes at a time.
 * One writer per encoder, reused via `reset()`; not shared between threads.
 */
/** Writers reused across calls keep at most this much memory between calls. */
const RETAIN_BYTES = 8 << 20;

export class BitWriter {
  /** Backing store; complete bytes are `[0, pos)`, plus `nb` pending bits in `acc`. */
  buf: Uint8Array;
  pos = 0;
  /** Pending bits (fewer than 32 between calls). */
  private acc = 0;
  private nb = 0;

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }

  /** Forgets the contents; keeps the capacity unless an outsized value grew it past 8 MiB. */
  reset(): void {
    if (this.buf.length > RETAIN_BYTES) this.buf = new Uint8Array(1024);
    this.pos = 0;
    this.acc = 0;
    this.nb = 0;
  }

  /** Number of bits written so far. */
  get bitLength(): number {
    return this.pos * 8 + this.nb;
  }

  private ensure(bytes: number): void {
    const need = this.pos + bytes + 8;
    if (need <= this.buf.length) return;
    const next = new Uint8Array(Math.max(need, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /**
   * Appends `r[i] − min` for i in [from, to) with `width` bits each (frame of reference); each
   * difference must be an integer in [0, 2^width). The narrow loop is the hot path of the encoder.
   */
  writeOffset(r: Float64Array, from: number, to: number, width: number, min: number): void {
    if (width === 0 || to <= from) return;
    this.ensure(Math.ceil(((to - from) * width) / 8) + 4);
    if (width > 24) {
      for (let i = from; i < to; i++) this.writeWide(r[i] - min, width);
      return;
    }
    const buf = this.buf;
    let p = this.pos;
    let acc = this.acc;
    let nb = this.nb;
    for (let i = from; i < to; i++) {
      const u = r[i] - min;
      acc |= u << nb; // bits past 32 are dropped here and carried below
      nb += width;
      if (nb >= 32) {
        buf[p] = acc;
        buf[p + 1] = acc >>> 8;
        buf[p + 2] = acc >>> 16;
        buf[p + 3] = acc >>> 24;
        p += 4;
        nb -= 32;
        acc = u >>> (width - nb);
      }
    }
    this.pos = p;
    this.acc = acc;
    this.nb = nb;
  }

  /** Appends zigzag(r[i]) for i in [from, to) with `width` bits each (|r| < 2^52). */
  writeZigzag(r: Float64Array, from: number, to: number, width: number): void {
    if (width === 0 || to <= from) return;
    this.ensure(Math.ceil(((to - from) * width) / 8) + 4);
    if (width > 24) {
      for (let i = from; i < to; i++) {
        const x = r[i];
        this.writeWide(x >= 0 ? x * 2 : -x * 2 - 1, width);
      }
      return;
    }
    const buf = this.buf;
    let p = this.pos;
    let acc = this.acc;
    let nb = this.nb;
    for (let i = from; i < to; i++) {
      const x = r[i]; // |x| < 2^23 here, so 32-bit zig-zag is exact
      const u = (x << 1) ^ (x >> 31);
      acc |= u << nb;
      nb += width;
      if (nb >= 32) {
        buf[p] = acc;
        buf[p + 1] = acc >>> 8;
        buf[p + 2] = acc >>> 16;
        buf[p + 3] = acc >>> 24;
        p += 4;
        nb -= 32;
        acc = u >>> (width - nb);
      }
    }
    this.pos = p;
    this.acc = acc;
    this.nb = nb;
  }

  /** One value of more than 24 bits: 24-bit pieces, low piece first. */
  private writeWide(x: number, width: number): void {
    let left = width;
    while (left > 24) {
      const low = x % 16777216;
      this.writeBits(low, 24);
      x = (x - low) / 16777216;
      left -= 24;
    }
    this.writeBits(x, left);
  }

  /** Appends the low `width` (≤ 32) bits of `v` (an unsigned 32-bit value or a smaller integer). */
  writeBits(v: number, width: number): void {
    if (width === 0) return;
    if (width > 24) {
      this.writeBits(v & 0xffff, 16);
      this.writeBits((v >>> 16) & ((1 << (width - 16)) - 1), width - 16);
      return;
    }
    this.ensure(4);
    const u = v & ((1 << width) - 1);
    let acc = this.acc | (u << this.nb);
    let nb = this.nb + width;
    if (nb >= 32) {
      const b = this.buf;
      const p = this.pos;
      b[p] = acc;
      b[p + 1] = acc >>> 8;
      b[p + 2] = acc >>> 16;
      b[p + 3] = acc >>> 24;
      this.pos = p + 4;
      nb -= 32;
      acc = u >>> (width - nb);
    }
    this.acc = acc;
    this.nb = nb;
  }

  /** Flushes the pending bits (last byte zero-padded); returns the stream's byte length. */
  flush(): number {
    this.ensure(4);
    while (this.nb > 0) {
      this.buf[this.pos++] = this.acc;
      this.acc >>>= 8;
      this.nb = Math.max(0, this.nb - 8);
    }
    this.acc = 0;
    return this.pos;
  }
}
