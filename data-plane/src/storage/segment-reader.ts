import type { ByteLruCache } from './byte-lru-cache.ts';
import type { CodecPool } from './codec-pool.ts';
import type { DecodeResult } from './codec-tasks.ts';
import type { KvEntry, KvIterator, KvStore } from './kv-store.ts';
import { segmentKey, segmentKeyTs, segmentPrefixEnd } from './keys.ts';
import { decodeSegmentValue, readStoredSegmentSummary } from './segment-value.ts';
import type { SegmentSummary } from '../encoding/segment-codec.ts';
import { CorruptionError } from '../errors.ts';
import type { SeriesState } from './series-state.ts';
import type { SortedRows } from './sorted-rows.ts';

/** Up to this many uncached segments a read decodes on its own thread; more go to the pool, so
 *  concurrent cold queries use every core while the request thread stays free. */
const INLINE_DECODE_MAX = 1;
/** Segments per worker decode task. */
const DECODE_TASK_SIZE = 32;
/** Keys remembered as read once (admission filter); past this the memory starts over. */
const SEEN_ONCE_MAX = 1 << 16;
/** A read of at most this many segments keeps their stored bytes; longer ones are scans (a
 *  month of a thousand symbols would flush the recent data out of the cache). */
const STORED_KEEP_READ_MAX = 8;
/** Bytes a stored-value cache entry costs beyond its value (key string, map entry, view). */
const STORED_ENTRY_OVERHEAD = 160;

/**
 * Reads and decodes stored segments of one series, through two caches: decoded rows of segments
 * read more than once, and the stored (compressed) bytes of segments sealed or read recently.
 * Entries of both are keyed by the segment key plus the value's checksum and length, so a reader
 * holding an older snapshot never gets a newer value of the same key.
 *
 * Why stored bytes too: a read that finds every segment of its span in either cache is answered
 * on the calling thread, without the trip through the storage thread pool and back (two thread
 * wake-ups; on a busy machine each can wait a scheduler slice, milliseconds, for a core). At
 * ~2 bytes per row, recent data of every series fits in a small share of the cache, where
 * decoded rows (48 bytes per OHLCV row) fit only the hottest.
 */
export class SegmentReader {
  private seenOnce = new Set<string>();
  /** directory key scans in flight (one at a time: each reads the series' whole key range) */
  private loads = 0;
  /** reads whose directory named a segment the store did not have (a series dropped while the
   *  read started, or a bug) */
  directoryMisses = 0;
  /** span reads answered from the decoded cache without a storage read */
  storageSkipped = 0;

  constructor(
    private readonly kv: KvStore,
    private readonly cache: ByteLruCache<string, SortedRows> | null,
    private readonly pool: CodecPool,
    private readonly onCorruption: (err: unknown) => void,
    /** stored values of recently sealed or read segments (null: none kept) */
    private readonly stored: ByteLruCache<string, Buffer> | null = null,
  ) {}

  /** Opens a snapshot cursor over the segments that may hold rows in [start, end). Synchronous. */
  openRange(prefix: Buffer, start: number): KvIterator {
    return this.kv.iterate({ gte: segmentKey(prefix, start), lt: segmentPrefixEnd(prefix) });
  }

  /**
   * The stored segments of `st` that may hold rows in [start, end), from a snapshot taken
   * synchronously by this call (capture in-memory rows in the same step). With a usable
   * directory this is one multi-get of exactly those segments; otherwise a cursor (and the
   * directory is loaded in the background for next time).
   */
  readSpan(st: SeriesState, start: number, end: number): Promise<KvEntry[]>;
  /**
   * With `decoded`: when every segment of the span is in the decoded cache (and the directory
   * knows which stored value each is), no storage read at all: the entries carry their rows
   * and no value. Otherwise as above.
   */
  readSpan(st: SeriesState, start: number, end: number, decoded: true): Promise<SpanEntry[]>;
  readSpan(st: SeriesState, start: number, end: number, decoded = false): Promise<SpanEntry[]> {
    const dir = st.segments;
    const ids: number[] = [];
    const span = dir.span(start, end, ids);
    if (span === undefined) {
      this.loadDirectory(st);
      return this.collect(this.openRange(st.segmentPrefix, start), end);
    }
    if (span.length === 0) return Promise.resolve([]);
    const keys = span.map((ts) => segmentKey(st.segmentPrefix, ts));
    const hits = this.cachedSpan(keys, ids, decoded);
    if (hits) {
      this.storageSkipped++;
      return Promise.resolve(hits);
    }
    const version = dir.version;
    return this.kv.getMany(keys).then((values) => {
      const out: KvEntry[] = [];
      for (let i = 0; i < keys.length; i++) {
        const value = values[i];
        if (value === undefined) return this.afterDirectoryMiss(st, () => this.collect(this.openRange(st.segmentPrefix, start), end));
        out.push({ key: keys[i], value });
      }
      dir.noteIds(version, span, values.map((v) => valueId(v!)));
      if (out.length <= STORED_KEEP_READ_MAX) for (const e of out) this.rememberStored(e.key, e.value);
      return out;
    });
  }

  /**
   * Every segment named, from the caches (decoded rows when `decoded` and cached, else stored
   * bytes), if they hold all of them; else null. Counts nothing: range reads count their skips
   * (stock_tsdb_reads_without_storage_total), a newest-segment read (latest, the sealer) does not.
   */
  private cachedSpan(keys: Buffer[], ids: number[], decoded: boolean): SpanEntry[] | null {
    const rowsCache = decoded ? this.cache : null;
    const stored = this.stored;
    if (!rowsCache && !stored) return null;
    const names: string[] = [];
    for (let i = 0; i < keys.length; i++) {
      if (!(ids[i] >= 0)) return null; // NaN: identity unknown
      names.push(cacheKeyOf(keys[i], ids[i]));
      // Looked at without counting: the read may still go to the store.
      if (!rowsCache?.has(names[i]) && !stored?.has(names[i])) return null;
    }
    return keys.map((key, i) => {
      const rows = rowsCache?.has(names[i]) ? rowsCache.get(names[i]) : undefined;
      return rows ? { key, value: null, rows } : { key, value: stored!.get(names[i])! };
    });
  }

  /**
   * Keeps a segment's stored value (just committed by the sealer, or just read) for reads that
   * follow. A view into a larger buffer (a worker's result) is copied, so the cache's byte count
   * is what it holds alive.
   */
  rememberStored(key: Uint8Array, value: Uint8Array): void {
    if (!this.stored) return;
    const whole = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength;
    const own = whole ? Buffer.from(value.buffer, 0, value.byteLength) : Buffer.from(value);
    this.stored.set(cacheKey({ key, value }), own, own.byteLength + STORED_ENTRY_OVERHEAD);
  }

  /** The newest stored segment of `st` (snapshot taken by this call), if any. */
  readLast(st: SeriesState): Promise<KvEntry | undefined> {
    const last = st.segments.last();
    if (last === null) return Promise.resolve(undefined);
    if (last === undefined) {
      this.loadDirectory(st);
      return this.lastByCursor(st);
    }
    const key = segmentKey(st.segmentPrefix, last);
    const ids: number[] = [];
    st.segments.span(last, last + 1, ids);
    const hit = this.cachedSpan([key], ids, false);
    if (hit) return Promise.resolve(hit[0] as KvEntry);
    const version = st.segments.version;
    return this.kv.getMany([key]).then(([value]) => {
      if (value === undefined) return this.afterDirectoryMiss(st, () => this.lastByCursor(st));
      st.segments.noteIds(version, [last], [valueId(value)]);
      this.rememberStored(key, value);
      return { key, value };
    });
  }

  private async lastByCursor(st: SeriesState): Promise<KvEntry | undefined> {
    const it = this.kv.iterate({ gte: st.segmentPrefix, lt: segmentPrefixEnd(st.segmentPrefix), reverse: true, limit: 1 });
    try {
      return await it.next();
    } finally {
      it.close().catch(() => {}); // nothing to clean up on a failed close
    }
  }

  /**
   * The directory named a segment the snapshot lacks: it is wrong (a write path that did not
   * report a change). Forget it and read by cursor from a newer snapshot. That is safe for the
   * caller's earlier capture of in-memory rows: stored rows are only ever replaced by merged
   * segments holding them, so a newer snapshot can add rows the capture also holds (merges
   * dedupe them) but never miss one.
   */
  private afterDirectoryMiss<T>(st: SeriesState, retry: () => Promise<T>): Promise<T> {
    this.directoryMisses++;
    st.segments.invalidate();
    return retry();
  }

  /** Starts filling an unknown directory from a key scan, unless another scan is running. */
  private loadDirectory(st: SeriesState): void {
    if (!st.segments.wantsLoad || this.loads > 0) return;
    this.loads++;
    // The cursor's snapshot is taken here, in the same step as startLoad notes the directory's generation.
    const it = this.kv.iterate({ gte: st.segmentPrefix, lt: segmentPrefixEnd(st.segmentPrefix), keysOnly: true });
    st.segments
      .startLoad(keyTimes(it))
      .catch(() => {}) // the directory stays unknown; reads keep using cursors
      .finally(() => this.loads--);
  }

  /**
   * Stored entries from `it` up to the first segment that ends at or after `end`. The cursor is
   * closed without waiting: closing is one more trip through the storage thread pool, and on a
   * busy machine each such trip can wait milliseconds for a core (it was the largest part of
   * a symbol-day query's p99).
   */
  async collect(it: KvIterator, end: number): Promise<KvEntry[]> {
    const out: KvEntry[] = [];
    try {
      for (let e = await it.next(); e; e = await it.next()) {
        out.push(e);
        // Segments are disjoint and sorted: one that ends at or past `end` is the last that can hold rows < end.
        if (segmentKeyTs(e.key) >= end - 1) break;
      }
    } finally {
      it.close().catch(() => {}); // a failed close leaves nothing to clean up here
    }
    return out;
  }

  /** Decoded rows of every entry (its rows, the cache, then inline or in the pool). */
  async decodeAll(spanEntries: SpanEntry[]): Promise<SortedRows[]> {
    const entries = spanEntries as KvEntry[]; // entries without a value carry rows: never decoded below
    const out = new Array<SortedRows>(entries.length);
    const missing: number[] = [];
    spanEntries.forEach((e, i) => {
      const hit = e.value === null ? e.rows : this.cache?.get(cacheKey(e));
      if (hit) out[i] = hit;
      else missing.push(i);
    });
    try {
      if (missing.length <= INLINE_DECODE_MAX) {
        for (const i of missing) out[i] = decodeSegmentValue(entries[i].value, keyName(entries[i].key));
      } else {
        const tasks: Promise<void>[] = [];
        // At least two tasks, so one cold read decodes on both cores.
        const size = Math.min(DECODE_TASK_SIZE, Math.ceil(missing.length / 2));
        for (let k = 0; k < missing.length; k += size) {
          const idx = missing.slice(k, k + size);
          tasks.push(
            this.pool
              .run<DecodeResult>({ kind: 'decode', values: idx.map((i) => entries[i].value), keys: idx.map((i) => keyName(entries[i].key)) })
              .then((rows) => rows.forEach((r, j) => (out[idx[j]] = r))),
          );
        }
        await Promise.all(tasks);
      }
    } catch (err) {
      this.onCorruption(err);
      throw err;
    }
    for (const i of missing) this.remember(entries[i], out[i]);
    return out;
  }

  /** Reports a decode that failed outside decodeAll (counted when it is corruption). */
  noteFailure(err: unknown): void {
    this.onCorruption(err);
  }

  /** Drops every cached segment whose key starts with `prefix` (after a range was deleted). */
  forgetPrefix(prefix: Uint8Array): void {
    const p = Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength).toString('latin1');
    this.cache?.deleteWhere((k: string) => k.startsWith(p));
    this.stored?.deleteWhere((k: string) => k.startsWith(p));
  }

  /**
   * Admission for rows a caller would decode only to cache them: true on a segment's second
   * read (a "doorkeeper", as TinyLFU has), so one-off reads (screens over many symbols, the
   * first look at a series) neither evict hot segments nor allocate decoded rows to keep.
   */
  admit(entry: { key: Uint8Array; value: Uint8Array }): boolean {
    if (!this.cache) return false;
    const k = cacheKey(entry);
    if (this.seenOnce.delete(k)) return true;
    if (this.seenOnce.size >= SEEN_ONCE_MAX) this.seenOnce = new Set();
    this.seenOnce.add(k);
    return false;
  }

  /** Puts decoded rows in the cache for this exact stored value. */
  remember(entry: { key: Uint8Array; value: Uint8Array }, rows: SortedRows): void {
    this.cache?.set(cacheKey(entry), rows, rowsBytes(rows));
  }
}

async function* keyTimes(it: KvIterator): AsyncIterable<number> {
  for await (const e of it) yield segmentKeyTs(e.key);
}

/** Cache key: the stored key plus the value's trailing checksum and length. */
export function cacheKey(e: { key: Uint8Array; value: Uint8Array }): string {
  const v = e.value;
  return keyString(e.key) + '#' + trailingSum(v).toString(36) + ':' + v.length;
}

/** cacheKey from a key and the value's identity (valueId), without the value. */
function cacheKeyOf(key: Uint8Array, id: number): string {
  return keyString(key) + '#' + Math.floor(id / ID_LENGTH_RANGE).toString(36) + ':' + (id % ID_LENGTH_RANGE);
}

/** Values' lengths that fit in a valueId (segments are far smaller). */
const ID_LENGTH_RANGE = 2 ** 21;

/**
 * What identifies a stored value in cacheKey (its trailing checksum and length) as one number,
 * for the segment directory; NaN for values too long to fit.
 */
export function valueId(v: Uint8Array): number {
  return v.length < ID_LENGTH_RANGE ? trailingSum(v) * ID_LENGTH_RANGE + v.length : NaN;
}

function trailingSum(v: Uint8Array): number {
  return v.length >= 4 ? (v[v.length - 4] | (v[v.length - 3] << 8) | (v[v.length - 2] << 16) | (v[v.length - 1] << 24)) >>> 0 : 0;
}

function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** A stored segment a read needs: its stored bytes, or (value null) its decoded rows from the cache. */
export type SpanEntry = KvEntry | { key: Buffer; value: null; rows: SortedRows };

/** A readable name of a stored key for error messages (vnode/kind/symbol@ts). */
export function keyName(key: Uint8Array): string {
  const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  if (b.length >= 4 && !(b[0] === 0xff && b[1] === 0xff)) {
    const vnode = b.readUInt16BE(0);
    const sym = b.toString('utf8', 4, 4 + b[3]);
    return b[2] === 1 ? `segment/${vnode}/${sym}@${segmentKeyTs(b)}` : `meta/${vnode}/${sym}`;
  }
  return b.toString('hex');
}

/**
 * readStoredSegmentSummary of a stored entry, naming its key only when it throws: building the
 * name for every entry was ~4% of a handoff import's main thread.
 */
export function segmentSummaryOf(e: KvEntry): SegmentSummary {
  try {
    return readStoredSegmentSummary(e.value, '');
  } catch (err) {
    if (err instanceof CorruptionError && !err.key) throw new CorruptionError(err.message, keyName(e.key), { cause: err.cause });
    throw err;
  }
}

/** Approximate bytes of decoded rows, for the cache bound. */
export function rowsBytes(rows: SortedRows): number {
  return rows.ts.length * 8 * (1 + rows.values.length) + 64 * (1 + rows.fields.length);
}
