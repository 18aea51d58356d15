/**
 * Timing for the single-threaded micro-benchmarks (codec, candle, forward): the fastest of
 * repeated runs, not the mean, because other processes share the machine's two cores and only
 * ever add time.
 */

/** Milliseconds of one `fn()`: the fastest of repeated runs within `budgetMs` (after one untimed run). */
export function timeIt(fn: () => void, budgetMs: number): number {
  fn();
  let best = Infinity;
  const end = performance.now() + budgetMs;
  for (let t = performance.now(); t < end; ) {
    fn();
    const now = performance.now();
    best = Math.min(best, now - t);
    t = now;
  }
  return best;
}
