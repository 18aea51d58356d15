import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeWalRecord, encodeWalRecord, encodeWalRecordPacked } from '../encoding/wal-record.ts';
import type { WriteBatch } from '../model.ts';
import { SeriesHead } from '../storage/series-head.ts';
import { SeriesState } from '../storage/series-state.ts';
import { FieldListInterner } from '../storage/field-list-interner.ts';
import { packBatch, PackedWriteBatch, unpackBatch, type PackedBatch } from './packed-batch.ts';
import { plain } from './test-support.ts';
import { WriteBatchBuilder } from './write-batch-builder.ts';

/** A row: series index, timestamp, and values for some of the fields (index → value). */
type Row = { series: number; ts: number; values: [number, number][] };
const FIELDS = ['open', 'high', 'low', 'close', 'volume'];

const rowArb: fc.Arbitrary<Row> = fc.record({
  series: fc.integer({ min: 0, max: 6 }),
  ts: fc.integer({ min: 0, max: 1e9 }),
  values: fc.array(fc.tuple(fc.integer({ min: 0, max: FIELDS.length - 1 }), fc.double({ noNaN: true, noDefaultInfinity: true })), { maxLength: 6 }),
});

/** Feeds the same rows to a builder (so build() and buildPacked() see identical input). */
function builderOf(rows: Row[]): WriteBatchBuilder {
  const b = new WriteBatchBuilder();
  for (const r of rows) {
    const s = b.seriesId(`S${r.series}`);
    b.beginRow(s, r.ts);
    for (const [f, v] of r.values) b.set(b.fieldId(FIELDS[f]), v);
  }
  return b;
}

/** Field order too, which plain() does not show. */
const shape = (batch: WriteBatch) => batch.series.map((s) => [s.symbol, [...s.columns.keys()]]);

describe('PackedBatch', () => {
  it('buildPacked() stands for exactly the batch build() gives: series, row order, fields present', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 60 }), (rows) => {
        const built = builderOf(rows).build();
        const packed = unpackBatch(builderOf(rows).buildPacked());
        expect(packed.rowCount).toBe(built.rowCount);
        expect(plain(packed)).toEqual(plain(built));
        expect(shape(packed)).toEqual(shape(built));
      }),
    );
  });

  it('packBatch() round-trips any batch, and says when a series column order changed', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 60 }), fc.boolean(), (rows, shuffle) => {
        const batch = builderOf(rows).build();
        // A batch not from a builder may list a series' columns in any order.
        if (shuffle) for (const s of batch.series) s.columns = new Map([...s.columns].reverse());
        const { packed, orderKept } = packBatch(batch);
        const again = unpackBatch(packed);
        expect(plain(again)).toEqual(plain(batch));
        const sameOrder = JSON.stringify(shape(again)) === JSON.stringify(shape(batch));
        expect(orderKept).toBe(sameOrder);
      }),
    );
  });

  it('encodeWalRecordPacked() writes the very bytes encodeWalRecord() writes for the unpacked batch', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 80 }), (rows) => {
        const p = builderOf(rows).buildPacked();
        const bytes = encodeWalRecordPacked(p);
        expect(Buffer.from(bytes).equals(Buffer.from(encodeWalRecord(unpackBatch(p))))).toBe(true);
        expect(plain(decodeWalRecord(bytes))).toEqual(plain(builderOf(rows).build()));
      }),
    );
    // Long runs (native copy path) and non-ASCII names.
    const b = new WriteBatchBuilder();
    const s = b.seriesId('ÆØÅ.X');
    for (let i = 0; i < 100; i++) {
      b.beginRow(s, i);
      b.set(b.fieldId('prix_é'), i / 3);
    }
    const p = b.buildPacked();
    expect(Buffer.from(encodeWalRecordPacked(p)).equals(Buffer.from(encodeWalRecord(unpackBatch(p))))).toBe(true);
  });

  it('packBatch() keeps the order of a batch whose series all list their fields alike', () => {
    const batch = builderOf([
      { series: 0, ts: 1, values: [[0, 1], [3, 2], [4, 3]] },
      { series: 1, ts: 2, values: [[0, 4], [3, 5], [4, 6]] },
    ]).build();
    const { packed, orderKept } = packBatch(batch);
    expect(orderKept).toBe(true);
    expect(packed.fieldNames).toEqual(['open', 'close', 'volume']);
  });

  it('keeps every value in one buffer and builds the series views only when asked', () => {
    const b = builderOf([
      { series: 0, ts: 1, values: [[0, 1.5]] },
      { series: 1, ts: 2, values: [[4, 7]] },
    ]);
    const batch = unpackBatch(b.buildPacked());
    expect(batch).toBeInstanceOf(PackedWriteBatch);
    expect(batch.packed.data.length).toBe(2 * 3); // ts + open + volume, 2 rows each
    const [s0, s1] = batch.series;
    expect(s0.ts.buffer).toBe(batch.packed.data.buffer);
    expect(s1.columns.get('volume')!.buffer).toBe(batch.packed.data.buffer);
    expect([...s0.columns.keys()]).toEqual(['open']);
    expect(batch.series).toBe(batch.series); // built once
  });

  it('SeriesHead.appendPacked and SeriesState.notePackedFields match append/noteFields', () => {
    fc.assert(fc.property(fc.array(fc.array(rowArb, { maxLength: 30 }), { maxLength: 5 }), expectPackedAppliesLikeRows));
  });

  it('... also for a stream whose batches share one interned field list (the identity fast paths)', () => {
    // Every request starts with a row that has all fields in FIELDS order, so every batch has
    // the same field list; the other rows leave fields out, so series still lack some.
    const streamRequest = fc
      .tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 1e9 }), fc.array(rowArb, { maxLength: 30 }))
      .map(([series, ts, rows]) => [{ series, ts, values: FIELDS.map((_, f) => [f, f + 0.5] as [number, number]) }, ...rows]);
    fc.assert(fc.property(fc.array(streamRequest, { minLength: 2, maxLength: 8 }), expectPackedAppliesLikeRows));
  });
});

/** Applies the requests row by row, packed, and packed with interned field lists: same heads and types. */
function expectPackedAppliesLikeRows(requests: Row[][]): void {
  type Entry = { head: SeriesHead; state: SeriesState };
  const viaRows = new Map<string, Entry>();
  const viaPacked = new Map<string, Entry>();
  const viaInterned = new Map<string, Entry>();
  const interner = new FieldListInterner();
  const at = (m: Map<string, Entry>, symbol: string) => {
    let e = m.get(symbol);
    if (!e) m.set(symbol, (e = { head: new SeriesHead(), state: new SeriesState(symbol, 0) }));
    return e;
  };
  const applyPacked = (m: Map<string, Entry>, p: PackedBatch, seq: number) =>
    p.symbols.forEach((symbol, s) => {
      if (p.starts[s] === p.starts[s + 1]) return;
      const e = at(m, symbol);
      e.head.appendPacked(p, s, seq, 0);
      e.state.notePackedFields(p, s);
    });
  requests.forEach((rows, seq) => {
    // Integral values too, so the int → float promotion is exercised.
    const rounded = rows.map((r) => ({ ...r, values: r.values.map(([f, v]) => [f, seq % 2 ? v : Math.round(v)] as [number, number]) }));
    for (const s of builderOf(rounded).build().series) {
      const e = at(viaRows, s.symbol);
      e.head.append(s, seq + 1, 0);
      e.state.noteFields(s);
    }
    applyPacked(viaPacked, builderOf(rounded).buildPacked(), seq + 1);
    const p = builderOf(rounded).buildPacked();
    p.fieldNames = interner.intern(p.fieldNames) as string[];
    applyPacked(viaInterned, p, seq + 1);
  });
  for (const packed of [viaPacked, viaInterned]) {
    expect([...packed.keys()].sort()).toEqual([...viaRows.keys()].sort());
    for (const [symbol, a] of viaRows) {
      const b = packed.get(symbol)!;
      const ra = a.head.raw();
      const rb = b.head.raw();
      expect(rb.fields).toEqual(ra.fields);
      expect(Array.from(rb.ts)).toEqual(Array.from(ra.ts));
      ra.values.forEach((v, i) => expect(Array.from(rb.values[i])).toEqual(Array.from(v)));
      expect(b.head.minSeq).toBe(a.head.minSeq);
      expect([...b.state.fieldTypes]).toEqual([...a.state.fieldTypes]);
    }
  }
}
