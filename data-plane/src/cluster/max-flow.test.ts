import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowGraph } from './max-flow.ts';

describe('FlowGraph', () => {
  it('maxFlow() finds the textbook maximum (CLRS figure 26.1: 23)', () => {
    const g = new FlowGraph(6);
    const edges: [number, number, number][] = [
      [0, 1, 16], [0, 2, 13], [1, 3, 12], [2, 1, 4], [2, 4, 14], [3, 2, 9], [3, 5, 20], [4, 3, 7], [4, 5, 4],
    ];
    for (const [a, b, c] of edges) g.addEdge(a, b, c);
    expect(g.maxFlow(0, 5)).toBe(23);
    expect(g.maxFlow(0, 5)).toBe(0); // already maximal
  });

  it('reroutes a seeded flow when that is the only way to the maximum', () => {
    // S→a→x→T was seeded, but b can only use x: the flow must move a over to y.
    const [S, T, a, b, x, y] = [0, 1, 2, 3, 4, 5];
    const g = new FlowGraph(6);
    const sa = g.addEdge(S, a, 1);
    g.addEdge(S, b, 1);
    const ax = g.addEdge(a, x, 1);
    const ay = g.addEdge(a, y, 1);
    g.addEdge(b, x, 1);
    const xt = g.addEdge(x, T, 1);
    g.addEdge(y, T, 1);
    for (const e of [sa, ax, xt]) g.push(e, 1);
    expect(g.maxFlow(S, T)).toBe(1);
    expect([g.flowOn(ax), g.flowOn(ay)]).toEqual([0, 1]);
    expect(() => g.push(ax, 2)).toThrow(/BUG/);
  });

  it('bipartite matching size equals a brute-force maximum on small random graphs', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 5 }), (adj) => {
        const L = adj.length;
        const g = new FlowGraph(2 + L + 4);
        for (let i = 0; i < L; i++) g.addEdge(0, 2 + i, 1);
        for (let j = 0; j < 4; j++) g.addEdge(2 + L + j, 1, 1);
        adj.forEach((row, i) => row.forEach((on, j) => on && g.addEdge(2 + i, 2 + L + j, 1)));
        expect(g.maxFlow(0, 1)).toBe(bruteMatching(adj, 0, new Set()));
      }),
      { numRuns: 200 },
    );
  });
});

function bruteMatching(adj: boolean[][], i: number, used: Set<number>): number {
  if (i === adj.length) return 0;
  let best = bruteMatching(adj, i + 1, used);
  adj[i]!.forEach((on, j) => {
    if (!on || used.has(j)) return;
    used.add(j);
    best = Math.max(best, 1 + bruteMatching(adj, i + 1, used));
    used.delete(j);
  });
  return best;
}
