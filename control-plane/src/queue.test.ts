import { describe, expect, test } from 'vitest';
import { WorkQueue } from './queue.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls `cond` (timers on a loaded 2-core machine run late: wait for the state, not a time). */
async function eventually(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

describe('WorkQueue', () => {
  test('add() coalesces a key queued many times into one run', async () => {
    const seen: string[] = [];
    const q = new WorkQueue(async (k) => void seen.push(k), { concurrency: 1 });
    q.add('busy'); // starts at once and occupies the only worker, so the rest wait queued
    q.add('a');
    q.add('b');
    q.add('a');
    q.add('a');
    await q.idle();
    expect(seen).toEqual(['busy', 'a', 'b']);
    await q.stop();
  });

  test('a key is never handled twice at once; an add while running runs it once more after', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const q = new WorkQueue(
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs++;
        await sleep(20);
        active--;
      },
      { concurrency: 4 },
    );
    q.add('x');
    await sleep(5);
    q.add('x');
    q.add('x');
    await sleep(60);
    await q.idle();
    expect(maxActive).toBe(1);
    expect(runs).toBe(2);
    await q.stop();
  });

  test('different keys run concurrently up to the limit', async () => {
    let active = 0;
    let maxActive = 0;
    const q = new WorkQueue(
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(10);
        active--;
      },
      { concurrency: 2 },
    );
    for (const k of ['a', 'b', 'c', 'd']) q.add(k);
    await sleep(50);
    await q.idle();
    expect(maxActive).toBe(2);
    await q.stop();
  });

  test('failures back off exponentially and a success resets the count', async () => {
    const times: number[] = [];
    let fail = 3;
    const q = new WorkQueue(
      async () => {
        times.push(Date.now());
        if (fail-- > 0) throw new Error('boom');
      },
      { baseDelayMs: 20, maxDelayMs: 1000 },
    );
    q.add('k');
    await eventually(() => times.length >= 4);
    await sleep(50);
    expect(times.length).toBe(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    expect(gaps[2]).toBeGreaterThanOrEqual(78);
    expect(q.failuresOf('k')).toBe(0);
    await q.stop();
  });

  test('an error the onError hook calls a conflict is retried at once without backoff', async () => {
    let n = 0;
    const q = new WorkQueue(
      async () => {
        if (n++ === 0) throw Object.assign(new Error('conflict'), { code: 409 });
      },
      { baseDelayMs: 10_000, onError: (_k, err) => (err as { code?: number }).code === 409 },
    );
    q.add('k');
    await eventually(() => n >= 2);
    expect(n).toBe(2);
    expect(q.failuresOf('k')).toBe(0);
    await q.stop();
  });

  test('requeueAfterMs runs the key again later; stop() cancels pending delays', async () => {
    let n = 0;
    const q = new WorkQueue(async () => {
      n++;
      return { requeueAfterMs: 20 };
    });
    q.add('k');
    await eventually(() => n >= 2);
    await q.stop();
    const after = n;
    await sleep(50);
    expect(n).toBe(after);
  });
});
