import { describe, expect, it } from 'vitest';
import type { SeriesRows, WriteBatch } from '../../model.ts';
import { vnodeOf } from '../../storage/vnode-of.ts';
import { encodeWalRecord, encodeWalRecordPacked } from '../../encoding/wal-record.ts';
import { packBatch, PackedWriteBatch } from '../../ingest/packed-batch.ts';
import { selectSeries, splitWrite } from './write-split.ts';

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

  it('splits a parsed (packed) batch into series subsets with the same parts, records and rows', () => {
    const symbols = Array.from({ length: 60 }, (_, i) => `stock.SZ.${i}`);
    const plain = batchOf(...symbols.map((s, i) => rows(s, 1 + (i % 5))));
    const packed = new PackedWriteBatch(packBatch(plain).packed);
    const a = splitWrite(plain, { vnodes: V, targetsOf });
    const b = splitWrite(packed, { vnodes: V, targetsOf });
    expect([...b.byNode.keys()].sort()).toEqual([...a.byNode.keys()].sort());
    expect([...b.vnodes.keys()].sort()).toEqual([...a.vnodes.keys()].sort());
    for (const [node, part] of b.byNode) {
      const want = a.byNode.get(node)!;
      expect(part).toBeInstanceOf(PackedWriteBatch);
      expect(part.rowCount).toBe(want.rowCount);
      expect(part.series.map((s) => [s.symbol, Array.from(s.ts)])).toEqual(want.series.map((s) => [s.symbol, Array.from(s.ts)]));
      // What the coordinator sends: the subset's record equals the plain part's record.
      const p = part as PackedWriteBatch;
      expect(Buffer.from(encodeWalRecordPacked(p.packed, p.only)).equals(Buffer.from(encodeWalRecord(want)))).toBe(true);
    }
  });
});

describe('selectSeries()', () => {
  const plain = batchOf(rows('a', 2), rows('b', 3), rows('c', 4));
  const packed = new PackedWriteBatch(packBatch(plain).packed);

  it('keeps the accepted series of a plain or packed batch, in order, with their row count', () => {
    for (const batch of [plain, packed]) {
      const kept = selectSeries(batch, (s) => s !== 'b');
      expect(kept.rowCount).toBe(6);
      expect(kept.series.map((s) => [s.symbol, s.ts.length])).toEqual([['a', 2], ['c', 4]]);
      // a subset of a subset: what a hint cut down from a coordinator's part looks like
      expect(selectSeries(kept, (s) => s === 'c').series.map((s) => s.symbol)).toEqual(['c']);
      expect(selectSeries(batch, () => false).rowCount).toBe(0);
    }
    expect(selectSeries(packed, (s) => s !== 'b')).toBeInstanceOf(PackedWriteBatch);
  });

  it('returns the batch itself when every series is kept', () => {
    expect(selectSeries(plain, () => true)).toBe(plain);
    expect(selectSeries(packed, () => true)).toBe(packed);
  });
});
