/**
 * LSB-first bit packer (format: docs/format/segment.md, "bit stream"): value bits go to the
 * stream low bit first, bytes fill from bit 0. Widths up to 54 bits; values are non-negative
 * integers held in float64 (JS bit operators are 32-bit, so wide values are split into 24-bit
 * pieces arithmetically).
 *
 * One writer per encoder, reused across columns via `reset()`; not shared between threads.
 */
export class BitWriter {
  /** Backing store; complete bytes are `[0, pos)`, plus `nb` pending bits in `acc`. */
  buf: Uint8Array;
  pos = 0;
  /** Pending bits not yet flushed to `buf` (fewer than 8 between calls). */
  private acc = 0;
  private nb = 0;

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }

  reset(): void {
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
   * Appends `u[from, to)` with `width` bits each. Every value must be an integer in [0, 2^width).
   * The narrow loop keeps fewer than 8 pending bits, so `acc` never exceeds 31 bits.
   */
  writeValues(u: Float64Array, from: number, to: number, width: number): void {
    if (width === 0 || to <= from) return;
    this.ensure(Math.ceil(((to - from) * width) / 8) + 1);
    if (width > 24) return this.writeWide(u, from, to, width);
    const buf = this.buf;
    let p = this.pos;
    let acc = this.acc;
    let nb = this.nb;
    for (let i = from; i < to; i++) {
      acc |= u[i] << nb;
      nb += width;
      while (nb >= 8) {
        buf[p++] = acc;
        acc >>>= 8;
        nb -= 8;
      }
    }
    this.pos = p;
    this.acc = acc;
    this.nb = nb;
  }

  /** Wide values: 24-bit pieces, low piece first (same stream order as one `width`-bit value). */
  private writeWide(u: Float64Array, from: number, to: number, width: number): void {
    for (let i = from; i < to; i++) {
      let x = u[i];
      let left = width;
      while (left > 24) {
        const low = x % 16777216;
        this.writeBits(low, 24);
        x = (x - low) / 16777216;
        left -= 24;
      }
      this.writeBits(x, left);
    }
  }

  /** Appends the low `width` (≤ 32) bits of `v` (an unsigned 32-bit value or a smaller integer). */
  writeBits(v: number, width: number): void {
    if (width === 0) return;
    if (width > 24) {
      // Split so the accumulator (≤ 7 pending bits) never needs more than 31 bits.
      this.writeBits(v & 0xffff, 16);
      this.writeBits((v >>> 16) & ((1 << (width - 16)) - 1), width - 16);
      return;
    }
    this.ensure(4);
    const buf = this.buf;
    let acc = this.acc | ((v & ((1 << width) - 1)) << this.nb);
    let nb = this.nb + width;
    while (nb >= 8) {
      buf[this.pos++] = acc;
      acc >>>= 8;
      nb -= 8;
    }
    this.acc = acc;
    this.nb = nb;
  }

  /** Flushes the last partial byte (zero-padded) and returns the byte length of the stream. */
  flush(): number {
    if (this.nb > 0) {
      this.ensure(1);
      this.buf[this.pos++] = this.acc;
      this.acc = 0;
      this.nb = 0;
    }
    return this.pos;
  }
}
