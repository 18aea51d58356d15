import { describe, expect, it } from 'vitest';
import type { SeriesRows, WriteBatch } from '../../model.ts';
import { vnodeOf } from '../../storage/vnode-of.ts';
import { splitWrite } from './write-split.ts';

const rows = (symbol: string, n: number): SeriesRows => ({ symbol, ts: Float64Array.from({ length: n }, (_, i) => i), columns: new Map([['price', new Float64Array(n).fill(1)]]) });
const batchOf = (...series: SeriesRows[]): WriteBatch => ({ series, rowCount: series.reduce((k, s) => k + s.ts.length, 0) });

describe('splitWrite()', () => {
  const V = 16;
  // vnode v is owned by [n(v%3), n((v+1)%3)]; vnode 5 also has a pending receiver n9.
  const targetsOf = (v: number) => ({ owners: [`n${v % 3}`, `n${(v + 1) % 3}`], pending: v === 5 ? ['n9'] : [] });

  it('sends each series to every owner and pending receiver of its vnode, one batch per node', () => {
    const symbols = Array.from({ length: 40 }, (_, i) => `stock.SH.${600000 + i}`);
    const batch = batchOf(...symbols.map((s, i) => rows(s, 1 + (i % 4))));
    const plan = splitWrite(batch, { vnodes: V, targetsOf });
    for (const s of batch.series) {
      const v = vnodeOf(s.symbol, V);
      const want = [...targetsOf(v).owners, ...targetsOf(v).pending].sort();
      const got = [...plan.byNode].filter(([, b]) => b.series.includes(s)).map(([n]) => n).sort();
      expect(got, s.symbol).toEqual(want);
    }
    for (const b of plan.byNode.values()) expect(b.rowCount).toBe(b.series.reduce((k, s) => k + s.ts.length, 0));
    expect([...plan.vnodes.keys()].sort((a, b) => a - b)).toEqual([...new Set(symbols.map((s) => vnodeOf(s, V)))].sort((a, b) => a - b));
    // every row reaches exactly RF owners
    const ownerRows = [...plan.byNode].filter(([n]) => n !== 'n9').reduce((k, [, b]) => k + b.rowCount, 0);
    expect(ownerRows).toBe(batch.rowCount * 2);
  });

  it('keeps the series order within a node and asks the ring once per vnode', () => {
    let asked = 0;
    const plan = splitWrite(batchOf(rows('a', 1), rows('a', 2), rows('b', 1)), { vnodes: V, targetsOf: () => (asked++, { owners: ['x'], pending: [] }) });
    expect(plan.byNode.get('x')!.series.map((s) => `${s.symbol}${s.ts.length}`)).toEqual(['a1', 'a2', 'b1']);
    expect(asked).toBe(new Set([vnodeOf('a', V), vnodeOf('b', V)]).size);
  });
});
