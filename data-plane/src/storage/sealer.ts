import type { CodecPool } from './codec-pool.ts';
import type { SealItem, SealResult } from './codec-tasks.ts';
import type { MergePolicy } from './segment-split.ts';
import type { KvEntry, KvOp, KvStore } from './kv-store.ts';
import { isSegmentKey, segmentKey, segmentKeyTs } from './keys.ts';
import { keyName, segmentSummaryOf, valueId, type SegmentReader } from './segment-reader.ts';
import { MIN_HEAD_CAPACITY, SEAL_SLACK, SeriesHead } from './series-head.ts';
import type { SealingSnapshot, SeriesState } from './series-state.ts';
import { wrapValue } from '../encoding/envelope.ts';

export interface SealerOptions {
  maxRows: number;
  blockSizeUs: number;
  compress: boolean;
  /** head bytes past which the largest heads are sealed early */
  headSoftLimit: number;
  /** WAL bytes past which the heads pinning the oldest records are sealed */
  maxWalBytes: number;
  idleMs: number;
  /** seal tasks in flight at once (≈ worker threads) */
  parallel: number;
}

export interface SealerHost {
  kv: KvStore;
  pool: CodecPool;
  reader: SegmentReader;
  series(): Iterable<SeriesState>;
  headBytes(): number;
  walBytes(): number;
  /** called after a group's segments are committed (WAL truncation, stats) */
  afterSeal(info: { rows: number; segments: number; bytes: number }): Promise<void>;
  onError(err: unknown, what: string): void;
  adjustHeadBytes(delta: number): void;
}

/** A stored segment value from another replica, with its header's time range and row count. */
export interface VerbatimSegment {
  value: Uint8Array;
  minTs: number;
  maxTs: number;
  rowCount: number;
}

/** Series per seal task: coarse, since a pool round trip costs ~120 µs. */
const SERIES_PER_TASK = 128;
/** Largest starting capacity (rows) of a head that replaces one sealed before it was full. */
const NEXT_HEAD_MAX_CAPACITY = 1024;
const ROWS_PER_TASK = 200_000;

/**
 * Moves head rows into stored segments: decides which series to seal (full, idle, memory or
 * WAL pressure, or everything on flush), merges them with the segments they touch in a codec
 * worker, and commits the new segments in one atomic RocksDB batch.
 *
 * Invariant: a series has at most one seal in flight, so two merges never rewrite the same
 * segments concurrently. The rows being sealed stay visible (SeriesState.sealing) until the
 * commit, so reads never miss them.
 */
export class Sealer {
  private inFlight = 0;
  private scheduled = false;
  private scanNext = false;
  private readonly waiters: (() => void)[] = [];
  private retryAfterMs = 0;
  /**
   * Series whose head reached `maxRows` since they were last handed to a seal: what a check
   * after writes looks at, so that it costs O(full heads) rather than O(series) per write.
   * Idle heads are found by the periodic scan (scan()), pressure triggers a scan too.
   */
  private readonly full = new Set<SeriesState>();

  constructor(private readonly host: SealerHost, private readonly opts: SealerOptions) {}

  /** Notes an append to `s` (the engine calls it for every series a batch touched). */
  noteAppend(s: SeriesState): void {
    if (s.head.length >= this.opts.maxRows) this.full.add(s);
  }

  /** Forgets a series the engine dropped (its vnode moved away): it must never be sealed again. */
  forget(s: SeriesState): void {
    this.full.delete(s);
  }

  /** Schedules a check soon (coalesces many kicks into one): full heads, or a scan under pressure. */
  kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const scan = this.scanNext;
      this.scanNext = false;
      this.check(false, scan).catch((err) => this.host.onError(err, 'seal check'));
    });
  }

  /** Schedules a check over every series (idle heads too): the engine's periodic tick. */
  scan(): void {
    this.scanNext = true;
    this.kick();
  }

  /**
   * Seals what needs sealing now; with `all`, every non-empty head. Without `scan` (a check
   * after writes) only the full heads are looked at, unless head memory or the WAL is over its
   * bound: then every series is, as in a scan.
   */
  async check(all: boolean, scan = true): Promise<void> {
    if (!all && Date.now() < this.retryAfterMs) return;
    const picked = all || scan || this.underPressure() ? this.pick(all) : this.pickFull();
    const groups = group(picked);
    const running: Promise<void>[] = [];
    for (const g of groups) {
      if (!all && this.inFlight >= this.opts.parallel) break;
      running.push(this.sealGroup(g));
    }
    await Promise.all(running);
  }

  /** Seals every head and waits for every seal in flight. */
  async flushAll(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      await this.idle();
      const pending = [...this.host.series()].some((s) => s.head.length > 0 || s.sealing.length > 0);
      if (!pending) return;
      this.retryAfterMs = 0;
      await this.check(true);
    }
  }

  /** Seals the heads of these series now (after any seal of theirs already in flight). */
  async sealSeries(list: SeriesState[]): Promise<void> {
    for (let round = 0; round < 1000; round++) {
      if (list.some((s) => s.sealInFlight)) {
        await this.idle();
        continue;
      }
      const todo = list.filter((s) => s.head.length > 0);
      if (todo.length === 0) return;
      await Promise.all(group(todo).map((g) => this.sealGroup(g)));
    }
    throw new Error('BUG: sealSeries did not converge');
  }

  /** Resolves when no seal is in flight. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private underPressure(): boolean {
    return this.headPressed() || this.host.walBytes() > this.opts.maxWalBytes;
  }

  /** Head memory past its soft limit. */
  private headPressed(): boolean {
    return this.host.headBytes() > this.opts.headSoftLimit;
  }

  /** No row written to the series for idleMs (a head's lastWriteMs carries over to the next). */
  private idleHead(head: SeriesHead, now: number): boolean {
    return now - head.lastWriteMs >= this.opts.idleMs;
  }

  /** The noted full heads not being sealed already (heads swapped out since are let go). */
  private pickFull(): SeriesState[] {
    const ready: SeriesState[] = [];
    for (const s of this.full) {
      if (s.head.length < this.opts.maxRows) this.full.delete(s);
      else if (!s.sealInFlight) ready.push(s);
    }
    return ready;
  }

  private pick(all: boolean): SeriesState[] {
    const o = this.opts;
    const now = Date.now();
    const pressed = this.headPressed();
    const ready: SeriesState[] = [];
    const others: SeriesState[] = [];
    for (const s of this.host.series()) {
      if (s.head.length === 0) {
        if (!all) this.releaseEmptyHead(s, now, pressed);
        continue;
      }
      if (s.sealInFlight) continue;
      if (all || s.head.length >= o.maxRows || this.idleHead(s.head, now)) ready.push(s);
      else others.push(s);
    }
    if (all) return ready;
    let head = this.host.headBytes();
    if (head > o.headSoftLimit) {
      // Memory pressure: seal the biggest heads first until well under the soft limit.
      others.sort((a, b) => b.head.bytes - a.head.bytes);
      while (others.length && head > o.headSoftLimit / 2) {
        const s = others.shift()!;
        head -= s.head.bytes;
        ready.push(s);
      }
    }
    if (this.host.walBytes() > o.maxWalBytes && others.length) {
      // WAL pressure: the heads holding the oldest records pin the log; seal the oldest third.
      others.sort((a, b) => a.head.minSeq - b.head.minSeq);
      ready.push(...others.slice(0, Math.max(1, Math.ceil(others.length / 3))));
    }
    return ready;
  }

  /**
   * Swaps an empty head holding more than a minimal buffer for a minimal one when its series
   * has idled for idleMs, or at once under head memory pressure. A full head's successor is
   * allocated at full size (~240 KB for OHLCV) for the rows that will follow; when none do (the
   * close, a delisted symbol) that buffer would otherwise stay for good, counted against
   * memory_pool_size, and with enough series the limit would refuse writes with nothing left to
   * seal.
   */
  private releaseEmptyHead(s: SeriesState, now: number, pressed: boolean): void {
    const head = s.head;
    if (head.capacity <= MIN_HEAD_CAPACITY || !(pressed || this.idleHead(head, now))) return;
    s.head = new SeriesHead(undefined, this.opts.maxRows);
    s.head.lastWriteMs = head.lastWriteMs;
    this.host.adjustHeadBytes(s.head.bytes - head.bytes);
  }

  private async sealGroup(series: SeriesState[]): Promise<void> {
    this.inFlight++;
    const now = Date.now();
    const pressed = this.headPressed();
    const snapshots = series.map((s) => {
      s.sealInFlight = true;
      this.full.delete(s); // its full head is swapped out below
      const head = s.head;
      const snap = { raw: head.raw(), minSeq: head.minSeq, sorted: null };
      s.sealing.push(snap);
      // A series that filled its head will likely fill the next one too: start it at the size
      // it will reach (growing from a small capacity copies every column several times per seal).
      // A head sealed because it idled, or to relieve memory, is followed by a minimal one.
      const full = head.length >= this.opts.maxRows;
      const quiet = pressed || this.idleHead(head, now);
      s.head = new SeriesHead(
        full ? Math.ceil(this.opts.maxRows * SEAL_SLACK) : quiet ? MIN_HEAD_CAPACITY : Math.min(head.capacity, NEXT_HEAD_MAX_CAPACITY),
        this.opts.maxRows,
        head.fields.length,
      );
      s.head.lastWriteMs = head.lastWriteMs; // the series' last write: when it counts as idle
      // Head memory is counted by capacity: the new head's buffer counts from now on.
      this.host.adjustHeadBytes(s.head.bytes - head.bytes);
      return snap;
    });
    try {
      const info = await this.commitRows(
        series.map((s, i) => ({ series: s, rows: snapshots[i].raw, policy: 'new-wins' as const })),
        () => series.forEach((s, i) => s.sealing.splice(s.sealing.indexOf(snapshots[i]), 1)),
      );
      await this.host.afterSeal(info);
    } catch (err) {
      // Rows go back to the head (readable, and their WAL records stay): retry later.
      this.retryAfterMs = Date.now() + 2000;
      series.forEach((s, i) => {
        const at = s.sealing.indexOf(snapshots[i]);
        if (at >= 0) s.sealing.splice(at, 1), this.restore(s, snapshots[i]);
      });
      this.host.onError(err, 'seal');
    } finally {
      for (const s of series) s.sealInFlight = false;
      this.inFlight--;
      if (this.inFlight === 0) this.waiters.splice(0).forEach((w) => w());
    }
  }

  /**
   * Merges rows that arrive from another replica (vnode handoff, repair) into stored segments.
   * Stored rows win collisions ('existing-wins'): data already here came from writes at least
   * as new as the snapshot being streamed. Waits for any seal of the same series.
   */
  async importRows(series: SeriesState, rows: { ts: Float64Array; fields: string[]; values: Float64Array[] }): Promise<void> {
    while (series.sealInFlight) await this.idle();
    series.sealInFlight = true;
    this.inFlight++;
    try {
      await this.commitRows([{ series, rows, policy: 'existing-wins' }], () => {});
    } finally {
      series.sealInFlight = false;
      this.inFlight--;
      if (this.inFlight === 0) this.waiters.splice(0).forEach((w) => w());
    }
  }

  /**
   * Stores segments streamed from another replica as they are (no decode, merge or re-encode)
   * where no stored segment of the series overlaps them: the common case for a new owner. Takes
   * one series' segments in key order (disjoint, as a replica stores them), compares them with
   * the stored segments of that time range in one range read, and commits the disjoint ones in
   * one batch. Returns the segments it did not store (they overlap stored rows): the caller
   * merges those with importRows. Head rows of the series may overlap: they are newer and win
   * when they are sealed. Waits for any seal of the same series.
   */
  async importVerbatim(series: SeriesState, segs: VerbatimSegment[]): Promise<VerbatimSegment[]> {
    if (!segs.length) return [];
    while (series.sealInFlight) await this.idle();
    series.sealInFlight = true;
    this.inFlight++;
    try {
      let lo = Infinity;
      let hi = -Infinity;
      for (const s of segs) (lo = Math.min(lo, s.minTs)), (hi = Math.max(hi, s.maxTs));
      // Stored segments that can hold rows in [lo, hi] (the read path's span: from the first
      // ending at or after lo through the first ending at or after hi).
      const stored = (await this.host.reader.readSpan(series, lo, hi + 1)).map((e) => ({ minTs: segmentSummaryOf(e).minTs, maxTs: segmentKeyTs(e.key) }));
      const ops: KvOp[] = [];
      const overlapping: VerbatimSegment[] = [];
      const kept: VerbatimSegment[] = [];
      let tail = series.tail;
      for (const s of segs) {
        if (stored.some((t) => t.minTs <= s.maxTs && t.maxTs >= s.minTs)) {
          overlapping.push(s);
          continue;
        }
        kept.push(s);
        ops.push({ type: 'put', key: segmentKey(series.segmentPrefix, s.maxTs), value: s.value });
        if (tail == null || s.maxTs >= tail.maxTs) tail = { maxTs: s.maxTs, rowCount: s.rowCount };
      }
      if (!ops.length) return overlapping;
      if (series.metaDirty) ops.push({ type: 'put', key: series.metaKey, value: wrapValue('series-meta', new TextEncoder().encode(series.metaJson())) });
      // Not kept in the stored-segment cache: a handoff of history would evict the recent data reads want.
      await writeSegments(this.host, ops, [{ series, deleted: [], put: kept.map((s) => s.maxTs), putIds: kept.map((s) => valueId(s.value)) }], { keepStored: false });
      series.metaDirty = false;
      series.tail = tail;
      return overlapping;
    } finally {
      series.sealInFlight = false;
      this.inFlight--;
      if (this.inFlight === 0) this.waiters.splice(0).forEach((w) => w());
    }
  }

  /**
   * The shared merge-and-commit step: loads the segments the rows touch, merges and re-splits
   * them in a codec worker, and replaces them in one atomic batch. `onCommitted` runs in the
   * same tick as the commit's completion, so readers never see rows twice or not at all.
   */
  private async commitRows(
    work: { series: SeriesState; rows: { ts: Float64Array; fields: string[]; values: Float64Array[] }; policy: MergePolicy }[],
    onCommitted: () => void,
  ): Promise<{ rows: number; segments: number; bytes: number }> {
    const existing = await Promise.all(work.map((w) => this.loadTouched(w.series, w.rows.ts)));
    const items: SealItem[] = work.map((w, i) => ({
      // The caller's rows stay readable here: head columns are shared memory the worker only
      // reads (series-head.ts); other rows are copied, and the copies move to the worker.
      ts: shareOrCopy(w.rows.ts),
      fields: w.rows.fields,
      values: w.rows.values.map(shareOrCopy),
      existing: existing[i].map((e) => e.value),
      existingKeys: existing[i].map((e) => keyName(e.key)),
      policy: w.policy,
    }));
    const result = await this.host.pool.run<SealResult>({
      kind: 'seal',
      items,
      maxRows: this.opts.maxRows,
      blockSizeUs: this.opts.blockSizeUs,
      compress: this.opts.compress,
    });
    const ops: KvOp[] = [];
    let bytes = 0;
    let segments = 0;
    let rows = 0;
    work.forEach(({ series: s, rows: r }, i) => {
      for (const e of existing[i]) ops.push({ type: 'del', key: e.key });
      for (const seg of result[i]) {
        ops.push({ type: 'put', key: segmentKey(s.segmentPrefix, seg.maxTs), value: seg.value });
        bytes += seg.value.length;
        segments++;
      }
      if (s.metaDirty) {
        ops.push({ type: 'put', key: s.metaKey, value: wrapValue('series-meta', new TextEncoder().encode(s.metaJson())) });
      }
      rows += r.ts.length;
    });
    await writeSegments(
      this.host,
      ops,
      work.map(({ series }, i) => ({
        series,
        deleted: existing[i].map((e) => segmentKeyTs(e.key)),
        put: result[i].map((seg) => seg.maxTs),
        putIds: result[i].map((seg) => valueId(seg.value)),
      })),
    );
    onCommitted();
    work.forEach(({ series: s }, i) => {
      s.metaDirty = false;
      const segs = result[i];
      const last = segs[segs.length - 1];
      if (last && (s.tail == null || last.maxTs >= s.tail.maxTs)) s.tail = { maxTs: last.maxTs, rowCount: last.rowCount };
    });
    return { rows, segments, bytes };
  }

  /** Puts a failed snapshot's rows back in front of the head (head rows are newer and win). */
  private restore(s: SeriesState, snap: SealingSnapshot): void {
    const head = new SeriesHead(undefined, this.opts.maxRows);
    const columns = new Map(snap.raw.fields.map((f, i) => [f, snap.raw.values[i]]));
    head.append({ symbol: s.symbol, ts: snap.raw.ts, columns }, snap.minSeq, Date.now());
    const cur = s.head.raw(); // the current head is replaced right below, so views are fine
    if (cur.ts.length) {
      head.append({ symbol: s.symbol, ts: cur.ts, columns: new Map(cur.fields.map((f, i) => [f, cur.values[i]])) }, s.head.minSeq, s.head.lastWriteMs);
    }
    this.host.adjustHeadBytes(head.bytes - s.head.bytes);
    s.head = head;
  }

  /**
   * Stored segments the new rows must merge with: every segment whose key (its last timestamp)
   * is ≥ the rows' first timestamp, up to and including the first one ending past their last
   * timestamp; plus the newest segment when the rows extend the series and it has room.
   */
  private async loadTouched(s: SeriesState, ts: Float64Array): Promise<KvEntry[]> {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < ts.length; i++) {
      if (ts[i] < min) min = ts[i];
      if (ts[i] > max) max = ts[i];
    }
    const touched = await this.host.reader.readSpan(s, min, max + 1);
    const known = s.tail;
    if (touched.length === 0 && !(known && known.rowCount + ts.length > this.opts.maxRows)) {
      const tail = await this.tailEntry(s);
      if (tail && tail.rowCount + ts.length <= this.opts.maxRows) touched.push(tail.entry);
    }
    return touched;
  }

  private async tailEntry(s: SeriesState): Promise<{ entry: KvEntry; rowCount: number } | null> {
    if (s.tail === null) return null;
    const entry = await this.host.reader.readLast(s);
    if (!entry) {
      s.tail = null;
      return null;
    }
    const maxTs = segmentKeyTs(entry.key);
    // The row count is known unless the tail changed since (or was never read: after a restart);
    // then the segment's header says it, without decoding the columns.
    const rowCount =
      s.tail !== undefined && s.tail.maxTs === maxTs ? s.tail.rowCount : segmentSummaryOf(entry).rowCount;
    s.tail = { maxTs, rowCount };
    return { entry, rowCount };
  }
}

/**
 * Commits a batch that puts or deletes segments, keeping each series' segment directory exact:
 * the directories are marked changing before the write is submitted and updated in the same
 * tick as it completes (before the caller's continuation runs). With `keepStored` (the default),
 * the segments put are kept in the stored-segment cache once committed.
 */
async function writeSegments(
  host: Pick<SealerHost, 'kv' | 'reader'>,
  ops: KvOp[],
  changes: { series: SeriesState; deleted: number[]; put: number[]; putIds: number[] }[],
  { keepStored = true }: { keepStored?: boolean } = {},
): Promise<void> {
  for (const c of changes) c.series.segments.beginWrite();
  let committed = false;
  try {
    await host.kv.write(ops);
    committed = true;
  } finally {
    for (const c of changes) c.series.segments.endWrite(committed, c.deleted, c.put, c.putIds);
  }
  // Freshly sealed rows are the likeliest to be read next (today's bars): keep their bytes.
  if (keepStored) for (const op of ops) if (op.type === 'put' && isSegmentKey(op.key)) host.reader.rememberStored(op.key, op.value);
}

function group(series: SeriesState[]): SeriesState[][] {
  const out: SeriesState[][] = [];
  let cur: SeriesState[] = [];
  let rows = 0;
  for (const s of series) {
    if (cur.length >= SERIES_PER_TASK || (rows + s.head.length > ROWS_PER_TASK && cur.length)) {
      out.push(cur);
      cur = [];
      rows = 0;
    }
    cur.push(s);
    rows += s.head.length;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** `a` itself when it views shared memory (a worker can read it in place), else a copy of it. */
function shareOrCopy(a: Float64Array): Float64Array {
  return a.buffer instanceof SharedArrayBuffer ? a : a.slice();
}
