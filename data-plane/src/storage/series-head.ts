import type { PackedBatch } from '../ingest/packed-batch.ts';
import type { SeriesRows } from '../model.ts';
import { sortDedupe, type SortedRows } from './sorted-rows.ts';

const INITIAL_CAPACITY = 64;
/** Head capacity (rows) below which it grows ×4 instead of ×2. */
const FAST_GROWTH_BELOW = 1024;
/** Room past `sealAt` for the appends that arrive before the seal runs (× sealAt). */
export const SEAL_SLACK = 1.25;

/**
 * The in-memory, not yet sealed rows of one series (append order = WAL order).
 *
 * Single writer: the engine's ordered-apply step. Readers take `sorted()`, which is computed
 * lazily and cached until the next append. `minSeq` is the oldest WAL record whose rows are
 * still only here; the WAL cannot be truncated past it.
 */
export class SeriesHead {
  ts: Float64Array;
  fields: string[] = [];
  columns: Float64Array[] = [];
  length = 0;
  minSeq = Infinity;
  lastWriteMs = 0;
  private sortedCache: SortedRows | null = null;

  /**
   * `capacity`: rows to make room for up front (default the minimum). `sealAt`: the length at
   * which the sealer takes the head (0 = unknown); growth past it stops at SEAL_SLACK × sealAt
   * instead of doubling, since only the appends that land before the seal runs need room.
   */
  constructor(capacity = INITIAL_CAPACITY, private readonly sealAt = 0) {
    this.ts = newColumn(Math.max(INITIAL_CAPACITY, capacity));
  }

  /** Bytes held (capacity of every column), for the memory bound. */
  get bytes(): number {
    return this.ts.length * 8 * (1 + this.columns.length);
  }

  /** Appends rows that came in WAL record `seq`. */
  append(rows: SeriesRows, seq: number, nowMs: number): void {
    const n = rows.ts.length;
    if (n === 0) return;
    const at = this.length;
    this.ensureCapacity(at + n);
    copyFrom(this.ts, at, rows.ts, 0, n);
    // Batches mostly repeat the head's field order, so field k is tried at index k first.
    let k = 0;
    let inOrder = true;
    for (const [name, col] of rows.columns) {
      let f = k < this.fields.length && this.fields[k] === name ? k : this.fields.indexOf(name);
      if (f < 0) f = this.addField(name);
      if (f !== k) inOrder = false;
      copyFrom(this.columns[f], at, col, 0, n);
      k++;
    }
    // Fields this batch lacks are absent (NaN) in its rows.
    if (!inOrder || k !== this.fields.length) {
      for (let f = 0; f < this.fields.length; f++) {
        if (!rows.columns.has(this.fields[f])) this.columns[f].fill(NaN, at, at + n);
      }
    }
    this.length = at + n;
    if (seq < this.minSeq) this.minSeq = seq;
    this.lastWriteMs = nowMs;
    this.sortedCache = null;
  }

  /** Appends the rows of series `s` of a packed batch (as append(), without building views). */
  appendPacked(p: PackedBatch, s: number, seq: number, nowMs: number): void {
    const a = p.starts[s];
    const n = p.starts[s + 1] - a;
    if (n === 0) return;
    const at = this.length;
    this.ensureCapacity(at + n);
    const data = p.data;
    const rows = p.rowCount;
    copyFrom(this.ts, at, data, a, n);
    const nFields = p.fieldNames.length;
    const flags = s * nFields;
    let written = 0;
    for (let k = 0; k < nFields; k++) {
      if (!p.present[flags + k]) continue;
      const name = p.fieldNames[k];
      let f = k < this.fields.length && this.fields[k] === name ? k : this.fields.indexOf(name);
      if (f < 0) f = this.addField(name);
      copyFrom(this.columns[f], at, data, (k + 1) * rows + a, n);
      written++;
    }
    // Fields these rows lack are absent (NaN).
    if (written !== this.fields.length) {
      for (let f = 0; f < this.fields.length; f++) {
        const k = p.fieldNames.indexOf(this.fields[f]);
        if (k < 0 || !p.present[flags + k]) this.columns[f].fill(NaN, at, at + n);
      }
    }
    this.length = at + n;
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
    const col = newColumn(this.ts.length);
    col.fill(NaN, 0, this.length);
    this.fields.push(name);
    this.columns.push(col);
    return this.fields.length - 1;
  }

  private ensureCapacity(need: number): void {
    if (need <= this.ts.length) return;
    // ×4 while small (a bulk load grows every head from the minimum: fewer reallocations and
    // copies per seal), ×2 past FAST_GROWTH_BELOW rows (bounded over-allocation of big heads).
    let cap = this.ts.length;
    while (cap < need) cap *= cap < FAST_GROWTH_BELOW ? 4 : 2;
    // Measured: doubling a full head (4096 → 8192 rows) for the few appends before its seal was
    // half of the head's allocations and copies, and growth was a fifth of the request thread.
    // Past that room (a late seal, a big batch) growth is geometric again.
    const slackCap = Math.ceil(this.sealAt * SEAL_SLACK);
    if (this.sealAt > 0 && cap >= this.sealAt && need <= slackCap) cap = slackCap;
    this.ts = grow(this.ts, cap, this.length);
    this.columns = this.columns.map((c) => grow(c, cap, this.length));
  }
}

/** Below this many values a JS loop beats a native `set` call (its fixed cost dominates). */
const SMALL_COPY = 32;

/** dst[at..at+n) = src[from..from+n). */
function copyFrom(dst: Float64Array, at: number, src: Float64Array, from: number, n: number): void {
  if (n < SMALL_COPY) {
    for (let i = 0; i < n; i++) dst[at + i] = src[from + i];
  } else {
    dst.set(src.subarray(from, from + n), at);
  }
}

/**
 * A head column. Shared memory, so that sealing hands a swapped-out head's rows to a codec
 * worker without copying them (the worker only reads them; the head is never appended to
 * again, and stays readable here until its segments are committed). Profiled, the copy that
 * sealing made instead was a tenth of the request thread's time during bulk ingest.
 */
function newColumn(capacity: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(capacity * 8));
}

function grow(a: Float64Array, cap: number, used: number): Float64Array {
  const b = newColumn(cap);
  b.set(a.subarray(0, used));
  return b;
}
