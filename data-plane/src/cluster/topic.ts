/**
 * Latest-value topic for membership listeners. Single-threaded by construction (called from one
 * watch loop or from the in-memory source); listeners never run concurrently.
 */

/**
 * Latest value plus listeners: new subscribers get the latest value in a microtask (if any), and
 * a value equal to the previous one is not re-published. A throwing listener is reported, and the
 * others still run.
 */
export class Topic<T> {
  /** Set by the owner once the loop feeding this topic runs. */
  started = false;
  private latest: { value: T } | null = null;
  private readonly listeners = new Set<(value: T) => void>();

  constructor(
    private readonly same: (a: T, b: T) => boolean,
    private readonly report: (err: unknown) => void,
  ) {}

  /** Stores and hands `value` to every listener unless equal to the latest; rethrows the first listener error. */
  publish(value: T): void {
    if (this.latest && this.same(this.latest.value, value)) return;
    this.latest = { value };
    // One throwing listener must not starve the others; the first error goes to the watch.
    let failure: unknown;
    for (const l of [...this.listeners]) {
      try {
        l(value);
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /** Adds a listener; returns the unsubscribe function. */
  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    if (this.latest) {
      const { value } = this.latest;
      queueMicrotask(() => {
        try {
          if (this.listeners.has(listener)) listener(value);
        } catch (err) {
          this.report(err);
        }
      });
    }
    return () => this.listeners.delete(listener);
  }
}
