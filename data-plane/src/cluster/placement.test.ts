import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePlacement, encodePlacement, isSettled, type Placement, validatePlacement } from './placement.ts';
import { planPlacement } from './planner.ts';

const small: Placement = { epoch: 3, vnodes: 3, replicationFactor: 2, nodes: ['a', 'b', 'c'], owners: [['a', 'b'], ['c', 'a'], ['b', 'c']] };

describe('encodePlacement() / decodePlacement()', () => {
  it('writes owners as indexes into nodes (golden bytes)', () => {
    expect(encodePlacement(small)).toBe('{"format":1,"epoch":3,"vnodes":3,"rf":2,"nodes":["a","b","c"],"owners":[[0,1],[2,0],[1,2]]}');
  });

  it('round-trips every planned placement', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 3 }),
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 }),
        (vnodes, replicationFactor, nodes) => {
          const p = planPlacement(null, nodes, { vnodes, replicationFactor });
          expect(decodePlacement(encodePlacement(p))).toEqual(p);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('keeps 1000 vnodes at RF 2 on 5 nodes under 8 KB', () => {
    const p = planPlacement(null, ['n1', 'n2', 'n3', 'n4', 'n5'], { vnodes: 1000, replicationFactor: 2 });
    expect(encodePlacement(p).length).toBeLessThan(8192);
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['an array', '[]', /not a JSON object/],
    ['another format', '{"format":2}', /format 2 is not 1/],
    ['an index outside nodes', '{"format":1,"epoch":1,"vnodes":1,"rf":1,"nodes":["a"],"owners":[[1]]}', /index 1 outside/],
    ['a fractional index', '{"format":1,"epoch":1,"vnodes":1,"rf":1,"nodes":["a"],"owners":[[0.5]]}', /index 0.5/],
    ['a missing vnode', '{"format":1,"epoch":1,"vnodes":2,"rf":1,"nodes":["a"],"owners":[[0]]}', /owners has 1 entries/],
    ['a string epoch', '{"format":1,"epoch":"1","vnodes":1,"rf":1,"nodes":["a"],"owners":[[0]]}', /epoch 1 is not/],
  ])('decodePlacement() rejects %s', (_name, text, message) => {
    expect(() => decodePlacement(text)).toThrow(message);
  });
});

describe('validatePlacement()', () => {
  const bad: [string, Partial<Placement>, RegExp][] = [
    ['a negative epoch', { epoch: -1 }, /epoch -1/],
    ['zero vnodes', { vnodes: 0, owners: [] }, /vnodes 0/],
    ['more vnodes than the key layout holds', { vnodes: 65535 }, /vnodes 65535/],
    ['RF 0', { replicationFactor: 0 }, /replicationFactor 0/],
    ['no nodes', { nodes: [] }, /non-empty array/],
    ['unsorted nodes', { nodes: ['b', 'a', 'c'] }, /sorted and distinct/],
    ['duplicate nodes', { nodes: ['a', 'a', 'c'] }, /sorted and distinct/],
    ['a vnode without owners', { owners: [['a', 'b'], [], ['b', 'c']] }, /vnode 1 has 0 owners/],
    ['more owners than RF', { owners: [['a', 'b', 'c'], ['c', 'a'], ['b', 'c']] }, /vnode 0 has 3 owners/],
    ['an owner twice', { owners: [['a', 'a'], ['c', 'a'], ['b', 'c']] }, /lists "a" twice/],
    ['an unknown owner', { owners: [['a', 'z'], ['c', 'a'], ['b', 'c']] }, /"z" is not in nodes/],
  ];
  it.each(bad)('rejects %s', (_name, patch, message) => {
    expect(() => validatePlacement({ ...small, ...patch })).toThrow(message);
  });

  it('accepts a mid-rebalance vnode with fewer owners than RF, which is not settled', () => {
    const p = { ...small, owners: [['a'], ['c', 'a'], ['b', 'c']] };
    expect(() => validatePlacement(p)).not.toThrow();
    expect(isSettled(p)).toBe(false);
    expect(isSettled(small)).toBe(true);
  });
});
