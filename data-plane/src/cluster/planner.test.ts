import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSettled, type Placement, validatePlacement } from './placement.ts';
import { nextStep, planPlacement, type PlanOptions } from './planner.ts';

const POOL = Array.from({ length: 24 }, (_, i) => `node-${String(i).padStart(2, '0')}`);
const ids = (n: number, from = 0) => POOL.slice(from, from + n);

/** vnodes skewed small (where corners live) with some full-size rings. */
const vnodesArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 64 }) },
  { weight: 3, arbitrary: fc.integer({ min: 65, max: 1024 }) },
  { weight: 1, arbitrary: fc.constantFrom(1000, 4096) },
);
const rfArb = fc.integer({ min: 1, max: 3 });
const nodeSetArb = fc.uniqueArray(fc.constantFrom(...POOL.slice(0, 20)), { minLength: 1, maxLength: 20 });

function replicaCounts(p: Placement): Map<string, number> {
  const m = new Map<string, number>(p.nodes.map((n) => [n, 0]));
  for (const os of p.owners) for (const n of os) m.set(n, m.get(n)! + 1);
  return m;
}

function primaryCounts(p: Placement): Map<string, number> {
  const m = new Map<string, number>(p.nodes.map((n) => [n, 0]));
  for (const os of p.owners) m.set(os[0]!, m.get(os[0]!)! + 1);
  return m;
}

/** Replicas `b` has that `a` did not (one per copied vnode replica). */
/**
 * Extra moves balance forces after a node leaves: only when the quotas come out exact
 * (V·R divisible by N−1) can the one node short of its quota already hold an orphaned vnode, so a
 * staying node must pass one on (found by enumeration: 14 vnodes, RF 2, 15 → 14 nodes). Counts
 * moves that replace no replica of the leaver, and checks they only happen in that case.
 */
function forcedSwaps(cur: Placement, next: Placement, leaver: string): number {
  const extra = movedReplicas(cur, next).filter(({ vnode }) => !cur.owners[vnode]!.includes(leaver)).length;
  const total = cur.owners.reduce((s, os) => s + os.length, 0);
  if (extra > 0) expect(total % next.nodes.length, 'a swap between staying nodes without exact quotas').toBe(0);
  return extra;
}

function movedReplicas(a: Placement | null, b: Placement): { vnode: number; node: string }[] {
  const out: { vnode: number; node: string }[] = [];
  b.owners.forEach((os, v) => {
    for (const n of os) if (!a?.owners[v]!.includes(n)) out.push({ vnode: v, node: n });
  });
  return out;
}

/** Every count within the contract's tolerance: ±5% of the mean, or ±1 when the mean is small. */
function expectBalanced(counts: Map<string, number>, total: number): void {
  const mean = total / counts.size;
  const slack = Math.max(1, 0.05 * mean);
  for (const [n, c] of counts) {
    expect(Math.abs(c - mean), `${n} has ${c}, mean ${mean.toFixed(2)}`).toBeLessThanOrEqual(slack);
  }
}

/** The planner's own stronger promise: every count is ⌊mean⌋ or ⌈mean⌉. */
function expectFloorCeil(counts: Map<string, number>, total: number): void {
  const lo = Math.floor(total / counts.size);
  const hi = Math.ceil(total / counts.size);
  for (const [n, c] of counts) expect(c >= lo && c <= hi, `${n} has ${c}, want ${lo}..${hi}`).toBe(true);
}

function expectSettledPlan(p: Placement, nodes: readonly string[], opts: PlanOptions): void {
  validatePlacement(p);
  expect(p.nodes).toEqual([...new Set(nodes)].sort());
  expect(isSettled(p)).toBe(true);
  const R = Math.min(opts.replicationFactor, p.nodes.length);
  for (const os of p.owners) expect(new Set(os).size).toBe(R);
  expectBalanced(replicaCounts(p), opts.vnodes * R);
  expectFloorCeil(replicaCounts(p), opts.vnodes * R);
  expectBalanced(primaryCounts(p), opts.vnodes);
}

describe('planPlacement()', () => {
  it('places a new ring: distinct owners, balanced replicas and primaries', () => {
    fc.assert(
      fc.property(vnodesArb, rfArb, nodeSetArb, (vnodes, replicationFactor, nodes) => {
        const opts = { vnodes, replicationFactor };
        const p = planPlacement(null, nodes, opts);
        expect(p.epoch).toBe(1);
        expectSettledPlan(p, nodes, opts);
      }),
      { numRuns: 80 },
    );
  });

  it('moves exactly the deficit and never between two staying nodes, for any membership change', () => {
    fc.assert(
      fc.property(vnodesArb, rfArb, nodeSetArb, nodeSetArb, (vnodes, replicationFactor, before, after) => {
        const opts = { vnodes, replicationFactor };
        const cur = planPlacement(null, before, opts);
        const next = planPlacement(cur, after, opts);
        expectSettledPlan(next, after, opts);
        const moved = movedReplicas(cur, next);
        // Lower bound: each node must gain at least (target count − count it already has).
        const had = replicaCounts(cur);
        let lowerBound = 0;
        for (const [n, c] of replicaCounts(next)) lowerBound += Math.max(0, c - (had.get(n) ?? 0));
        expect(moved.length).toBe(lowerBound);
        // A staying node never hands a replica to another staying node.
        const staying = new Set(after.filter((n) => before.includes(n)));
        next.owners.forEach((os, v) => {
          const gained = os.some((n) => staying.has(n) && !cur.owners[v]!.includes(n));
          const lost = cur.owners[v]!.some((n) => staying.has(n) && !os.includes(n));
          expect(gained && lost, `vnode ${v} moved between staying nodes`).toBe(false);
        });
      }),
      { numRuns: 80 },
    );
  });

  it('adding one node moves only replicas to it, about V·R/N of them', () => {
    fc.assert(
      fc.property(vnodesArb, rfArb, fc.integer({ min: 1, max: 19 }), (vnodes, replicationFactor, n) => {
        const opts = { vnodes, replicationFactor };
        const cur = planPlacement(null, ids(n), opts);
        const next = planPlacement(cur, ids(n + 1), opts);
        const moved = movedReplicas(cur, next);
        const newcomer = POOL[n]!;
        expect(moved.every((m) => m.node === newcomer)).toBe(true);
        const R = Math.min(replicationFactor, n + 1);
        expect(moved.length).toBeGreaterThanOrEqual(Math.floor((vnodes * R) / (n + 1)));
        expect(moved.length).toBeLessThanOrEqual(Math.ceil((vnodes * R) / (n + 1)));
      }),
      { numRuns: 80 },
    );
  });

  it('removing one node moves only its replicas, and it keeps none', () => {
    fc.assert(
      fc.property(vnodesArb, rfArb, fc.integer({ min: 2, max: 20 }), fc.nat(), (vnodes, replicationFactor, n, pick) => {
        const opts = { vnodes, replicationFactor };
        const cur = planPlacement(null, ids(n), opts);
        const leaver = POOL[pick % n]!;
        const next = planPlacement(cur, ids(n).filter((x) => x !== leaver), opts);
        expect(next.owners.every((os) => !os.includes(leaver))).toBe(true);
        const moved = movedReplicas(cur, next);
        // Each moved replica replaces one of the leaver's; when N−1 < RF they are dropped instead.
        const held = replicaCounts(cur).get(leaver)!;
        expect(moved.length).toBe(n - 1 >= replicationFactor ? held + forcedSwaps(cur, next, leaver) : 0);
        next.owners.forEach((os, v) => {
          const gained = os.filter((x) => !cur.owners[v]!.includes(x));
          if (gained.length > 0) expect(cur.owners[v]).toContain(leaver);
        });
      }),
      { numRuns: 80 },
    );
  });

  it('depends on the node set only: order and duplicates do not matter', () => {
    fc.assert(
      fc.property(vnodesArb, rfArb, nodeSetArb, nodeSetArb, fc.nat(), (vnodes, replicationFactor, before, after, seed) => {
        const opts = { vnodes, replicationFactor };
        const cur = planPlacement(null, before, opts);
        const shuffled = shuffle([...after, ...after.slice(0, seed % (after.length + 1))], seed);
        expect(planPlacement(cur, shuffled, opts)).toEqual(planPlacement(cur, after, opts));
        expect(planPlacement(null, shuffle(before, seed + 1), opts)).toEqual(cur);
      }),
      { numRuns: 60 },
    );
  });

  it('is idempotent: planning the target again returns it unchanged and needs no moves', () => {
    fc.assert(
      fc.property(vnodesArb, rfArb, nodeSetArb, nodeSetArb, (vnodes, replicationFactor, before, after) => {
        const opts = { vnodes, replicationFactor };
        const target = planPlacement(planPlacement(null, before, opts), after, opts);
        const again = planPlacement(target, after, opts);
        expect(again).toBe(target);
        expect(nextStep(target, again, 10).moves).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('rebalances an arbitrary (unbalanced, partly filled) placement', () => {
    const arbitraryPlacement = fc
      .record({ vnodes: fc.integer({ min: 1, max: 200 }), rf: rfArb, nodes: nodeSetArb })
      .chain(({ vnodes, rf, nodes }) =>
        fc
          .array(fc.uniqueArray(fc.constantFrom(...nodes), { minLength: 1, maxLength: Math.min(rf, nodes.length) }), {
            minLength: vnodes,
            maxLength: vnodes,
          })
          .map((owners): Placement => ({ epoch: 7, vnodes, replicationFactor: rf, nodes: [...nodes].sort(), owners })),
      );
    fc.assert(
      fc.property(arbitraryPlacement, rfArb, nodeSetArb, (cur, replicationFactor, after) => {
        const opts = { vnodes: cur.vnodes, replicationFactor };
        const next = planPlacement(cur, after, opts);
        expectSettledPlan(next, after, opts);
        if (next !== cur) expect(next.epoch).toBe(8);
      }),
      { numRuns: 100 },
    );
  });

  it('handles RF changes: more or fewer replicas, still balanced', () => {
    fc.assert(
      fc.property(vnodesArb, rfArb, rfArb, nodeSetArb, (vnodes, rf1, rf2, nodes) => {
        const cur = planPlacement(null, nodes, { vnodes, replicationFactor: rf1 });
        const next = planPlacement(cur, nodes, { vnodes, replicationFactor: rf2 });
        expectSettledPlan(next, nodes, { vnodes, replicationFactor: rf2 });
      }),
      { numRuns: 60 },
    );
  });

  it('rejects a changed vnode count, no nodes, and bad options', () => {
    const cur = planPlacement(null, ['a', 'b'], { vnodes: 16, replicationFactor: 2 });
    expect(() => planPlacement(cur, ['a'], { vnodes: 32, replicationFactor: 2 })).toThrow(/vnodes 32 differs/);
    expect(() => planPlacement(null, [], { vnodes: 16, replicationFactor: 2 })).toThrow(/at least one node/);
    expect(() => planPlacement(null, ['a'], { vnodes: 0, replicationFactor: 2 })).toThrow(/vnodes 0/);
    expect(() => planPlacement(null, ['a'], { vnodes: 16, replicationFactor: 0 })).toThrow(/replicationFactor 0/);
    expect(() => planPlacement(null, [''], { vnodes: 16, replicationFactor: 1 })).toThrow(/non-empty/);
  });

  it('gives 1000 vnodes at RF 2 on 3 nodes exactly 666/667 replicas and 333/334 primaries', () => {
    const p = planPlacement(null, ['n1', 'n2', 'n3'], { vnodes: 1000, replicationFactor: 2 });
    expect([...replicaCounts(p).values()].sort()).toEqual([666, 667, 667]);
    expect([...primaryCounts(p).values()].sort()).toEqual([333, 333, 334]);
  });
});

describe('nextStep()', () => {
  it('reaches the target in ⌈moves/maxMoves⌉ valid steps of at most maxMoves moves', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        rfArb,
        nodeSetArb,
        nodeSetArb,
        fc.integer({ min: 1, max: 200 }),
        (vnodes, replicationFactor, before, after, maxMoves) => {
          const opts = { vnodes, replicationFactor };
          let cur = planPlacement(null, before, opts);
          const target = planPlacement(cur, after, opts);
          const total = movedReplicas(cur, target).length;
          let steps = 0;
          let moved = 0;
          for (;;) {
            const step = nextStep(cur, target, maxMoves);
            if (step.moves.length === 0 && step.placement === cur) break;
            steps++;
            expect(step.moves.length).toBeLessThanOrEqual(maxMoves);
            expect(step.placement.epoch).toBe(cur.epoch + 1);
            validatePlacement(step.placement);
            for (const m of step.moves) {
              expect(cur.owners[m.vnode]).not.toContain(m.to);
              if (m.from !== null) expect(cur.owners[m.vnode]).toContain(m.from);
              expect(step.placement.owners[m.vnode]).toContain(m.to);
              expect(target.owners[m.vnode]![m.replicaIndex]).toBe(m.to);
            }
            moved += step.moves.length;
            cur = step.placement;
            expect(steps).toBeLessThanOrEqual(Math.ceil(total / maxMoves) + 1);
          }
          expect(moved).toBe(total);
          expect(cur.owners).toEqual(target.owners);
          expect(cur.nodes).toEqual(target.nodes);
          // Reorders and drops ride along with moves; only a move-free change takes its own step.
          if (total === 0) expect(steps).toBeLessThanOrEqual(1);
          else expect(steps).toBe(Math.ceil(total / maxMoves));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('applies a batch in place: unfinished vnodes keep their other owners and positions', () => {
    const opts = { vnodes: 8, replicationFactor: 2 };
    const cur = planPlacement(null, ['a', 'b', 'c'], opts);
    const target = planPlacement(cur, ['a', 'b', 'c', 'd'], opts);
    const step = nextStep(cur, target, 1);
    expect(step.moves).toHaveLength(1);
    const [m] = step.moves;
    expect(m!.to).toBe('d');
    expect(step.placement.nodes).toEqual(['a', 'b', 'c', 'd']);
    step.placement.owners.forEach((os, v) => {
      if (v !== m!.vnode) expect(os).toEqual(cur.owners[v]);
    });
  });

  it('keeps a leaving node in the member list until it has handed everything over', () => {
    const opts = { vnodes: 12, replicationFactor: 2 };
    const cur = planPlacement(null, ['a', 'b', 'c', 'd'], opts);
    const target = planPlacement(cur, ['a', 'b', 'c'], opts);
    const first = nextStep(cur, target, 1);
    expect(first.moves[0]!.from).toBe('d');
    expect(first.placement.nodes).toContain('d');
    let p = first.placement;
    for (let s = nextStep(p, target, 100); s.moves.length > 0; s = nextStep(p, target, 100)) p = s.placement;
    expect(p.nodes).toEqual(['a', 'b', 'c']);
  });

  it('rejects maxMoves < 1 and placements of different vnode counts', () => {
    const a = planPlacement(null, ['a'], { vnodes: 4, replicationFactor: 1 });
    const b = planPlacement(null, ['a'], { vnodes: 8, replicationFactor: 1 });
    expect(() => nextStep(a, a, 0)).toThrow(/maxMoves 0/);
    expect(() => nextStep(a, b, 1)).toThrow(/vnode counts differ/);
  });
});

/** Deterministic Fisher–Yates from a seed (fast-check shrinks the seed, not the permutation). */
function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('planPlacement() on every small ring (exhaustive, deterministic)', () => {
  it('one node leaving or joining moves only its replicas (balance-forced swaps only with exact quotas)', () => {
    for (let vnodes = 1; vnodes <= 10; vnodes++) for (let replicationFactor = 1; replicationFactor <= 3; replicationFactor++) for (let n = 2; n <= 12; n++) {
      const opts = { vnodes, replicationFactor };
      const cur = planPlacement(null, ids(n), opts);
      for (const leaver of ids(n)) {
        const next = planPlacement(cur, ids(n).filter((x) => x !== leaver), opts);
        const held = replicaCounts(cur).get(leaver)!;
        expect(movedReplicas(cur, next).length, `${vnodes}/${replicationFactor}/${n} without ${leaver}`).toBe(n - 1 >= replicationFactor ? held + forcedSwaps(cur, next, leaver) : 0);
      }
      const grown = planPlacement(cur, ids(n + 1), opts);
      for (const m of movedReplicas(cur, grown)) expect(m.node, `${vnodes}/${replicationFactor}/${n} + 1`).toBe(POOL[n]);
    }
  });
});
