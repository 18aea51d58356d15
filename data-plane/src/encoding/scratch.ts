/**
 * Grow-only typed-array scratch space, so hot codecs allocate per segment at most when a
 * segment is bigger than any before it. Each codec module owns its instances; codecs are
 * synchronous and never re-entered, so one set per module (per worker) is safe.
 */
export class Float64Scratch {
  private a = new Float64Array(256);

  /** A Float64Array of at least `n` elements; contents are garbage. Valid until the next get(). */
  get(n: number): Float64Array {
    if (this.a.length < n) this.a = new Float64Array(Math.max(n, Math.ceil(this.a.length * 1.5)));
    return this.a;
  }
}

/** Uint8Array counterpart of Float64Scratch. */
export class Uint8Scratch {
  private a = new Uint8Array(256);

  /** A Uint8Array of at least `n` elements; contents are garbage. Valid until the next get(). */
  get(n: number): Uint8Array {
    if (this.a.length < n) this.a = new Uint8Array(Math.max(n, Math.ceil(this.a.length * 1.5)));
    return this.a;
  }
}
