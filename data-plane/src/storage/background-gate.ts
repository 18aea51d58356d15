/**
 * Keeps a worker free for foreground work (request parsing, reads) while background work
 * (sealing, import merges) runs on the same pool.
 *
 * Piscina's queue is first-in first-out, so a burst of seal tasks (every series of a bulk load
 * fills its head at the same moment) used to occupy every worker for a second or more while
 * the requests' parse tasks queued behind them: measured with 2 workers, ingest fell from
 * ~2M to ~0.5M rows/s during the burst while the request thread sat idle. Background tasks
 * now enter the pool through this gate: while foreground tasks came in within the last
 * `busyWindowMs`, at most `threads - 1` background tasks are in the pool at once; when the pool
 * has been quiet that long, they may use every worker (a flush at shutdown is not slowed).
 */
export class BackgroundGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private lastForegroundMs = -Infinity;
  private wakeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly threads: number,
    private readonly busyWindowMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Background tasks in the pool now. */
  get inPool(): number {
    return this.running;
  }

  /** Background tasks waiting for the gate. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Notes that a foreground task was submitted now. */
  noteForeground(): void {
    this.lastForegroundMs = this.now();
  }

  /** Runs `task` once a background slot is free. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (!this.admit()) {
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        this.release(); // arms the wake-up when only the busy window holds it back
      });
    }
    try {
      return await task();
    } finally {
      this.running--;
      this.release();
    }
  }

  private limit(): number {
    const busy = this.now() - this.lastForegroundMs < this.busyWindowMs;
    return busy ? Math.max(1, this.threads - 1) : Math.max(1, this.threads);
  }

  /** Takes a slot when one is free (and nobody waits ahead). */
  private admit(): boolean {
    if (this.waiting.length > 0 || this.running >= this.limit()) return false;
    this.running++;
    return true;
  }

  /** Hands free slots to waiters in arrival order; re-checks when the busy window ends. */
  private release(): void {
    while (this.waiting.length > 0 && this.running < this.limit()) {
      this.running++;
      this.waiting.shift()!();
    }
    if (this.waiting.length > 0 && this.running < this.threads && !this.wakeTimer) {
      // Slots held back only for foreground work: open them once the pool has been quiet.
      const wait = Math.max(1, this.busyWindowMs - (this.now() - this.lastForegroundMs));
      this.wakeTimer = setTimeout(() => {
        this.wakeTimer = null;
        this.release();
      }, wait);
      this.wakeTimer.unref?.();
    }
  }
}
