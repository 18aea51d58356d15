import { describe, expect, it } from 'vitest';
import { BackgroundGate } from './background-gate.ts';

/** A task that runs until released, recording that it started. */
function heldTask(started: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { run: async () => (started.push(name), await done, name), release: () => release() };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

/** Foreground work noted, then two held background tasks submitted: only the first may start. */
async function twoTasksWhileBusy(gate: BackgroundGate) {
  const started: string[] = [];
  gate.noteForeground();
  const a = heldTask(started, 'a');
  const b = heldTask(started, 'b');
  const pa = gate.run(a.run);
  const pb = gate.run(b.run);
  await tick();
  expect(started).toEqual(['a']); // b waits: foreground work is active
  return { started, a, b, pa, pb };
}

describe('BackgroundGate', () => {
  it('keeps one of 2 workers free while foreground work comes in, and uses both once quiet', async () => {
    let now = 0;
    const gate = new BackgroundGate(2, 100, () => now);
    const { started, a, b, pa, pb } = await twoTasksWhileBusy(gate);
    expect(gate.queued).toBe(1);
    a.release();
    expect(await pa).toBe('a');
    await tick();
    expect(started).toEqual(['a', 'b']); // a's slot went to b, in arrival order
    // Quiet for the window: background may take every worker.
    now = 200;
    const c = heldTask(started, 'c');
    const pc = gate.run(c.run);
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    expect(gate.inPool).toBe(2);
    b.release();
    c.release();
    await Promise.all([pb, pc]);
    expect(gate.inPool).toBe(0);
  });

  it('opens a held-back slot when the busy window ends, without another task finishing', async () => {
    const gate = new BackgroundGate(2, 30);
    const { started, a, b, pa, pb } = await twoTasksWhileBusy(gate);
    await new Promise((r) => setTimeout(r, 80));
    expect(started).toEqual(['a', 'b']);
    a.release();
    b.release();
    await Promise.all([pa, pb]);
  });

  it('releases the slot of a task that throws', async () => {
    const gate = new BackgroundGate(1);
    await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(gate.inPool).toBe(0);
    expect(await gate.run(async () => 7)).toBe(7);
  });
});
