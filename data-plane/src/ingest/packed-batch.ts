/**
 * A WriteBatch laid out for crossing a thread boundary: every row value in ONE ArrayBuffer
 * (moved, not copied), names as plain string arrays. The ingest workers parse request bodies
 * into this form; the request thread turns it back into a WriteBatch of views with
 * `unpackBatch` (no value is copied there).
 *
 * Why not post a WriteBatch: structured clone gives every typed array of every series its own
 * buffer copy — on a 10K-row, 1000-symbol body that is 7000 clones, slower than the parse itself.
 *
 * Layout of `data`: `ts` (rowCount values), then one column per entry of `fieldNames`
 * (rowCount values each); rows are grouped by series: series s owns rows [starts[s], starts[s+1]).
 * `present[s * fieldNames.length + f]` is 1 when series s has a value for field f in at least one
 * of its rows (a field none of its rows has is left out of its columns, as WriteBatchBuilder does).
 */
import type { IndexedWalRecordV2 } from '../encoding/wal-record-v2.ts';
import type { SeriesRows, WriteBatch } from '../model.ts';

export interface PackedBatch {
  symbols: string[];
  fieldNames: string[];
  /** nSeries + 1 row offsets */
  starts: Int32Array;
  /** (1 + fieldNames.length) × rowCount values: ts, then each field's column */
  data: Float64Array;
  /** nSeries × fieldNames.length flags */
  present: Uint8Array;
  rowCount: number;
  /**
   * The same rows as a version-2 WAL record, when the parser wrote one for a cluster coordinator:
   * it forwards each owner its series' slice of it (wal-record-v2.ts, sliceWalRecordV2)
   */
  walRecordV2?: IndexedWalRecordV2;
}

/** The buffers a PackedBatch owns, for a transfer list. */
export function packedBuffers(p: PackedBatch): ArrayBuffer[] {
  const buffers = [p.starts.buffer as ArrayBuffer, p.data.buffer as ArrayBuffer, p.present.buffer as ArrayBuffer];
  if (p.walRecordV2) buffers.push(p.walRecordV2.record.buffer as ArrayBuffer, p.walRecordV2.seriesAt.buffer as ArrayBuffer);
  return buffers;
}

/**
 * The WriteBatch a PackedBatch stands for: its `series` are built on first use, as views of
 * `packed.data` (nothing is copied). The local engine never asks for them: it applies the packed
 * rows directly (storage/engine.ts), which saves a Map and seven views per series and request.
 * Treat the batch as read-only and never transfer its buffers.
 *
 * Its rows count as validated (the engine does not check them again): only the ingest parsers,
 * which validate everything they pack, and packBatch over a validated batch make these.
 */
export class PackedWriteBatch implements WriteBatch {
  readonly rowCount: number;
  private unpacked: SeriesRows[] | null = null;

  /**
   * @param only the series (indexes into `packed.symbols`, ascending) this batch is made of,
   *   or null for all of them: a cluster coordinator's per-node part of a parsed request
   */
  constructor(
    readonly packed: PackedBatch,
    readonly only: Int32Array | null = null,
  ) {
    let rows = packed.rowCount;
    if (only) {
      rows = 0;
      for (let k = 0; k < only.length; k++) rows += packed.starts[only[k] + 1] - packed.starts[only[k]];
    }
    this.rowCount = rows;
  }

  get series(): SeriesRows[] {
    return (this.unpacked ??= seriesOf(this.packed, this.only));
  }

  /** The series of this batch as indexes into `packed.symbols`. */
  seriesIndexes(): Int32Array {
    return this.only ?? Int32Array.from({ length: this.packed.symbols.length }, (_, i) => i);
  }
}

/** The WriteBatch a PackedBatch stands for (see PackedWriteBatch). */
export function unpackBatch(p: PackedBatch): PackedWriteBatch {
  return new PackedWriteBatch(p);
}

function seriesOf(p: PackedBatch, only: Int32Array | null): SeriesRows[] {
  const n = p.rowCount;
  const nFields = p.fieldNames.length;
  const series: SeriesRows[] = [];
  const buffer = p.data.buffer;
  const base = p.data.byteOffset;
  const count = only ? only.length : p.symbols.length;
  for (let k = 0; k < count; k++) {
    const s = only ? only[k] : k;
    const a = p.starts[s];
    const b = p.starts[s + 1];
    if (a === b) continue;
    const columns = new Map<string, Float64Array>();
    for (let f = 0; f < nFields; f++) {
      if (p.present[s * nFields + f]) columns.set(p.fieldNames[f], new Float64Array(buffer, base + ((f + 1) * n + a) * 8, b - a));
    }
    series.push({ symbol: p.symbols[s], ts: new Float64Array(buffer, base + a * 8, b - a), columns });
  }
  return series;
}

/**
 * Packs an existing batch (copying its values once): for batches that did not come from a
 * builder. Fields get one batch-wide order (first seen); `orderKept` is false when some series
 * listed its columns in a different order, i.e. when the packed batch's per-series column order
 * (which decides a new series' schema order) differs from `batch`'s.
 */
export function packBatch(batch: WriteBatch): { packed: PackedBatch; orderKept: boolean } {
  const fieldIds = new Map<string, number>();
  for (const s of batch.series) for (const name of s.columns.keys()) if (!fieldIds.has(name)) fieldIds.set(name, fieldIds.size);
  const nFields = fieldIds.size;
  const n = batch.rowCount;
  const data = new Float64Array((1 + nFields) * n).fill(NaN);
  const starts = new Int32Array(batch.series.length + 1);
  const present = new Uint8Array(batch.series.length * nFields);
  let orderKept = true;
  let row = 0;
  batch.series.forEach((s, k) => {
    starts[k] = row;
    data.set(s.ts, row);
    let last = -1;
    for (const [name, col] of s.columns) {
      const f = fieldIds.get(name)!;
      if (f < last) orderKept = false;
      last = f;
      data.set(col, (f + 1) * n + row);
      present[k * nFields + f] = 1;
    }
    row += s.ts.length;
  });
  starts[batch.series.length] = row;
  if (row !== n) throw new Error(`BUG: packBatch: rowCount ${n} but ${row} rows`);
  return { packed: { symbols: batch.series.map((s) => s.symbol), fieldNames: [...fieldIds.keys()], starts, data, present, rowCount: n }, orderKept };
}
