/**
 * Grow-only typed-array scratch space, so hot codecs allocate per segment at most when a
 * segment is bigger than any before it. Each codec module owns its instances; codecs are
 * synchronous and never re-entered, so one set per module (per worker) is safe.
 *
 * Requests above RETAIN_LIMIT elements get a one-off array that is not kept, so one huge segment
 * does not pin its scratch memory in every worker for good.
 */
const RETAIN_LIMIT = 1 << 20;

export class Float64Scratch {
  private a = new Float64Array(256);

  /** A Float64Array of at least `n` elements; contents are garbage. Valid until the next get(). */
  get(n: number): Float64Array {
    if (this.a.length >= n) return this.a;
    if (n > RETAIN_LIMIT) return new Float64Array(n);
    this.a = new Float64Array(Math.min(RETAIN_LIMIT, Math.max(n, Math.ceil(this.a.length * 1.5))));
    return this.a;
  }
}

/** Uint8Array counterpart of Float64Scratch. */
export class Uint8Scratch {
  private a = new Uint8Array(256);

  /** A Uint8Array of at least `n` elements; contents are garbage. Valid until the next get(). */
  get(n: number): Uint8Array {
    if (this.a.length >= n) return this.a;
    if (n > RETAIN_LIMIT) return new Uint8Array(n);
    this.a = new Uint8Array(Math.min(RETAIN_LIMIT, Math.max(n, Math.ceil(this.a.length * 1.5))));
    return this.a;
  }
}
