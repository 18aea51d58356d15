import type { SeriesRows } from '../model.ts';
import { sortDedupe, type SortedRows } from './sorted-rows.ts';

const INITIAL_CAPACITY = 64;

/**
 * The in-memory, not yet sealed rows of one series (append order = WAL order).
 *
 * Single writer: the engine's ordered-apply step. Readers take `sorted()`, which is computed
 * lazily and cached until the next append. `minSeq` is the oldest WAL record whose rows are
 * still only here; the WAL cannot be truncated past it.
 */
export class SeriesHead {
  ts: Float64Array = new Float64Array(INITIAL_CAPACITY);
  fields: string[] = [];
  columns: Float64Array[] = [];
  length = 0;
  minSeq = Infinity;
  lastWriteMs = 0;
  private sortedCache: SortedRows | null = null;

  /** Bytes held (capacity of every column), for the memory bound. */
  get bytes(): number {
    return this.ts.length * 8 * (1 + this.columns.length);
  }

  /** Appends rows that came in WAL record `seq`. */
  append(rows: SeriesRows, seq: number, nowMs: number): void {
    const n = rows.ts.length;
    if (n === 0) return;
    this.ensureCapacity(this.length + n);
    this.ts.set(rows.ts, this.length);
    for (const [name, col] of rows.columns) {
      let f = this.fields.indexOf(name);
      if (f < 0) f = this.addField(name);
      this.columns[f].set(col.length === n ? col : col.subarray(0, n), this.length);
    }
    // Fields this batch lacks are absent (NaN) in its rows.
    for (let f = 0; f < this.fields.length; f++) {
      if (!rows.columns.has(this.fields[f])) this.columns[f].fill(NaN, this.length, this.length + n);
    }
    this.length += n;
    if (seq < this.minSeq) this.minSeq = seq;
    this.lastWriteMs = nowMs;
    this.sortedCache = null;
  }

  /** Sorted, de-duplicated (last write wins) view of the head. */
  sorted(): SortedRows {
    if (!this.sortedCache) this.sortedCache = sortDedupe(this.ts, this.fields, this.columns, this.length);
    return this.sortedCache;
  }

  /**
   * The raw rows (unsorted, may repeat timestamps) as views of this head's buffers: only for a
   * head that has been swapped out for sealing and is never appended to again.
   */
  raw(): { ts: Float64Array; fields: string[]; values: Float64Array[] } {
    return {
      ts: this.ts.subarray(0, this.length),
      fields: this.fields.slice(),
      values: this.columns.map((c) => c.subarray(0, this.length)),
    };
  }

  private addField(name: string): number {
    const col = new Float64Array(this.ts.length);
    col.fill(NaN, 0, this.length);
    this.fields.push(name);
    this.columns.push(col);
    return this.fields.length - 1;
  }

  private ensureCapacity(need: number): void {
    if (need <= this.ts.length) return;
    let cap = this.ts.length;
    while (cap < need) cap *= 2;
    this.ts = grow(this.ts, cap, this.length);
    this.columns = this.columns.map((c) => grow(c, cap, this.length));
  }
}

function grow(a: Float64Array, cap: number, used: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a.subarray(0, used));
  return b;
}
