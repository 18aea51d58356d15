/**
 * A per-object work queue: de-duplicating, serialized per key, with per-key exponential backoff.
 *
 * Semantics of client-go's workqueue (and Pepr's `core/queue.ts`), which the reconcile loop
 * relies on for level-triggered processing:
 * - a key waits in the queue at most once, however many events name it (events coalesce);
 * - a key is handled by one worker at a time; an `add` while it is being handled marks it dirty
 *   and it runs once more afterwards, so no change is missed and no two reconciles of the same
 *   object overlap;
 * - a handler that throws is retried after base·2^(failures-1) ms (capped); a success resets it;
 * - a handler may ask to run again after a delay (polling while pods start, rebalance steps).
 *
 * Concurrency: single-threaded JS; `queue`, `dirty`, `processing` are only touched by the
 * methods of this class. Different keys run concurrently up to `concurrency`.
 */

/** What a handler may return: run this key again after `requeueAfterMs` (0 = as soon as possible). */
export interface HandlerResult {
  requeueAfterMs?: number;
}

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  /** Keys handled at the same time (different keys only). Default 2. */
  concurrency?: number;
  /** First retry delay after a failure, ms. Default 250. */
  baseDelayMs?: number;
  /** Longest retry delay, ms. Default 60 000. */
  maxDelayMs?: number;
  /**
   * Called with every handler error; return true when the error only means "run again now"
   * (an HTTP 409 conflict: someone else changed the object) so it does not count as a failure.
   */
  onError?: (key: string, err: unknown, failures: number) => boolean | void;
}

/** The de-duplicating, per-key serialized work queue. */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys added while processing: re-queued when their handler finishes. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly idleWaiters: (() => void)[] = [];
  private running = 0;
  private stopped = false;
  private readonly concurrency: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly handler: (key: string) => Promise<HandlerResult | void>,
    private readonly opts: WorkQueueOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 2;
    this.baseDelayMs = opts.baseDelayMs ?? 250;
    this.maxDelayMs = opts.maxDelayMs ?? 60_000;
  }

  /** Queues `key` now (no-op when already queued; marks it dirty while it is being handled). */
  add(key: string): void {
    if (this.stopped) return;
    this.clearTimer(key);
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Queues `key` after `ms`; an earlier pending delay for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key);
    if (this.timers.has(key)) return;
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    this.timers.set(key, t);
  }

  /** Keys waiting (not counting those being handled or delayed). */
  get length(): number {
    return this.queue.length;
  }

  /** Consecutive failures of `key` so far (0 after a success). */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Resolves when nothing is queued or being handled (delayed keys do not count). For tests. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops taking work, cancels delayed keys and waits for running handlers to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.dirty.clear();
    await this.idle();
  }

  private pump(): void {
    while (!this.stopped && this.running < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      this.running++;
      void this.work(key);
    }
    if (this.queue.length === 0 && this.running === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async work(key: string): Promise<void> {
    let retryAfter: number | undefined;
    try {
      const res = await this.handler(key);
      this.failures.delete(key);
      retryAfter = res?.requeueAfterMs;
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      const onlyRequeue = this.opts.onError?.(key, err, n) === true;
      if (onlyRequeue) {
        retryAfter = 0;
      } else {
        this.failures.set(key, n);
        retryAfter = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (n - 1));
      }
    } finally {
      this.processing.delete(key);
      this.running--;
    }
    if (this.dirty.delete(key)) this.add(key);
    else if (retryAfter !== undefined) this.addAfter(key, retryAfter);
    this.pump();
  }

  private clearTimer(key: string): void {
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t);
      this.timers.delete(key);
    }
  }
}
