import { describe, expect, it } from 'vitest';
import { startBlockingWatch } from './blocking-watch.ts';
import type { BlockingOptions, Indexed } from './consul-client.ts';

/** A scripted stand-in for one Consul endpoint: answers (or throws) in order, records the calls. */
function script(steps: (Indexed<string> | Error)[]) {
  const calls: BlockingOptions[] = [];
  let i = 0;
  // Each step answers once; the call after the last one blocks until the watch is stopped.
  const read = async (o: BlockingOptions): Promise<Indexed<string>> => {
    calls.push({ index: o.index, wait: o.wait });
    const step = steps[Math.min(i++, steps.length - 1)]!;
    if (step instanceof Error) throw step;
    if (i > steps.length) {
      await new Promise((_, reject) => o.signal!.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    return step;
  };
  return { read, calls };
}

describe('startBlockingWatch()', () => {
  it('emits the first answer and each index change, blocking on the last index', async () => {
    const { read, calls } = script([
      { value: 'a', index: 5 },
      { value: 'a', index: 5 }, // wait timed out: no change
      { value: 'b', index: 9 },
    ]);
    const seen: string[] = [];
    const w = startBlockingWatch(read, (v, idx) => seen.push(`${v}@${idx}`), { wait: '1s', minIntervalMs: 0 });
    await new Promise((r) => setTimeout(r, 50));
    await w.stop();
    expect(seen).toEqual(['a@5', 'b@9']);
    expect(calls.map((c) => c.index)).toEqual([0, 5, 5, 9]); // the last one blocks until stop()
    expect(calls[1]!.wait).toBe('1s');
  });

  it('starts over from 0 when the index goes backwards, and treats index 0 as 1', async () => {
    const { read, calls } = script([
      { value: 'a', index: 50 },
      { value: 'x', index: 3 }, // agent restarted: start over
      { value: 'x', index: 3 },
      { value: 'y', index: 0 }, // backwards again: start over
      { value: 'y', index: 0 }, // index 0 after a reply: block on 1, never spin
    ]);
    const seen: string[] = [];
    const w = startBlockingWatch(read, (v) => seen.push(v), { minIntervalMs: 0 });
    await new Promise((r) => setTimeout(r, 50));
    await w.stop();
    expect(calls.map((c) => c.index)).toEqual([0, 50, 0, 3, 0, 1]);
    expect(seen).toEqual(['a', 'x', 'x', 'y', 'y']);
  });

  it('retries failed reads with growing, capped backoff and reports each failure', async () => {
    const { read } = script([new Error('down'), new Error('down'), new Error('down'), { value: 'up', index: 2 }, { value: 'up', index: 2 }]);
    const delays: number[] = [];
    const seen: string[] = [];
    const w = startBlockingWatch(read, (v) => seen.push(v), {
      minBackoffMs: 10,
      maxBackoffMs: 25,
      minIntervalMs: 0,
      onError: (_err, ms) => delays.push(ms),
    });
    await new Promise((r) => setTimeout(r, 200));
    await w.stop();
    expect(seen).toEqual(['up']);
    expect(delays).toHaveLength(3);
    expect(delays[0]).toBeGreaterThanOrEqual(5);
    expect(delays[0]).toBeLessThanOrEqual(10);
    expect(delays[1]).toBeGreaterThanOrEqual(10);
    expect(delays[2]).toBeLessThanOrEqual(25);
  });

  it('stop() aborts an in-flight call and resolves', async () => {
    const { read, calls } = script([{ value: 'a', index: 1 }]);
    const w = startBlockingWatch(read, () => {}, { minIntervalMs: 0 });
    await new Promise((r) => setTimeout(r, 20));
    await w.stop();
    expect(calls.length).toBe(2); // the second one was blocking when stopped
  });
});
