import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash32 } from './checksum.ts';
import { SPECIAL_VALUES } from './testing/arbitraries.ts';
import { firstDifference, fromHex, toHex } from './testing/float-bits.ts';
import { decodeWalRecord, decodeWalRecordPacked, encodeWalRecord, WAL_HEADER_SIZE } from './wal-record.ts';
import { packBatch } from '../ingest/packed-batch.ts';
import { validateBatch } from '../storage/validate-batch.ts';
import { CorruptionError } from '../errors.ts';
import type { SeriesRows, WriteBatch } from '../model.ts';

const value = fc.oneof(fc.double(), fc.constantFrom(...SPECIAL_VALUES));
const name = fc.oneof(fc.constantFrom('open', 'high', 'low', 'close', 'volume', 'price'), fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }));

const series: fc.Arbitrary<SeriesRows> = fc
  .record({
    symbol: fc.oneof(fc.constantFrom('stock.SH.600519', 'stock.SZ.000001'), fc.string({ maxLength: 20, unit: 'grapheme' })),
    rows: fc.oneof(fc.nat(5), fc.integer({ min: 20, max: 60 })),
    names: fc.uniqueArray(name, { maxLength: 6 }),
  })
  .chain(({ symbol, rows, names }) =>
    fc.record({
      symbol: fc.constant(symbol),
      ts: fc.array(value, { minLength: rows, maxLength: rows }).map((a) => Float64Array.from(a)),
      columns: fc
        .tuple(...names.map(() => fc.array(value, { minLength: rows, maxLength: rows }).map((a) => Float64Array.from(a))))
        .map((cols) => new Map(names.map((n, j) => [n, cols[j]]))),
    }),
  );

const batch: fc.Arbitrary<WriteBatch> = fc
  .array(series, { maxLength: 6 })
  .chain((list) => fc.constantFrom<SeriesRows[]>(list, [...list, ...list])) // repeated schemas
  .map((list) => ({ series: list, rowCount: list.reduce((n: number, s) => n + s.ts.length, 0) }));

function expectSameBatch(a: WriteBatch, b: WriteBatch): void {
  expect(a.rowCount).toBe(b.rowCount);
  expect(a.series.map((s) => s.symbol)).toEqual(b.series.map((s) => s.symbol));
  a.series.forEach((s, k) => {
    const t = b.series[k];
    expect(firstDifference(s.ts, t.ts)).toBe(-1);
    expect([...s.columns.keys()]).toEqual([...t.columns.keys()]);
    for (const [n, col] of s.columns) expect(firstDifference(col, t.columns.get(n)!)).toBe(-1);
  });
}

/** 1–3 byte edits anywhere before a record's checksum. */
const editsOf = (rec: Uint8Array) => fc.array(fc.tuple(fc.nat(rec.length - 5), fc.nat(255)), { minLength: 1, maxLength: 3 });

/** `rec` with `edits` applied and a checksum that matches them: only the structure is wrong. */
function editedWithChecksum(rec: Uint8Array, edits: [number, number][]): Uint8Array {
  const bad = rec.slice();
  for (const [at, v] of edits) bad[at] = v;
  new DataView(bad.buffer).setUint32(bad.length - 4, hash32(bad, 0, bad.length - 4), true);
  return bad;
}

/** Golden batch: two series sharing a schema, one with another column order. */
const GOLDEN: WriteBatch = {
  rowCount: 3,
  series: [
    { symbol: 'stock.SH.600519', ts: Float64Array.of(1e15, 1e15 + 1e6), columns: new Map([['price', Float64Array.of(1688.5, NaN)], ['volume', Float64Array.of(100, -0)]]) },
    { symbol: 'x', ts: Float64Array.of(-1), columns: new Map([['volume', Float64Array.of(Infinity)], ['price', Float64Array.of(0.1)]]) },
  ],
};
const GOLDEN_HEX =
  '010000000200000003000000000000000f0073746f636b2e53482e363030353139020000000200050070726963650600' +
  '766f6c756d65000000003426f56b0c430012ae26f56b0c430000000000629a40000000000000f87f0000000000005940' +
  '00000000000000800100780100000002000600766f6c756d6505007072696365000000000000f0bf000000000000f07f' +
  '9a9999999999b93f';

describe('encodeWalRecord() / decodeWalRecord()', () => {
  it('round-trips any batch (any doubles, UTF-8 names, repeated and reordered schemas)', () => {
    fc.assert(
      fc.property(batch, (b) => expectSameBatch(decodeWalRecord(encodeWalRecord(b), 'wal/1'), b)),
      { numRuns: 200 },
    );
  });

  it('decodes records that are not 8-byte aligned in memory', () => {
    const rec = encodeWalRecord(GOLDEN);
    const shifted = new Uint8Array(rec.length + 3);
    shifted.set(rec, 3);
    expectSameBatch(decodeWalRecord(shifted.subarray(3)), GOLDEN);
  });

  it.each([0, 1, 4, 8])('decodes from a Node Buffer view at byte offset %i without aliasing it', (offset) => {
    const rec = encodeWalRecord(GOLDEN);
    const pool = Buffer.alloc(rec.length + 16, 0xee);
    pool.set(rec, offset);
    const view = pool.subarray(offset, offset + rec.length);
    const out = decodeWalRecord(view, 'wal/1');
    expectSameBatch(out, GOLDEN);
    pool.fill(0);
    expectSameBatch(out, GOLDEN);
  });

  it('returns arrays that do not alias the record', () => {
    const rec = encodeWalRecord(GOLDEN);
    const out = decodeWalRecord(rec);
    rec.fill(0);
    expect(out.series[0].columns.get('price')![0]).toBe(1688.5);
  });

  it('locks the format: golden bytes and a 16-byte header', () => {
    expect(WAL_HEADER_SIZE).toBe(16);
    const rec = encodeWalRecord(GOLDEN);
    expect(toHex(rec.subarray(0, rec.length - 4))).toBe(GOLDEN_HEX);
    const fixture = fromHex(GOLDEN_HEX + toHex(rec.subarray(rec.length - 4)));
    expectSameBatch(decodeWalRecord(fixture), GOLDEN);
  });

  it('detects any flipped byte or truncation as CorruptionError naming the key', () => {
    const rec = encodeWalRecord(GOLDEN);
    for (let i = 0; i < rec.length; i++) {
      const bad = rec.slice();
      bad[i] ^= 0x41;
      expect(() => decodeWalRecord(bad, 'wal/9')).toThrow(CorruptionError);
      expect(() => decodeWalRecord(bad, 'wal/9')).toThrow('wal/9');
    }
    for (let len = 0; len < rec.length; len++) expect(() => decodeWalRecord(rec.subarray(0, len), 'wal/9')).toThrow(CorruptionError);
  });

  it('throws only CorruptionError on malformed records that carry a valid checksum', () => {
    const rec = encodeWalRecord(GOLDEN);
    fc.assert(
      fc.property(editsOf(rec), (edits) => {
        const bad = editedWithChecksum(rec, edits);
        try {
          decodeWalRecord(bad, 'wal/9');
        } catch (e) {
          expect(e).toBeInstanceOf(CorruptionError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('rejects a batch that breaks its invariants with a BUG error', () => {
    const s = GOLDEN.series[0];
    expect(() => encodeWalRecord({ ...GOLDEN, rowCount: 7 })).toThrow(/BUG/);
    expect(() => encodeWalRecord({ rowCount: 2, series: [{ ...s, columns: new Map([['price', Float64Array.of(1)]]) }] })).toThrow(/BUG/);
  });
});

/** What decodeWalRecordPacked stands for: decode, validate, pack; its result or its error. */
function outcome(run: () => { packed: ReturnType<typeof packBatch>['packed']; orderKept: boolean }) {
  try {
    const { packed, orderKept } = run();
    // NaN marks an absent value: compare values with every NaN made the same.
    const data = Array.from(packed.data, (v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v));
    return { ok: { ...packed, data, starts: Array.from(packed.starts), present: Array.from(packed.present), orderKept } };
  } catch (e) {
    return { error: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
}

const viaWriteBatch = (bytes: Uint8Array) => () => {
  const b = decodeWalRecord(bytes, 'wal/7');
  validateBatch(b);
  return packBatch(b);
};

describe('decodeWalRecordPacked()', () => {
  it('gives exactly packBatch(decodeWalRecord()) after validateBatch: the same rows, or the same error', () => {
    fc.assert(
      fc.property(batch, (b) => {
        const rec = encodeWalRecord(b);
        expect(outcome(() => decodeWalRecordPacked(rec, 'wal/7'))).toEqual(outcome(viaWriteBatch(rec)));
      }),
      { numRuns: 400 },
    );
  });

  it('... for valid market rows too (the path of peers writes)', () => {
    const valid = fc
      .array(
        fc.record({
          symbol: fc.constantFrom('stock.SH.600519', 'stock.SZ.000001', 'AAPL'),
          rows: fc.nat(40),
          names: fc.shuffledSubarray(['open', 'high', 'low', 'close', 'volume'], { minLength: 1 }),
        }),
        { maxLength: 6 },
      )
      .map((list) => {
        const series = list.map(({ symbol, rows, names }, k) => ({
          symbol,
          ts: Float64Array.from({ length: rows }, (_, i) => 1.7e15 + i * 1e6 + k),
          columns: new Map(names.map((n, j) => [n, Float64Array.from({ length: rows }, (_, i) => (i % 7 === 3 ? NaN : i * 1.25 + j))])),
        }));
        return { series, rowCount: series.reduce((n, s) => n + s.ts.length, 0) };
      });
    fc.assert(
      fc.property(valid, (b) => {
        const rec = encodeWalRecord(b);
        const got = outcome(() => decodeWalRecordPacked(rec, 'wal/7'));
        expect(got.ok).toBeDefined();
        expect(got).toEqual(outcome(viaWriteBatch(rec)));
      }),
      { numRuns: 300 },
    );
  });

  it('fails like decodeWalRecord on malformed records, flipped bytes and truncations', () => {
    const rec = encodeWalRecord(GOLDEN);
    fc.assert(
      fc.property(editsOf(rec), (edits) => {
        const bad = editedWithChecksum(rec, edits);
        expect(outcome(() => decodeWalRecordPacked(bad, 'wal/7'))).toEqual(outcome(viaWriteBatch(bad)));
      }),
      { numRuns: 500 },
    );
    for (let i = 0; i < rec.length; i++) {
      const bad = rec.slice();
      bad[i] ^= 0x41;
      expect(outcome(() => decodeWalRecordPacked(bad, 'wal/7'))).toEqual(outcome(viaWriteBatch(bad)));
    }
    for (let len = 0; len < rec.length; len++) {
      expect(outcome(() => decodeWalRecordPacked(rec.subarray(0, len), 'wal/7'))).toEqual(outcome(viaWriteBatch(rec.subarray(0, len))));
    }
  });
});
