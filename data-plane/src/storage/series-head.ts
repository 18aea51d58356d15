import type { PackedBatch } from '../ingest/packed-batch.ts';
import type { SeriesRows } from '../model.ts';
import { sortDedupe, type SortedRows } from './sorted-rows.ts';

/** The smallest head buffer (rows): what a new series, or an idle one's next head, starts with. */
export const MIN_HEAD_CAPACITY = 64;
/** Head capacity (rows) below which it grows ×4 instead of ×2 (a head filling towards a 4096-row
 *  seal goes 64 → 256 → 1024 → its slack size: three moves, not four). */
const FAST_GROWTH_BELOW = 2048;
/** Room past `sealAt` for the appends that arrive before the seal runs (× sealAt). */
export const SEAL_SLACK = 1.25;

/**
 * The in-memory, not yet sealed rows of one series (append order = WAL order).
 *
 * Single writer: the engine's ordered-apply step. Readers take `sorted()`, which is computed
 * lazily and cached until the next append. `minSeq` is the oldest WAL record whose rows are
 * still only here; the WAL cannot be truncated past it.
 *
 * Layout: ONE shared buffer per head, column-major: `ts` in [0, capacity), field column f in
 * [(f + 1) × capacity, (f + 2) × capacity). A time-major request touches ~1000 heads for ~10 rows
 * each, so applying it is bound by cache misses on per-head objects: one buffer (instead of a
 * typed array per column) and field names compared by identity (interned by the engine) cut
 * the objects each append touches from ~15 to ~4.
 */
export class SeriesHead {
  fields: string[] = [];
  length = 0;
  minSeq = Infinity;
  lastWriteMs = 0;
  private buf: Float64Array;
  private cap: number;
  /** field columns the buffer has room for (≥ fields.length) */
  private slots: number;
  /** a batch field-name array (interned, engine.ts) equal to `fields`, element by element */
  private sameFieldsAs: readonly string[] | null = null;
  private sortedCache: SortedRows | null = null;

  /**
   * `capacity`: rows to make room for up front (default the minimum). `sealAt`: the length at
   * which the sealer takes the head (0 = unknown); growth past it stops at SEAL_SLACK × sealAt
   * instead of doubling, since only the appends that land before the seal runs need room.
   * `fieldSlots`: field columns to make room for up front (the previous head's count).
   */
  constructor(capacity = MIN_HEAD_CAPACITY, private readonly sealAt = 0, fieldSlots = 0) {
    this.cap = Math.max(MIN_HEAD_CAPACITY, capacity);
    this.slots = fieldSlots;
    this.buf = newBuffer(this.cap * (1 + this.slots));
  }

  /** Rows the head has room for before it reallocates. */
  get capacity(): number {
    return this.cap;
  }

  /** Bytes held (the whole buffer), for the memory bound. */
  get bytes(): number {
    return this.buf.length * 8;
  }

  /** Appends rows that came in WAL record `seq`. */
  append(rows: SeriesRows, seq: number, nowMs: number): void {
    const n = rows.ts.length;
    if (n === 0) return;
    const at = this.length;
    this.ensureCapacity(at + n);
    this.reserveSlots(rows.columns.keys(), rows.columns.size); // before any copy (see appendPacked)
    copyFrom(this.buf, at, rows.ts, 0, n);
    // Batches mostly repeat the head's field order, so field k is tried at index k first.
    let k = 0;
    let inOrder = true;
    for (const [name, col] of rows.columns) {
      let f = k < this.fields.length && this.fields[k] === name ? k : this.fields.indexOf(name);
      if (f < 0) f = this.addField(name);
      if (f !== k) inOrder = false;
      copyFrom(this.buf, (f + 1) * this.cap + at, col, 0, n);
      k++;
    }
    // Fields this batch lacks are absent (NaN) in its rows.
    if (!inOrder || k !== this.fields.length) {
      for (let f = 0; f < this.fields.length; f++) {
        if (!rows.columns.has(this.fields[f])) this.fillAbsent(f, at, n);
      }
    }
    this.noteAppend(at + n, seq, nowMs);
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
    const names = p.fieldNames;
    const nFields = names.length;
    const flags = s * nFields;
    const sameFields = names === this.sameFieldsAs;
    if (!sameFields) this.reserveSlots(presentNames(p, s), nFields); // before any copy: a move keeps `length` rows only
    copyFrom(this.buf, at, data, a, n);
    if (sameFields) {
      // The usual case: the head's fields are this batch's, in its order (no name compared).
      const cap = this.cap;
      for (let k = 0; k < nFields; k++) {
        if (p.present[flags + k]) copyFrom(this.buf, (k + 1) * cap + at, data, (k + 1) * rows + a, n);
        else this.fillAbsent(k, at, n);
      }
      this.noteAppend(at + n, seq, nowMs);
      return;
    }
    let written = 0;
    let inOrder = true;
    for (let k = 0; k < nFields; k++) {
      if (!p.present[flags + k]) {
        inOrder = false;
        continue;
      }
      const name = names[k];
      let f = k < this.fields.length && this.fields[k] === name ? k : this.fields.indexOf(name);
      if (f < 0) f = this.addField(name);
      if (f !== k) inOrder = false;
      copyFrom(this.buf, (f + 1) * this.cap + at, data, (k + 1) * rows + a, n);
      written++;
    }
    // Fields these rows lack are absent (NaN).
    if (written !== this.fields.length) {
      for (let f = 0; f < this.fields.length; f++) {
        const k = names.indexOf(this.fields[f]);
        if (k < 0 || !p.present[flags + k]) this.fillAbsent(f, at, n);
      }
    }
    // Remember a batch field list that matches: the next batches of a stream repeat it.
    if (inOrder && written === nFields && nFields === this.fields.length) this.sameFieldsAs = names;
    this.noteAppend(at + n, seq, nowMs);
  }

  /** Sorted, de-duplicated (last write wins) view of the head. */
  sorted(): SortedRows {
    if (!this.sortedCache) {
      const { ts, values } = this.raw();
      this.sortedCache = sortDedupe(ts, this.fields, values, this.length);
    }
    return this.sortedCache;
  }

  /**
   * The raw rows (unsorted, may repeat timestamps) as views of this head's buffer: only for a
   * head that has been swapped out for sealing and is never appended to again.
   */
  raw(): { ts: Float64Array; fields: string[]; values: Float64Array[] } {
    const n = this.length;
    const cap = this.cap;
    return {
      ts: this.buf.subarray(0, n),
      fields: this.fields.slice(),
      values: this.fields.map((_, f) => this.buf.subarray((f + 1) * cap, (f + 1) * cap + n)),
    };
  }

  private noteAppend(length: number, seq: number, nowMs: number): void {
    this.length = length;
    if (seq < this.minSeq) this.minSeq = seq;
    this.lastWriteMs = nowMs;
    this.sortedCache = null;
  }

  private fillAbsent(f: number, at: number, n: number): void {
    const from = (f + 1) * this.cap + at;
    this.buf.fill(NaN, from, from + n);
  }

  /**
   * Makes room, in one move, for the fields in `names` (at most `most` of them) the head lacks:
   * a new series gets exactly its columns instead of growing 4 → 8 slots for 5 OHLCV fields.
   */
  private reserveSlots(names: Iterable<string>, most: number): void {
    if (this.fields.length + most <= this.slots) return;
    let missing = 0;
    for (const name of names) if (!this.fields.includes(name)) missing++;
    if (this.fields.length + missing > this.slots) this.relayout(this.cap, this.fields.length + missing, this.length);
  }

  private addField(name: string): number {
    const f = this.fields.length;
    // Whole columns move: the append adding this field may have written rows past `length`.
    if (f >= this.slots) this.relayout(this.cap, Math.max(4, this.slots * 2), this.cap);
    this.fillAbsent(f, 0, this.length);
    this.fields.push(name);
    this.sameFieldsAs = null;
    return f;
  }

  private ensureCapacity(need: number): void {
    if (need <= this.cap) return;
    // ×4 while small (a bulk load grows every head from the minimum: fewer reallocations and
    // copies per seal), ×2 from FAST_GROWTH_BELOW rows on (bounded over-allocation of big heads).
    let cap = this.cap;
    while (cap < need) cap *= cap < FAST_GROWTH_BELOW ? 4 : 2;
    // Measured: doubling a full head (4096 → 8192 rows) for the few appends before its seal was
    // half of the head's allocations and copies, and growth was a fifth of the request thread.
    // Past that room (a late seal, a big batch) growth is geometric again.
    const slackCap = Math.ceil(this.sealAt * SEAL_SLACK);
    if (this.sealAt > 0 && cap >= this.sealAt && need <= slackCap) cap = slackCap;
    this.relayout(cap, this.slots, this.length);
  }

  /** Moves the first `rows` rows into a new buffer of `cap` rows × (1 + `slots`) columns. */
  private relayout(cap: number, slots: number, rows: number): void {
    const next = newBuffer(cap * (1 + slots));
    const n = Math.min(rows, cap);
    for (let c = 0; c <= this.fields.length; c++) next.set(this.buf.subarray(c * this.cap, c * this.cap + n), c * cap);
    this.buf = next;
    this.cap = cap;
    this.slots = slots;
  }
}

/** The field names series `s` of a packed batch has values for. */
function* presentNames(p: PackedBatch, s: number): Generator<string> {
  const nFields = p.fieldNames.length;
  for (let k = 0; k < nFields; k++) if (p.present[s * nFields + k]) yield p.fieldNames[k];
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
 * A head buffer. Shared memory, so that sealing hands a swapped-out head's rows to a codec
 * worker without copying them (the worker only reads them; the head is never appended to
 * again, and stays readable here until its segments are committed). Profiled, the copy that
 * sealing made instead was a tenth of the request thread's time during bulk ingest.
 */
function newBuffer(values: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(values * 8));
}
