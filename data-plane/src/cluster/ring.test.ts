import { describe, expect, it } from 'vitest';
import { vnodeOf } from '../storage/vnode-of.ts';
import { planPlacement } from './planner.ts';
import { Ring } from './ring.ts';

describe('Ring', () => {
  const placement = planPlacement(null, ['n1', 'n2', 'n3'], { vnodes: 1000, replicationFactor: 2 });
  const ring = new Ring(placement);

  it('routes a symbol with the engine key layout hash', () => {
    for (const s of ['stock.SH.600519', 'stock.SZ.000001', 'tick.US.AAPL', 'x']) {
      expect(ring.vnodeOf(s)).toBe(vnodeOf(s, 1000));
      expect(ring.ownersOf(s)).toEqual(placement.owners[vnodeOf(s, 1000)]);
    }
  });

  it('ownersOf() lists RF distinct nodes, primary first', () => {
    const os = ring.ownersOf('stock.SH.600519');
    expect(os).toHaveLength(2);
    expect(new Set(os).size).toBe(2);
    expect(ring.primaryVnodesOf(os[0]!)).toContain(ring.vnodeOf('stock.SH.600519'));
  });

  it('vnodesOwnedBy() covers every replica exactly once, ascending', () => {
    const all = ['n1', 'n2', 'n3'].flatMap((n) => ring.vnodesOwnedBy(n));
    expect(all).toHaveLength(2000);
    for (const n of ['n1', 'n2', 'n3']) {
      const vs = ring.vnodesOwnedBy(n);
      expect([...vs].sort((a, b) => a - b)).toEqual(vs);
      for (const v of vs) expect(ring.ownersOfVnode(v)).toContain(n);
    }
    expect(ring.vnodesOwnedBy('stranger')).toEqual([]);
  });

  it('owns() agrees with ownersOf()', () => {
    const [p, s] = ring.ownersOf('stock.SZ.000001');
    expect(ring.owns(p!, 'stock.SZ.000001')).toBe(true);
    expect(ring.owns(s!, 'stock.SZ.000001')).toBe(true);
    const other = ['n1', 'n2', 'n3'].find((n) => n !== p && n !== s)!;
    expect(ring.owns(other, 'stock.SZ.000001')).toBe(false);
  });

  it('exposes epoch and vnodes, rejects out-of-range vnodes and invalid placements', () => {
    expect(ring.epoch).toBe(1);
    expect(ring.vnodes).toBe(1000);
    expect(() => ring.ownersOfVnode(1000)).toThrow(RangeError);
    expect(() => new Ring({ ...placement, owners: placement.owners.slice(1) })).toThrow(/owners has 999/);
  });
});
