import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cpuQuotaCores, usableCores } from './usable-cores.ts';

describe('cpuQuotaCores', () => {
  it.each([
    ['v2 unlimited', 'max 100000', null, null, null],
    ['v2 two cores', '200000 100000', null, null, 2],
    ['v2 half a core rounds up to one', '50000 100000', null, null, 1],
    ['v2 1.5 cores rounds up', '150000 100000', null, null, 2],
    ['v1 unlimited', null, '-1', '100000', null],
    ['v1 four cores', null, '400000', '100000', 4],
    ['no cgroup files', null, null, null, null],
    ['garbage', 'abc def', null, null, null],
  ])('%s', (_name, v2, q, p, want) => {
    expect(cpuQuotaCores(v2, q, p)).toBe(want);
  });
});

describe('usableCores', () => {
  it('is at least one and at most the CPUs this process may run on', () => {
    const n = usableCores();
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(availableParallelism());
    expect(usableCores()).toBe(n);
  });
});
