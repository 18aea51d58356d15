import { expect, it } from 'vitest';
import { encodeSegment, decodeSegment } from './segment-codec.ts';
import { encodeWalRecord, decodeWalRecord } from './wal-record.ts';
it('decodes from unaligned Buffers', () => {
  const seg = encodeSegment({ ts: Float64Array.of(1, 2, 3), fields: ['v', 'c'], values: [Float64Array.of(1.5, 2.5, 3.5), Float64Array.of(7, 7, 7)], blockSizeUs: 30e6 });
  for (let off = 0; off < 8; off++) {
    const buf = Buffer.alloc(seg.length + off + 3); Buffer.from(seg).copy(buf, off);
    const d = decodeSegment(buf.subarray(off, off + seg.length));
    expect(Array.from(d.values[1])).toEqual([7, 7, 7]);
  }
  const rec = encodeWalRecord({ series: [{ symbol: 'a', ts: Float64Array.of(1), columns: new Map([['v', Float64Array.of(2)]]) }], rowCount: 1 });
  for (let off = 0; off < 8; off++) {
    const buf = Buffer.alloc(rec.length + off + 5); Buffer.from(rec).copy(buf, off);
    expect(decodeWalRecord(buf.subarray(off, off + rec.length)).rowCount).toBe(1);
  }
});
