import { describe, expect, test } from 'vitest';
import { setCondition } from './conditions.ts';

describe('setCondition()', () => {
  const base = setCondition([], { type: 'Ready', status: 'False', reason: 'PodsNotReady', message: 'a' }, 1, 't1');
  test('a new condition gets the generation and now', () => {
    expect(base).toEqual([{ type: 'Ready', status: 'False', reason: 'PodsNotReady', message: 'a', observedGeneration: 1, lastTransitionTime: 't1' }]);
  });
  test('same status keeps lastTransitionTime; message and generation update', () => {
    expect(setCondition(base, { type: 'Ready', status: 'False', reason: 'X', message: 'b' }, 2, 't2')[0]).toMatchObject({ lastTransitionTime: 't1', reason: 'X', message: 'b', observedGeneration: 2 });
  });
  test('a flip sets lastTransitionTime; other conditions keep their place', () => {
    const two = setCondition(base, { type: 'Degraded', status: 'False', reason: 'Ok', message: '' }, 1, 't1');
    const flipped = setCondition(two, { type: 'Ready', status: 'True', reason: 'AllNodesReady', message: '' }, 1, 't3');
    expect(flipped.map((c) => `${c.type}=${c.status}@${c.lastTransitionTime}`)).toEqual(['Ready=True@t3', 'Degraded=False@t1']);
  });
});
