import { describe, expect, it } from 'vitest';
import { SEAL_SLACK, SeriesHead } from './series-head.ts';

function appendRows(h: SeriesHead, from: number, n: number): void {
  const ts = Float64Array.from({ length: n }, (_, i) => from + i);
  h.append({ symbol: 'A', ts, columns: new Map([['close', ts.map((t) => t * 2)]]) }, 1, 0);
}

describe('SeriesHead growth', () => {
  it('stops growing at SEAL_SLACK × sealAt for the appends that land before the seal, keeping every row', () => {
    const h = new SeriesHead(undefined, 4096);
    for (let t = 0; t < 4600; t += 10) appendRows(h, t, 10);
    expect(h.length).toBe(4600);
    expect(h.capacity).toBe(Math.ceil(4096 * SEAL_SLACK)); // not 8192
    const s = h.sorted();
    expect(s.ts.length).toBe(4600);
    expect(s.ts[4599]).toBe(4599);
    expect(s.values[0][4599]).toBe(9198);
  });

  it('grows past that when rows keep coming (the seal is late), and for one big batch at once', () => {
    const h = new SeriesHead(undefined, 100);
    let reallocations = 0;
    for (let t = 0; t < 1000; t += 10) {
      const before = h.capacity;
      appendRows(h, t, 10);
      if (h.capacity !== before) reallocations++;
    }
    expect(h.length).toBe(1000);
    expect(h.capacity).toBeGreaterThanOrEqual(1000);
    expect(reallocations).toBeLessThanOrEqual(5); // geometric, not 10 rows at a time
    const big = new SeriesHead(undefined, 100);
    appendRows(big, 0, 5000);
    expect(big.capacity).toBeGreaterThanOrEqual(5000);
    expect(Array.from(big.sorted().ts.subarray(4998))).toEqual([4998, 4999]);
  });

  it('grows by doubling when the seal length is unknown', () => {
    const h = new SeriesHead();
    for (let t = 0; t < 4100; t += 10) appendRows(h, t, 10);
    expect(h.capacity).toBe(8192);
  });
});

describe('SeriesHead.appendPacked memory', () => {
  it('gives a series room for the fields it has, not for every field of a wide batch', () => {
    // 2 series over 40 fields; series 0 has fields 0 and 1, series 1 has field 39.
    const nFields = 40;
    const rows = 3; // series 0: rows 0-1, series 1: row 2
    const data = new Float64Array((1 + nFields) * rows).fill(NaN);
    data.set([1, 2, 3], 0);
    data[(1 + 0) * rows + 0] = 10;
    data[(1 + 1) * rows + 1] = 11;
    data[(1 + 39) * rows + 2] = 12;
    const present = new Uint8Array(2 * nFields);
    present[0] = present[1] = 1;
    present[nFields + 39] = 1;
    const p = {
      symbols: ['A', 'B'],
      fieldNames: Array.from({ length: nFields }, (_, f) => `f${f}`),
      starts: Int32Array.of(0, 2, 3),
      data,
      present,
      rowCount: rows,
    };
    const a = new SeriesHead();
    a.appendPacked(p, 0, 1, 0);
    expect(a.fields).toEqual(['f0', 'f1']);
    expect(a.bytes).toBe(a.capacity * 8 * 3); // ts + 2 columns
    const { ts, values } = a.raw();
    expect(Array.from(ts)).toEqual([1, 2]);
    expect(Array.from(values[0])).toEqual([10, NaN]);
    expect(Array.from(values[1])).toEqual([NaN, 11]);
    const b = new SeriesHead();
    b.appendPacked(p, 1, 1, 0);
    expect(b.fields).toEqual(['f39']);
    expect(b.bytes).toBe(b.capacity * 8 * 2);
  });

  it('gives a series appended row by row (WAL replay) exactly its columns too', () => {
    const h = new SeriesHead();
    const ts = Float64Array.of(1, 2);
    const names = ['open', 'high', 'low', 'close', 'volume'];
    h.append({ symbol: 'A', ts, columns: new Map(names.map((n, i) => [n, Float64Array.of(i, i + 0.5)])) }, 1, 0);
    expect(h.fields).toEqual(names);
    expect(h.bytes).toBe(h.capacity * 8 * 6); // ts + 5 columns, not 8 slots
    expect(Array.from(h.raw().values[4])).toEqual([4, 4.5]);
  });
});
