import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeLayers, sliceRows, sortDedupe, type SortedRows } from './sorted-rows.ts';
import { splitRows } from './segment-split.ts';

// Naive reference: a Map keyed by timestamp, later writes replace earlier ones.
function naive(rows: [number, number][]): [number, number][] {
  const m = new Map<number, number>();
  for (const [t, v] of rows) m.set(t, v);
  return [...m].sort((a, b) => a[0] - b[0]);
}

const rowsArb = fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.double({ noNaN: true })), { maxLength: 60 });

function layer(rows: [number, number][]): SortedRows {
  const sorted = sortDedupe(Float64Array.from(rows.map((r) => r[0])), ['v'], [Float64Array.from(rows.map((r) => r[1]))]);
  return sorted;
}

function pairs(r: SortedRows, field = 'v'): [number, number][] {
  const f = r.fields.indexOf(field);
  return Array.from(r.ts, (t, i) => [t, r.values[f][i]]);
}

describe('sortDedupe()', () => {
  it('sorts by timestamp and keeps the last row of equal timestamps', () => {
    fc.assert(fc.property(rowsArb, (rows) => {
      expect(pairs(layer(rows))).toEqual(naive(rows));
    }));
  });
  it('inPlace: rows already in order come back as views of the input; other rows are still copied', () => {
    const ts = new Float64Array([1, 2, 3, 9]);
    const open = new Float64Array([10, 20, 30, 90]);
    const view = sortDedupe(ts, ['open'], [open], 3, true);
    expect([...view.ts]).toEqual([1, 2, 3]);
    expect(view.ts.buffer).toBe(ts.buffer);
    expect(view.values[0].buffer).toBe(open.buffer);
    expect(sortDedupe(ts, ['open'], [open], 3).ts.buffer).not.toBe(ts.buffer);
    const unsorted = new Float64Array([2, 1, 2]);
    const sorted = sortDedupe(unsorted, ['open'], [new Float64Array([1, 2, 3])], 3, true);
    expect([...sorted.ts]).toEqual([1, 2]);
    expect([...sorted.values[0]]).toEqual([2, 3]);
    expect(sorted.ts.buffer).not.toBe(unsorted.buffer);
  });
});

describe('mergeLayers()', () => {
  it('later layers win ties, result equals applying the layers in order', () => {
    fc.assert(
      fc.property(fc.array(rowsArb, { maxLength: 4 }), (layers) => {
        const merged = mergeLayers(layers.map(layer), ['v']);
        expect(pairs(merged)).toEqual(naive(layers.flat()));
      }),
    );
  });

  it('aligns differing field sets, absent fields become NaN', () => {
    const a: SortedRows = { ts: Float64Array.of(1, 2), fields: ['x'], values: [Float64Array.of(10, 20)] };
    const b: SortedRows = { ts: Float64Array.of(2, 3), fields: ['y'], values: [Float64Array.of(200, 300)] };
    const m = mergeLayers([a, b]);
    expect(m.fields).toEqual(['x', 'y']);
    expect(Array.from(m.ts)).toEqual([1, 2, 3]);
    expect(Array.from(m.values[0])).toEqual([10, NaN, NaN]);
    expect(Array.from(m.values[1])).toEqual([NaN, 200, 300]);
  });
});

describe('sliceRows()', () => {
  it('keeps exactly start <= ts < end', () => {
    const r = layer([[1, 1], [2, 2], [3, 3], [5, 5]]);
    expect(pairs(sliceRows(r, 2, 5))).toEqual([[2, 2], [3, 3]]);
  });
});

describe('splitRows()', () => {
  it('never exceeds maxRows, loses nothing, and prefers block boundaries', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 700 }), fc.integer({ min: 1, max: 50 }), (n, maxRows, block) => {
        const ts = Float64Array.from({ length: n }, (_, i) => i * 3);
        const rows: SortedRows = { ts, fields: ['v'], values: [ts.slice()] };
        const chunks = splitRows(rows, maxRows, block);
        expect(chunks.reduce((s, c) => s + c.ts.length, 0)).toBe(n);
        for (const c of chunks) expect(c.ts.length).toBeLessThanOrEqual(maxRows);
        expect(chunks.flatMap((c) => Array.from(c.ts))).toEqual(Array.from(ts));
      }),
    );
  });

  it('cuts 1-second rows of 30-second blocks on block boundaries', () => {
    const ts = Float64Array.from({ length: 300 }, (_, i) => i * 1e6);
    const chunks = splitRows({ ts, fields: [], values: [] }, 100, 30e6);
    for (const c of chunks.slice(1)) expect(c.ts[0] % 30e6).toBe(0);
  });
});
