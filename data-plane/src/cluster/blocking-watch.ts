/**
 * Loop of Consul blocking queries: read, hand over the value when the index moved, block on the
 * new index, and on errors retry with capped exponential backoff and jitter.
 *
 * Follows Consul's "Blocking Queries" implementation notes: the first call does not block; an
 * index that goes backwards (agent restart, snapshot restore) resets to 0; an index ≤ 0 after a
 * reply is treated as 1 so the loop never spins on non-blocking calls; consecutive calls are at
 * least `minIntervalMs` apart in case a server answers at once with an unchanged index.
 */
import type { BlockingOptions, Indexed } from './consul-client.ts';
import { abortableSleep as sleep } from '../util/abortable-sleep.ts';

/** Options of `startBlockingWatch`. */
export interface BlockingWatchOptions {
  /** Max time Consul holds one call, a Consul duration (default "60s"). */
  wait?: string;
  /** First retry delay after an error, ms (default 200); doubles per failure. */
  minBackoffMs?: number;
  /** Largest retry delay, ms (default 15000). */
  maxBackoffMs?: number;
  /** Least time between the starts of two calls, ms (default 50). */
  minIntervalMs?: number;
  /** Told about every failed read (and every throwing listener) with the delay before the retry. */
  onError?: (err: unknown, retryInMs: number) => void;
}

/** A running watch; `stop()` aborts the in-flight call and resolves once the loop has exited. */
export interface BlockingWatch {
  stop(): Promise<void>;
}

/**
 * Starts watching: `onChange(value, index)` runs for the first answer and then whenever the
 * index moves (the value may be equal to the last one; consumers that care compare contents).
 * Calls are sequential, so `onChange` is never re-entered.
 */
export function startBlockingWatch<T>(
  read: (o: BlockingOptions) => Promise<Indexed<T>>,
  onChange: (value: T, index: number) => void,
  opts: BlockingWatchOptions = {},
): BlockingWatch {
  const abort = new AbortController();
  const loop = runLoop(read, onChange, opts, abort.signal);
  return {
    stop: async () => {
      abort.abort();
      await loop;
    },
  };
}

async function runLoop<T>(
  read: (o: BlockingOptions) => Promise<Indexed<T>>,
  onChange: (value: T, index: number) => void,
  opts: BlockingWatchOptions,
  signal: AbortSignal,
): Promise<void> {
  const wait = opts.wait ?? '60s';
  const minIntervalMs = opts.minIntervalMs ?? 50;
  let index = 0;
  let failures = 0;
  let first = true;
  while (!signal.aborted) {
    const started = Date.now();
    let result: Indexed<T>;
    try {
      result = await read({ index, wait, signal });
    } catch (err) {
      if (signal.aborted) return;
      failures++;
      const delay = backoff(failures, opts);
      opts.onError?.(err, delay);
      await sleep(delay, signal);
      continue;
    }
    failures = 0;
    const next = result.index < index ? 0 : Math.max(result.index, 1);
    if (first || next !== index) {
      first = false;
      try {
        onChange(result.value, result.index);
      } catch (err) {
        opts.onError?.(err, 0);
      }
    }
    index = next;
    await sleep(Math.max(0, minIntervalMs - (Date.now() - started)), signal);
  }
}

/** Capped exponential backoff with "equal jitter": half fixed, half random (spreads a herd). */
function backoff(failures: number, opts: BlockingWatchOptions): number {
  const min = opts.minBackoffMs ?? 200;
  const max = opts.maxBackoffMs ?? 15_000;
  const cap = Math.min(max, min * 2 ** Math.min(failures - 1, 30));
  return Math.round(cap / 2 + (Math.random() * cap) / 2);
}
