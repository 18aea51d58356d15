import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import type { SeriesRows } from '../model.ts';
import { plain } from './test-support.ts';
import { WriteBatchBuilder } from './write-batch-builder.ts';

function rows(symbol: string, ts: number[], cols: Record<string, number[]>): SeriesRows {
  return { symbol, ts: Float64Array.from(ts), columns: new Map(Object.entries(cols).map(([k, v]) => [k, Float64Array.from(v)])) };
}

describe('WriteBatchBuilder', () => {
  it('groups rows by series (first-seen order), NaN-fills absent fields, last set wins', () => {
    const b = new WriteBatchBuilder();
    const a = b.seriesId('A');
    const z = b.seriesId('Z');
    const open = b.fieldId('open');
    b.beginRow(z, 5);
    b.set(open, 1);
    b.beginRow(a, 1);
    b.set(open, 2);
    b.set(open, 3);
    const vol = b.fieldId('volume');
    b.beginRow(z, 4);
    b.set(vol, 7);
    b.beginRow(z, 3);
    b.setTime(6);
    b.set(open, 8);
    expect(b.rowCount).toBe(4);
    expect(b.rowsOf(z)).toBe(3);
    const batch = b.build();
    expect(batch.rowCount).toBe(4);
    expect(batch.series.map((s) => s.symbol)).toEqual(['A', 'Z']);
    expect(plain(batch)).toEqual({
      A: { ts: [1], open: [3] },
      Z: { ts: [5, 4, 6], open: [1, null, 8], volume: [null, 7, null] },
    });
    // columns appear in batch-wide first-seen field order; fields a series never had are left out
    expect([...batch.series[0].columns.keys()]).toEqual(['open']);
    expect([...batch.series[1].columns.keys()]).toEqual(['open', 'volume']);
  });

  it('appendRows() regroups batches (e.g. a split by vnode) without changing the data', () => {
    const b = new WriteBatchBuilder();
    b.appendRows(rows('A', [1, 2, 3], { x: [1, NaN, 3] }), 1, 3);
    b.appendRows(rows('B', [9], { y: [4] }));
    b.appendRows(rows('A', [4], { y: [5] }));
    expect(plain(b.build())).toEqual({ A: { ts: [2, 3, 4], x: [null, 3, null], y: [null, null, 5] }, B: { ts: [9], y: [4] } });
  });

  it('handles many rows and series through staging growth, and outputs exact-size arrays', () => {
    const b = new WriteBatchBuilder();
    const f = b.fieldId('v');
    for (let r = 0; r < 5000; r++) {
      b.beginRow(b.seriesId(`S${r % 7}`), r);
      b.set(f, r);
      if (r === 4000) b.set(b.fieldId('late'), -r);
    }
    const batch = b.build();
    expect(batch.series).toHaveLength(7);
    for (const s of batch.series) {
      const k = Number(s.symbol.slice(1));
      expect(Array.from(s.ts)).toEqual(Array.from({ length: s.ts.length }, (_, i) => k + 7 * i));
      expect(Array.from(s.columns.get('v')!)).toEqual(Array.from(s.ts));
      expect(s.ts.buffer.byteLength).toBe(s.ts.length * 8);
    }
    expect(plain(batch).S3.late?.filter((v) => v !== null)).toEqual([-4000]);
  });

  it('is single use, and a reused (pooled) staging never leaks into earlier results', () => {
    const b1 = new WriteBatchBuilder();
    b1.beginRow(b1.seriesId('A'), 1);
    b1.set(b1.fieldId('x'), 1);
    const first = b1.build();
    expect(() => b1.beginRow(0, 2)).toThrow(/BUG: WriteBatchBuilder used after build/);
    expect(() => b1.build()).toThrow(/BUG/);
    const b2 = new WriteBatchBuilder();
    b2.beginRow(b2.seriesId('B'), 2);
    b2.set(b2.fieldId('y'), 2);
    expect(plain(b2.build())).toEqual({ B: { ts: [2], y: [2] } }); // no "x" column left over
    expect(plain(first)).toEqual({ A: { ts: [1], x: [1] } });
  });

  it('rejects staging beyond maxValues (distinct fields × rows) with request_too_large', () => {
    const b = new WriteBatchBuilder(100);
    const s = b.seriesId('A');
    let err: unknown;
    try {
      for (let r = 0; r < 100; r++) {
        b.beginRow(s, r);
        b.set(b.fieldId(`f${r}`), r);
      }
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe('request_too_large');
    b.release();
  });
});
