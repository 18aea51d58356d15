/**
 * Assembles a WriteBatch row by row: what both write-body parsers fill, and what the engine and
 * cluster layers reuse to regroup rows (split a batch by vnode, merge hinted batches).
 *
 * Design (measured with bench/parse-bench.ts and a builder micro-bench): rows are staged in
 * batch-wide growable columns — series id, timestamp, and one NaN-prefilled Float64Array per
 * distinct field of the request — and `build()` gathers them into exactly-sized per-series
 * columns. Compared with one growable builder per series this
 * - writes each value once while parsing (`col[row] = v`; an absent field is simply not written,
 *   and a field first seen at row k is NaN in rows 0..k-1 because its column starts NaN-filled),
 * - allocates per series only the output itself (no over-allocation, doubling and trimming per
 *   series: that cost 3× more than the parse on 1000-symbol × 10-row bodies),
 * - and reuses its staging between builds on a thread (`spare`), so steady-state parsing
 *   allocates nothing but the output.
 *
 * Pure (no I/O): safe in workers. One writer per builder.
 */
import { ValidationError } from '../errors.ts';
import type { SeriesRows, WriteBatch } from '../model.ts';
import type { PackedBatch } from './packed-batch.ts';
import { DEFAULT_WRITE_LIMITS, REQUEST_TOO_LARGE } from './write-limits.ts';

const INITIAL_ROWS = 1024;
/** Staging bigger than this (bytes) is not kept for reuse after build(). */
const MAX_POOLED_BYTES = 16 << 20;

/** Staging arrays kept for the next builder on this thread. Field columns are all-NaN. */
interface Staging {
  rowSeries: Int32Array;
  rowTs: Float64Array;
  cols: Float64Array[];
}

let spare: Staging | null = null;

/**
 * Growable staging of the rows of one WriteBatch. Series keep first-seen order, rows keep arrival
 * order within a series (the engine sorts; last write wins), columns of a series are in the order
 * their fields first appear in the batch.
 *
 * Single use: `build()` (or `release()`) ends it; using it afterwards throws.
 */
export class WriteBatchBuilder {
  /** symbol of each series id (dense ids in first-seen order) */
  readonly symbols: string[] = [];
  /** name of each field id (dense, batch-wide) */
  readonly fieldNames: string[] = [];
  private readonly seriesIds = new Map<string, number>();
  private readonly fieldIds = new Map<string, number>();
  private seriesRows = new Int32Array(16);
  private rowSeries: Int32Array;
  private rowTs: Float64Array;
  /** one column per field id, NaN where a row lacks the field; capacity = rowTs.length */
  private cols: Float64Array[];
  /** spare all-NaN columns of the current capacity, handed out by fieldId() */
  private freeCols: Float64Array[];
  private rows = 0;
  private spent = false;

  /** `maxValues`: staging bound, distinct fields × rows (see WriteLimits.maxValues). */
  constructor(private readonly maxValues = DEFAULT_WRITE_LIMITS.maxValues) {
    const st = spare ?? { rowSeries: new Int32Array(INITIAL_ROWS), rowTs: new Float64Array(INITIAL_ROWS), cols: [] };
    spare = null;
    this.rowSeries = st.rowSeries;
    this.rowTs = st.rowTs;
    this.cols = [];
    this.freeCols = st.cols;
  }

  /** Rows staged so far. */
  get rowCount(): number {
    return this.rows;
  }

  /** Id of series `symbol`, registering it on first use. The symbol is NOT validated here. */
  seriesId(symbol: string): number {
    let id = this.seriesIds.get(symbol);
    if (id === undefined) {
      id = this.symbols.length;
      this.symbols.push(symbol);
      this.seriesIds.set(symbol, id);
      if (id === this.seriesRows.length) {
        const a = new Int32Array(id * 2);
        a.set(this.seriesRows);
        this.seriesRows = a;
      }
    }
    return id;
  }

  /**
   * Id of field `name`, registering (and NaN-filling) its column on first use. The name is NOT
   * validated here. Throws ValidationError `request_too_large` past maxValues.
   */
  fieldId(name: string): number {
    let id = this.fieldIds.get(name);
    if (id === undefined) {
      if (this.spent) throw new Error('BUG: WriteBatchBuilder used after build()/release()');
      id = this.fieldNames.length;
      this.checkSize(id + 1, this.rows);
      this.fieldNames.push(name);
      this.fieldIds.set(name, id);
      this.cols.push(this.freeCols.pop() ?? new Float64Array(this.rowTs.length).fill(NaN));
    }
    return id;
  }

  /** Rows staged so far for series id `series`. */
  rowsOf(series: number): number {
    return this.seriesRows[series];
  }

  /**
   * Starts a row of series id `series` at `tsUs` (µs) with every field absent; the fields
   * follow with set(). Returns the row's index in the batch.
   */
  beginRow(series: number, tsUs: number): number {
    const r = this.rows;
    if (r === this.rowTs.length) this.growRows();
    this.rowSeries[r] = series;
    this.rowTs[r] = tsUs;
    this.seriesRows[series]++;
    this.rows = r + 1;
    return r;
  }

  /** Sets the timestamp of the current (last begun) row: for formats where it comes last. */
  setTime(tsUs: number): void {
    this.rowTs[this.rows - 1] = tsUs;
  }

  /** Sets field id `field` of the current row; setting it twice: the last value wins. */
  set(field: number, value: number): void {
    this.cols[field][this.rows - 1] = value;
  }

  /** Appends rows [start, end) of `rows` (NaN values stay absent). */
  appendRows(rows: SeriesRows, start = 0, end = rows.ts.length): void {
    const s = this.seriesId(rows.symbol);
    const src: [number, Float64Array][] = [];
    for (const [name, values] of rows.columns) src.push([this.fieldId(name), values]);
    for (let r = start; r < end; r++) {
      const at = this.beginRow(s, rows.ts[r]);
      for (const [f, values] of src) this.cols[f][at] = values[r];
    }
  }

  /**
   * The batch: series in first-seen order (series without rows left out), each with arrays of
   * exactly its row count, each owning its ArrayBuffer (callers may transfer `.buffer`), and only
   * the fields present in at least one of its rows. The builder is spent afterwards.
   */
  build(): WriteBatch {
    if (this.spent) throw new Error('BUG: WriteBatchBuilder used after build()/release()');
    const nSeries = this.symbols.length;
    const n = this.rows;
    const series: SeriesRows[] = [];
    if (nSeries === 1 && n > 0) {
      // One series: its rows are the staging prefix, in order.
      const columns = new Map<string, Float64Array>();
      for (let f = 0; f < this.cols.length; f++) {
        if (hasValue(this.cols[f], 0, n)) columns.set(this.fieldNames[f], this.cols[f].slice(0, n));
      }
      series.push({ symbol: this.symbols[0], ts: this.rowTs.slice(0, n), columns });
    } else if (n > 0) {
      this.gatherSeries(series);
    }
    const batch = { series, rowCount: n };
    this.release();
    return batch;
  }

  /**
   * The batch in its thread-crossing form (packed-batch.ts): the same series, order and field
   * presence as build(), gathered into one buffer. The builder is spent afterwards.
   */
  buildPacked(): PackedBatch {
    if (this.spent) throw new Error('BUG: WriteBatchBuilder used after build()/release()');
    const nSeries = this.symbols.length;
    const nFields = this.cols.length;
    const n = this.rows;
    const starts = new Int32Array(nSeries + 1);
    for (let s = 0; s < nSeries; s++) starts[s + 1] = starts[s] + this.seriesRows[s];
    const data = new Float64Array((1 + nFields) * n);
    const present = new Uint8Array(nSeries * nFields);
    if (nSeries === 1) {
      // One series: its rows are the staging prefix, in order.
      data.set(this.rowTs.subarray(0, n));
      for (let f = 0; f < nFields; f++) {
        data.set(this.cols[f].subarray(0, n), (f + 1) * n);
        present[f] = hasValue(this.cols[f], 0, n) ? 1 : 0;
      }
    } else if (n > 0) {
      const fill = starts.slice(0, nSeries);
      const order = new Int32Array(n);
      const rowSeries = this.rowSeries;
      for (let r = 0; r < n; r++) order[fill[rowSeries[r]]++] = r;
      gatherInto(data, 0, this.rowTs, order, n);
      for (let f = 0; f < nFields; f++) {
        const col = this.cols[f];
        const at = (f + 1) * n;
        gatherInto(data, at, col, order, n);
        // Presence per series: usually decided by its first row; absent fields scan all rows.
        for (let s = 0; s < nSeries; s++) {
          const b = starts[s + 1];
          let k = starts[s];
          while (k < b && data[at + k] !== data[at + k]) k++;
          if (k < b) present[s * nFields + f] = 1;
        }
      }
    }
    const packed: PackedBatch = { symbols: this.symbols.slice(), fieldNames: this.fieldNames.slice(), starts, data, present, rowCount: n };
    this.release();
    return packed;
  }

  /** Ends the builder without building (e.g. after a parse error), recycling its staging. */
  release(): void {
    if (this.spent) return;
    this.spent = true;
    // Columns go back all-NaN: refill only the part rows were written to.
    for (const c of this.cols) c.fill(NaN, 0, this.rows);
    const cols = this.freeCols.concat(this.cols);
    const bytes = this.rowTs.length * (12 + 8 * cols.length);
    if (bytes <= MAX_POOLED_BYTES && (spare === null || spare.rowTs.length <= this.rowTs.length)) {
      spare = { rowSeries: this.rowSeries, rowTs: this.rowTs, cols };
    }
    this.rowSeries = new Int32Array(0);
    this.rowTs = new Float64Array(0);
    this.cols = [];
    this.freeCols = [];
    this.rows = 0;
  }

  /** Several series: order rows by series (counting sort, stable), then gather each column. */
  private gatherSeries(out: SeriesRows[]): void {
    const nSeries = this.symbols.length;
    const n = this.rows;
    const first = new Int32Array(nSeries + 1); // first[s] = start of series s in `order`
    for (let s = 0; s < nSeries; s++) first[s + 1] = first[s] + this.seriesRows[s];
    const fill = first.slice(0, nSeries);
    const order = new Int32Array(n);
    const rowSeries = this.rowSeries;
    for (let r = 0; r < n; r++) order[fill[rowSeries[r]]++] = r;
    for (let s = 0; s < nSeries; s++) {
      const a = first[s];
      const b = first[s + 1];
      if (a === b) continue;
      out.push({ symbol: this.symbols[s], ts: gather(this.rowTs, order, a, b), columns: this.gatherColumns(order, a, b) });
    }
  }

  private gatherColumns(order: Int32Array, a: number, b: number): Map<string, Float64Array> {
    const columns = new Map<string, Float64Array>();
    for (let f = 0; f < this.cols.length; f++) {
      const col = this.cols[f];
      // Present in this series? Usually decided by its first row; absent fields scan all rows.
      let k = a;
      while (k < b && col[order[k]] !== col[order[k]]) k++;
      if (k < b) columns.set(this.fieldNames[f], gather(col, order, a, b));
    }
    return columns;
  }

  private growRows(): void {
    if (this.spent) throw new Error('BUG: WriteBatchBuilder used after build()/release()');
    const old = this.rowTs.length;
    const cap = Math.max(INITIAL_ROWS, old * 2);
    this.checkSize(this.cols.length, cap);
    const rs = new Int32Array(cap);
    rs.set(this.rowSeries);
    this.rowSeries = rs;
    const ts = new Float64Array(cap);
    ts.set(this.rowTs);
    this.rowTs = ts;
    this.cols = this.cols.map((c) => {
      const g = new Float64Array(cap);
      g.set(c);
      g.fill(NaN, old);
      return g;
    });
    this.freeCols = []; // spare columns are of the old capacity
  }

  private checkSize(fields: number, rows: number): void {
    if (fields * rows <= this.maxValues) return;
    throw new ValidationError(
      `request too large: ${fields} distinct fields × ${rows} rows exceeds ${this.maxValues} values`,
      REQUEST_TOO_LARGE,
    );
  }
}

/** True when col has a non-NaN value in [a, b). */
function hasValue(col: Float64Array, a: number, b: number): boolean {
  for (let k = a; k < b; k++) if (col[k] === col[k]) return true;
  return false;
}

/** out[at + k] = src[order[k]] for k in [0, n). */
function gatherInto(out: Float64Array, at: number, src: Float64Array, order: Int32Array, n: number): void {
  for (let k = 0; k < n; k++) out[at + k] = src[order[k]];
}

/** New array of src[order[k]] for k in [a, b). */
function gather(src: Float64Array, order: Int32Array, a: number, b: number): Float64Array {
  const out = new Float64Array(b - a);
  for (let k = a; k < b; k++) out[k - a] = src[order[k]];
  return out;
}
