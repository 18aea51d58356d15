/**
 * Growable little-endian byte buffer that codecs append into (VictoriaMetrics' `Marshal(dst)`
 * style): one buffer reused across calls, no per-value allocation.
 *
 * Not thread-shared: each worker/encoder owns its writers. Integers written through
 * `uvarint`/`svarint` must be integral with magnitude below 2^53 (they are computed in float64).
 */
/** Writers reused across calls keep at most this much memory between calls. */
const RETAIN_BYTES = 8 << 20;

export class ByteWriter {
  /** Backing store; bytes `[0, pos)` are written. Replaced when it grows. */
  buf: Uint8Array;
  /** Write position (= number of bytes written). */
  pos = 0;
  private readonly f64Scratch = new Float64Array(1);
  private readonly f64Bytes = new Uint8Array(this.f64Scratch.buffer);

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    const next = new Uint8Array(Math.max(need, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Forgets the contents; keeps the capacity unless an outsized value grew it past 8 MiB. */
  reset(): void {
    if (this.buf.length > RETAIN_BYTES) this.buf = new Uint8Array(1024);
    this.pos = 0;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    b[this.pos++] = v;
    b[this.pos++] = v >>> 8;
  }

  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    b[this.pos++] = v;
    b[this.pos++] = v >>> 8;
    b[this.pos++] = v >>> 16;
    b[this.pos++] = v >>> 24;
  }

  /** Writes a double; NaN may be canonicalized (use `bytes` for exact NaN payloads). */
  f64(v: number): void {
    this.f64Scratch[0] = v;
    this.bytes(this.f64Bytes);
  }

  /** Unsigned LEB128 of an integer in [0, 2^53). */
  uvarint(v: number): void {
    this.ensure(8);
    const b = this.buf;
    let p = this.pos;
    // Above 2^31 the bit operators would truncate: peel 7-bit groups arithmetically first.
    while (v >= 0x80000000) {
      const low = v % 128;
      b[p++] = low | 0x80;
      v = (v - low) / 128;
    }
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.pos = p;
  }

  /** Zig-zag + LEB128 of an integer with |v| < 2^52. */
  svarint(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** Appends a copy of `src`. */
  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** A fresh copy of the written bytes (the caller owns it; the writer can be reused). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Bytes a `uvarint(v)` takes. */
export function uvarintLength(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Bytes an `svarint(v)` takes. */
export function svarintLength(v: number): number {
  return uvarintLength(v >= 0 ? v * 2 : -v * 2 - 1);
}
