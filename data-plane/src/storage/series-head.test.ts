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
