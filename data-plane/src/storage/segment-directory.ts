import { lowerBoundTs } from './sorted-rows.ts';

/**
 * The key timestamps (each segment's last row, see keys.ts) of every stored segment of one
 * series, when known, so that a range read can name its segments and fetch them with one
 * multi-get: one trip through the storage thread pool, where a cursor takes two for a range of
 * two segments (the RocksDB binding answers a cursor's first step with a single entry). On a
 * busy machine each trip can wait milliseconds for a core: this is the p99 of a symbol-day.
 *
 * Exact whenever no segment write of the series is in flight. Every segment write goes through
 * the sealer, which brackets it with beginWrite/endWrite; between the two the store may or may
 * not have applied it, so span() answers "unknown" and readers use a cursor. A series created
 * in this process starts known (it has no segments); one loaded from disk starts unknown until
 * a scan of its keys fills it (startLoad).
 */
export class SegmentDirectory {
  /** sorted ascending; undefined = unknown */
  private keys: number[] | undefined;
  /** what the engine's directories may hold together (none: unbounded) */
  private readonly budget: DirectoryBudget | null;
  /** per key, its stored value's identity (valueId) when known, else NaN: lets a read that finds
   *  every segment in the decoded cache skip the store */
  private ids: number[] = [];
  private writes = 0;
  /** bumped by every write: a key scan that saw a change start under it is stale */
  private generation = 0;
  private loading = false;

  constructor(known: boolean, budget: DirectoryBudget | null = null) {
    this.keys = known ? [] : undefined;
    this.budget = budget;
    if (known) budget?.touch(this);
  }

  /** Changes with every write: ids noted for a span read under an older version are not kept. */
  get version(): number {
    return this.generation;
  }

  /** Whether span() can answer now. */
  get usable(): boolean {
    return this.keys !== undefined && this.writes === 0;
  }

  /** Whether a key scan would help (unknown, nothing loading, no write in flight). */
  get wantsLoad(): boolean {
    return this.keys === undefined && !this.loading && this.writes === 0;
  }

  /**
   * Key timestamps of the segments that may hold rows in [start, end), in key order: from the
   * first ending at or after `start` through the first ending at or after `end - 1` (segments
   * are disjoint and sorted, so that one is the last that can hold rows < end). Undefined when
   * not usable. `ids`, when given, receives each segment's value identity (NaN: unknown).
   */
  span(start: number, end: number, ids?: number[]): number[] | undefined {
    const keys = this.keys;
    if (keys === undefined || this.writes !== 0) return undefined;
    this.budget?.touch(this);
    const out: number[] = [];
    for (let i = lowerBoundTs(keys, start); i < keys.length; i++) {
      out.push(keys[i]);
      ids?.push(this.ids[i]);
      if (keys[i] >= end - 1) break;
    }
    return out;
  }

  /** Records the value identities a read found for key timestamps `ts`, if nothing changed since `version`. */
  noteIds(version: number, ts: number[], ids: number[]): void {
    const keys = this.keys;
    if (keys === undefined || version !== this.generation || this.writes !== 0) return;
    for (let k = 0; k < ts.length; k++) {
      const i = lowerBoundTs(keys, ts[k]);
      if (keys[i] === ts[k]) this.ids[i] = ids[k];
    }
  }

  /** Key timestamp of the newest segment (null: none), or undefined when not usable. */
  last(): number | null | undefined {
    const keys = this.keys;
    if (keys === undefined || this.writes !== 0) return undefined;
    this.budget?.touch(this);
    return keys.length ? keys[keys.length - 1] : null;
  }

  /** Call synchronously before submitting a write that puts or deletes segments of the series. */
  beginWrite(): void {
    this.writes++;
    this.generation++;
  }

  /**
   * Call in the same tick as the write's completion: applies its deleted and put key
   * timestamps (`putIds`: the put values' identities, NaN or absent when unknown). A failed
   * write (committed = false) may or may not have been applied: the directory becomes unknown.
   */
  endWrite(committed: boolean, deleted: number[], put: number[], putIds: number[] = []): void {
    this.writes--;
    this.generation++;
    const keys = this.keys;
    if (keys === undefined) return;
    if (!committed) {
      this.invalidate();
      return;
    }
    const before = keys.length;
    for (const ts of deleted) {
      const i = lowerBoundTs(keys, ts);
      if (keys[i] === ts) keys.splice(i, 1), this.ids.splice(i, 1);
    }
    put.forEach((ts, k) => {
      const i = lowerBoundTs(keys, ts);
      const id = putIds[k] ?? NaN;
      if (keys[i] !== ts) keys.splice(i, 0, ts), this.ids.splice(i, 0, id);
      else this.ids[i] = id;
    });
    this.budget?.resize(this, keys.length - before);
  }

  /** Forgets what is known (the keys may have changed in a way no write reported). */
  invalidate(): void {
    if (this.keys !== undefined) this.budget?.forget(this, this.keys.length);
    this.keys = undefined;
    this.ids = [];
    this.generation++;
  }

  /**
   * Fills an unknown directory from a scan of the series' key timestamps, in key order. Call in
   * the same synchronous step as the scan's snapshot was taken (KvStore.iterate takes it when
   * called); the result is kept only when no write began or ended meanwhile.
   */
  async startLoad(scan: AsyncIterable<number>): Promise<void> {
    if (!this.wantsLoad) return;
    this.loading = true;
    const generation = this.generation;
    try {
      const keys: number[] = [];
      for await (const ts of scan) keys.push(ts);
      if (generation === this.generation && this.writes === 0) {
        this.keys = keys;
        this.ids = keys.map(() => NaN);
        this.budget?.touch(this);
        this.budget?.resize(this, keys.length);
      }
    } finally {
      this.loading = false;
    }
  }

  /** Known segment count (undefined when unknown), for tests and metrics. */
  get size(): number | undefined {
    return this.keys?.length;
  }
}

/**
 * Bounds the segments all of an engine's directories hold (16 bytes each): past the bound the
 * least recently read directories are forgotten (their series read by cursor again, and load
 * their directory back when read). A directory only written to counts as read when it was made.
 */
export class DirectoryBudget {
  private used = 0;
  /** known directories, least recently read first (Map order) */
  private readonly order = new Map<SegmentDirectory, true>();

  constructor(readonly maxSegments: number) {}

  /** Segments held by known directories now. */
  get segments(): number {
    return this.used;
  }

  touch(d: SegmentDirectory): void {
    this.order.delete(d);
    this.order.set(d, true);
  }

  resize(d: SegmentDirectory, delta: number): void {
    this.used += delta;
    if (this.used <= this.maxSegments) return;
    // Down to 90%, so a directory growing at the bound does not evict one per write.
    for (const old of this.order.keys()) {
      if (this.used <= this.maxSegments * 0.9) break;
      if (old !== d) old.invalidate();
    }
  }

  forget(d: SegmentDirectory, size: number): void {
    this.used -= size;
    this.order.delete(d);
  }
}
