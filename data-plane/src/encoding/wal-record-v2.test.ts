/**
 * Version-2 WAL records read by a peer (decodeWalRecordV2Packed) and at replay (decodeWalRecordV2),
 * on records built byte by byte here, so that every check sees exactly the input it guards
 * against. Records written by the fast path itself: ingest/lp-fast-path.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CorruptionError, ValidationError } from '../errors.ts';
import { hash32 } from './checksum.ts';
import { decodeWalRecordV2, decodeWalRecordV2Packed, sliceWalRecordV2 } from './wal-record-v2.ts';

const enc = new TextEncoder();

/** Unsigned LEB128 of n (< 2^53). */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const zigzag = (n: number) => (n < 0 ? -2 * n - 1 : 2 * n);
/** Zigzag varint deltas of `values` (from 0). */
const deltas = (values: number[]) => values.flatMap((v, i) => varint(zigzag(v - (i ? values[i - 1]! : 0))));
const name = (s: string) => {
  const b = enc.encode(s);
  return [b.length & 0xff, b.length >> 8, ...b];
};
const f64 = (values: number[]) => [...new Uint8Array(Float64Array.from(values).buffer)];
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];

interface SeriesSpec {
  symbol: string;
  ts: number[];
  /** per field of the record: decimal mantissas with a scale, raw values, or absent */
  columns: ({ scale: number; mantissas: number[] } | { raw: number[] } | null)[];
  /** bytes as given instead of the ts deltas (to build damaged numbers) */
  tsBytes?: number[];
}

/** A version-2 record (docs/format/wal.md) and where each series starts in it. */
function record(fields: string[], series: SeriesSpec[], rowCount = series.reduce((n, s) => n + s.ts.length, 0)) {
  const bytes = [2, 0, 0, 0, ...u32(series.length), ...u32(rowCount), fields.length & 0xff, fields.length >> 8, 0, 0];
  for (const f of fields) bytes.push(...name(f));
  const seriesAt = [bytes.length];
  for (const s of series) {
    bytes.push(...name(s.symbol), ...varint(s.ts.length));
    const presence = new Array<number>((fields.length + 7) >> 3).fill(0);
    s.columns.forEach((c, f) => {
      if (c) presence[f >> 3]! |= 1 << (f & 7);
    });
    bytes.push(...presence, ...(s.tsBytes ?? deltas(s.ts)));
    for (const c of s.columns) {
      if (!c) continue;
      if ('raw' in c) bytes.push(1, ...f64(c.raw));
      else bytes.push(0, c.scale, ...deltas(c.mantissas));
    }
    seriesAt.push(bytes.length);
  }
  const out = new Uint8Array(bytes.length + 4);
  out.set(bytes);
  new DataView(out.buffer).setUint32(bytes.length, hash32(out, 0, bytes.length), true);
  return { record: out, seriesAt: Uint32Array.from(seriesAt) };
}

const FIELDS = ['price', 'volume', 'note'];
const A: SeriesSpec = { symbol: 'stock.SH.600519', ts: [1_700_000_000_000_000, 1_700_000_001_000_000], columns: [{ scale: 2, mantissas: [1234, -5] }, { raw: [100, NaN] }, null] };
const B: SeriesSpec = { symbol: 'B', ts: [5, 3, 9], columns: [null, { scale: 0, mantissas: [7, 8, 2 ** 51] }, { raw: [0.1, -0, 1e300] }] };

describe('version-2 WAL records: packed decode (what a peer applies)', () => {
  it('decodes decimal and raw columns into the packed layout, absent fields NaN and not present', () => {
    const p = decodeWalRecordV2Packed(record(FIELDS, [A, B]).record);
    expect(p.symbols).toEqual(['stock.SH.600519', 'B']);
    expect(p.fieldNames).toEqual(FIELDS);
    expect([...p.starts]).toEqual([0, 2, 5]);
    expect([...p.present]).toEqual([1, 1, 0, 0, 1, 1]);
    expect(p.rowCount).toBe(5);
    const col = (f: number) => [...p.data.subarray(f * 5, f * 5 + 5)];
    expect(col(0)).toEqual([...A.ts, ...B.ts]);
    expect(col(1)).toEqual([12.34, -0.05, NaN, NaN, NaN]);
    expect(col(2)).toEqual([100, NaN, 7, 8, 2 ** 51]);
    expect(col(3)).toEqual([NaN, NaN, 0.1, -0, 1e300]);
    expect(Object.is(p.data[3 * 5 + 3], -0)).toBe(true);
  });

  it('refuses rows the engine would refuse, as ValidationError naming the series, row and field', () => {
    const bad = (s: Partial<SeriesSpec>) => () => decodeWalRecordV2Packed(record(FIELDS, [A, { ...B, ...s }]).record);
    expect(bad({ symbol: 'no spaces' })).toThrow(ValidationError);
    expect(bad({ symbol: 'no spaces' })).toThrow(/symbol "no spaces" must match/);
    expect(bad({ columns: [null, null, { raw: [1, Infinity, 2] }] })).toThrow(/symbol "B" row 2 field "note": not a finite number/);
    // each delta is a valid number (< 2^52), but their running sum leaves the safe range at row 3
    expect(bad({ ts: [2 ** 52 - 1, 2 ** 53 - 2, 2 ** 53 + 2 ** 51] })).toThrow(/symbol "B" row 3: timestamp 1125899906842624\d+ is not an integer number of microseconds/);
  });

  it('refuses a malformed record as CorruptionError naming the key, before allocating by its counts', () => {
    const { record: ok } = record(FIELDS, [A, B]);
    const rehash = (b: Uint8Array) => {
      new DataView(b.buffer).setUint32(b.length - 4, hash32(b, 0, b.length - 4), true);
      return b;
    };
    const corrupt = (b: Uint8Array, msg: RegExp) => {
      expect(() => decodeWalRecordV2Packed(b, 'wal/9')).toThrow(CorruptionError);
      expect(() => decodeWalRecordV2Packed(b, 'wal/9')).toThrow(msg);
    };
    const flipped = ok.slice();
    flipped[30] ^= 1;
    corrupt(flipped, /checksum mismatch/);
    corrupt(ok.subarray(0, 12), /truncated to 12 bytes/);
    const v1 = ok.slice();
    v1[0] = 1;
    corrupt(rehash(v1), /unsupported WAL record version 1/);
    const huge = ok.slice();
    new DataView(huge.buffer).setUint32(8, 2 ** 31, true); // 2^31 rows in a 100-byte record
    corrupt(rehash(huge), /counts exceed its size/);
    const fewer = record(FIELDS, [A, B], 4).record;
    corrupt(fewer, /more rows than its header says/);
    const more = record(FIELDS, [A, B], 6).record;
    corrupt(more, /rows 5 differ from its header's 6/);
    // a timestamp of 8 bytes that is not below 2^53, and one of 9 bytes
    const big = record(FIELDS, [{ ...B, tsBytes: [...new Array(7).fill(0xff), 0x7f, 0, 0] }]).record;
    corrupt(big, /number in it too large/);
    const long = record(FIELDS, [{ ...B, tsBytes: [...new Array(9).fill(0x80), 1, 0, 0] }]).record;
    corrupt(long, /number in it too large/);
    const trailing = ok.slice(0, ok.length - 4);
    corrupt(rehash(Uint8Array.from([...trailing, 0, 0, 0, 0, 0])), /trailing bytes/);
  });

  it('replay reads the same rows, and calls refused rows damage (they passed these checks when logged)', () => {
    const batch = decodeWalRecordV2(record(FIELDS, [A, B]).record, 'wal/1');
    expect(batch.rowCount).toBe(5);
    expect(batch.series.map((s) => [s.symbol, [...s.columns.keys()]])).toEqual([
      ['stock.SH.600519', ['price', 'volume']],
      ['B', ['volume', 'note']],
    ]);
    expect([...batch.series[1]!.columns.get('note')!]).toEqual([0.1, -0, 1e300]);
    const refused = record(FIELDS, [{ ...B, symbol: 'a b' }]).record;
    expect(() => decodeWalRecordV2(refused, 'wal/2')).toThrow(CorruptionError);
    expect(() => decodeWalRecordV2(refused, 'wal/2')).toThrow(/wal\/2|rows the engine refuses/);
  });
});

describe('version-2 WAL records: slices (what a cluster coordinator forwards)', () => {
  const C: SeriesSpec = { symbol: 'C', ts: [1], columns: [{ scale: 1, mantissas: [15] }, null, null] };
  const src = record(FIELDS, [A, B, C, { ...A, symbol: 'D' }]);

  it('holds the header, the field table and exactly the chosen series, with a valid hash', () => {
    for (const [only, want] of [
      [[1], [B]],
      [[0, 2], [A, C]],
      [[1, 2, 3], [B, C, { ...A, symbol: 'D' }]],
    ] as [number[], SeriesSpec[]][]) {
      const idx = Int32Array.from(only);
      const rows = want.reduce((n, s) => n + s.ts.length, 0);
      expect(sliceWalRecordV2(src, idx, rows)).toEqual(record(FIELDS, want).record);
    }
    expect(sliceWalRecordV2(src, Int32Array.of(0, 1, 2, 3), 8)).toEqual(src.record);
  });
});
