import type { CandleQuery, CandleResult, EngineApi, EngineStats, PreparedWrite, RangeQuery } from '../engine-api.ts';
import { OverloadError, StorageError } from '../errors.ts';
import type { SeriesData, WriteBatch } from '../model.ts';
import { unwrapValue } from '../encoding/envelope.ts';
import { ByteLruCache } from './byte-lru-cache.ts';
import { PiscinaCodecPool, type CodecPool } from './codec-pool.ts';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from './engine-options.ts';
import { runCandles } from './engine-candles.ts';
import type { KvStore } from './kv-store.ts';
import { engineMetaKey, metaRange } from './keys.ts';
import { RocksKvStore } from './rocks-kv-store.ts';
import { Sealer } from './sealer.ts';
import { keyName, SegmentReader } from './segment-reader.ts';
import { SeriesState } from './series-state.ts';
import { emptyRows, mergeLayers, sliceRows, type SortedRows } from './sorted-rows.ts';
import { vnodeOf } from './vnode-of.ts';
import { WriteAheadLog } from './wal.ts';
import { VnodeStore } from './engine-vnodes.ts';
import { openBackupSnapshot, type BackupSnapshot } from './engine-backup.ts';
import { validateBatch } from './validate-batch.ts';
import { migrateSegmentKeysFrom1 } from './format-migration.ts';
import { DirectoryBudget } from './segment-directory.ts';
import { PackedWriteBatch, type PackedBatch } from '../ingest/packed-batch.ts';
import { FieldListInterner } from './field-list-interner.ts';

/** Storage format this build writes; format 1 directories are migrated at open (format-migration.ts). */
const FORMAT_VERSION = '2';
/** Share of cache.max_size for stored segment bytes (~2 B/row: 64 MB of the default 512 MB is
 *  ~30M recent rows); decoded rows (~48 B/row) get the rest. */
const STORED_CACHE_SHARE = 1 / 8;
/** Segments all segment directories may hold together by default: 8M × 16 bytes = 128 MB, the
 *  keys of ~33 billion rows in 4096-row segments. */
const DIRECTORY_MAX_SEGMENTS = 8_000_000;
/** Freed WAL bytes after which the WAL key range is compacted in the background. */
const WAL_COMPACT_AFTER_BYTES = 64 << 20;

/**
 * The standalone storage engine: WAL → in-memory heads → sealed, column-encoded segments in
 * RocksDB, read back through a decoded-segment cache. Usable as a library (no HTTP).
 *
 * Threading: all state lives on the calling JS thread; CPU-heavy codec work runs in the
 * CodecPool. Reads see a consistent view: the head, sealing snapshots and a RocksDB snapshot
 * iterator are captured in the same synchronous step.
 */
export class Engine implements EngineApi {
  private readonly series = new Map<string, SeriesState>();
  private sortedSymbols: string[] | null = null;
  private headBytes = 0;
  private closed = false;
  private walFreedSinceCompaction = 0;
  /** the background WAL compaction in flight, if any (close waits for it) */
  private walCompaction: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly counters = { rowsWritten: 0, rowsRead: 0, segmentsWritten: 0, corruptions: 0, storageBytes: 0 };
  readonly wal: WriteAheadLog;
  readonly reader: SegmentReader;
  readonly cache: ByteLruCache<string, SortedRows> | null;
  /** stored (compressed) values of recently sealed or read segments */
  readonly storedCache: ByteLruCache<string, Buffer> | null;
  private readonly sealer: Sealer;
  /** vnode → last WAL sequence number whose rows for it were dropped (handoff moved it away) */
  private readonly droppedAt = new Map<number, number>();
  /** one shared array per distinct batch field list (compared by identity when applying) */
  private readonly fieldLists = new FieldListInterner();
  /** Per-vnode export/import/digest/drop for the cluster layer. */
  readonly vnodes: VnodeStore;
  /** Bounds the memory of every series' segment directory together. */
  readonly directoryBudget: DirectoryBudget;

  private constructor(
    readonly kv: KvStore,
    readonly pool: CodecPool,
    readonly opts: EngineOptions,
    private readonly log: (level: 'info' | 'error', msg: string, extra?: Record<string, unknown>) => void,
  ) {
    this.directoryBudget = new DirectoryBudget(opts.directoryMaxSegments ?? DIRECTORY_MAX_SEGMENTS);
    // cache.max_size bounds both caches together: stored bytes take a fixed share (see SegmentReader).
    const storedBytes = Math.floor(opts.cacheBytes * STORED_CACHE_SHARE);
    const rowsBytes = opts.cacheBytes - storedBytes;
    this.cache = rowsBytes > 0 ? new ByteLruCache<string, SortedRows>({ maxBytes: rowsBytes, ttlMs: opts.cacheTtlMs }) : null;
    this.storedCache = storedBytes > 0 ? new ByteLruCache<string, Buffer>({ maxBytes: storedBytes, ttlMs: opts.cacheTtlMs }) : null;
    this.reader = new SegmentReader(kv, this.cache, pool, (err) => this.noteError(err), this.storedCache);
    this.wal = new WriteAheadLog(kv, { sync: opts.walSync, apply: (batch, seq) => this.apply(batch, seq) });
    this.sealer = new Sealer(
      {
        kv,
        pool,
        reader: this.reader,
        series: () => this.series.values(),
        headBytes: () => this.headBytes,
        walBytes: () => this.wal.bytes,
        adjustHeadBytes: (d) => (this.headBytes += d),
        afterSeal: async ({ segments }) => {
          this.counters.segmentsWritten += segments;
          await this.truncateWal();
        },
        onError: (err, what) => this.noteError(err, what),
      },
      {
        maxRows: opts.segmentMaxRows,
        blockSizeUs: opts.blockSizeUs,
        compress: opts.compress,
        headSoftLimit: opts.headLimitBytes / 2,
        maxWalBytes: opts.maxWalBytes,
        idleMs: opts.idleSealMs,
        parallel: Math.max(2, opts.workerThreads),
      },
    );
    this.vnodes = new VnodeStore({
      kv,
      reader: this.reader,
      sealer: this.sealer,
      seriesIn: (vnode) => [...this.series.values()].filter((s) => s.vnode === vnode),
      stateFor: (symbol) => this.stateFor(symbol),
      forgetVnode: (vnode) => this.forgetVnode(vnode),
    });
  }

  /**
   * Opens (or creates) the engine in `opts.dataDir`: loads the series registry, replays the
   * WAL, and starts background sealing. `kv`/`pool` may be injected (tests).
   */
  static async open(
    partial: Partial<EngineOptions> & { dataDir: string },
    deps: { kv?: KvStore; pool?: CodecPool; log?: Engine['log'] } = {},
  ): Promise<Engine> {
    const opts: EngineOptions = { ...DEFAULT_ENGINE_OPTIONS, ...partial };
    const kv = deps.kv ?? (await RocksKvStore.open(opts.dataDir, { writeBufferSize: opts.writeBufferSize, cacheSize: opts.blockCacheSize }));
    const pool = deps.pool ?? new PiscinaCodecPool({ threads: opts.workerThreads, maxQueue: opts.maxQueue });
    const engine = new Engine(kv, pool, opts, deps.log ?? (() => {}));
    try {
      await engine.start();
    } catch (err) {
      await pool.close().catch(() => {});
      await kv.close().catch(() => {});
      throw err;
    }
    return engine;
  }

  private async start(): Promise<void> {
    await this.checkFormat();
    await this.loadRegistry();
    await this.loadDropMarkers();
    const t0 = Date.now();
    const replayed = await this.wal.replay();
    if (replayed.records > 0) {
      this.log('info', 'wal replayed', { records: replayed.records, rows: replayed.rows, ms: Date.now() - t0 });
    }
    this.timer = setInterval(() => {
      this.sealer.scan(); // idle heads; writes' own kicks only look at full heads
      this.refreshStorageBytes();
    }, 1000);
    this.timer.unref?.();
    this.refreshStorageBytes();
    this.sealer.scan();
  }

  private async checkFormat(): Promise<void> {
    const key = engineMetaKey('format');
    const v = await this.kv.get(key);
    if (v?.toString() === '1') {
      const t0 = Date.now();
      const r = await migrateSegmentKeysFrom1(this.kv, (n) => this.log('info', 'storage format 1 → 2: rewriting segment keys', { rewritten: n }));
      this.log('info', 'storage format 1 → 2: segment keys made exact', { ...r, ms: Date.now() - t0 });
      if (r.unreadable > 0) this.log('error', 'storage format 1 → 2: segments with unreadable headers kept their keys (their reads fail as corrupt)', r);
    }
    if (!v || v.toString() === '1') await this.kv.write([{ type: 'put', key, value: Buffer.from(FORMAT_VERSION) }], { sync: true });
    else if (v.toString() !== FORMAT_VERSION) {
      throw new StorageError(`data directory ${this.opts.dataDir} has storage format ${v.toString()}, this build reads ${FORMAT_VERSION}`);
    }
    const vn = engineMetaKey('vnodes');
    const stored = await this.kv.get(vn);
    if (!stored) await this.kv.write([{ type: 'put', key: vn, value: Buffer.from(String(this.opts.vnodes)) }], { sync: true });
    else if (Number(stored.toString()) !== this.opts.vnodes) {
      throw new StorageError(`data directory was created with ${stored.toString()} vnodes, config says ${this.opts.vnodes}`);
    }
  }

  private async loadRegistry(): Promise<void> {
    // One short scan per vnode: meta records sit at the start of each vnode's key range.
    const vnodes = Array.from({ length: this.opts.vnodes }, (_, i) => i);
    for (let i = 0; i < vnodes.length; i += 64) {
      await Promise.all(vnodes.slice(i, i + 64).map((v) => this.loadVnodeMeta(v)));
    }
  }

  private async loadDropMarkers(): Promise<void> {
    const prefix = engineMetaKey('dropped/');
    const end = Buffer.concat([prefix.subarray(0, prefix.length - 1), Buffer.from([prefix[prefix.length - 1] + 1])]);
    for await (const { key, value } of this.kv.iterate({ gte: prefix, lt: end })) {
      this.droppedAt.set(Number(key.toString('utf8', prefix.length)), Number(value.toString()));
    }
  }

  /** Forgets a vnode's series (after a handoff moved it away); WAL replay will not revive them. */
  private async forgetVnode(vnode: number): Promise<void> {
    const seq = this.wal.lastAppliedSeq;
    await this.kv.write([{ type: 'put', key: engineMetaKey(`dropped/${vnode}`), value: Buffer.from(String(seq)) }], { sync: true });
    this.droppedAt.set(vnode, seq);
    for (const st of [...this.series.values()]) {
      if (st.vnode !== vnode) continue;
      this.headBytes -= st.head.bytes;
      st.segments.invalidate(); // gives its share of the directory budget back
      this.sealer.forget(st);
      this.series.delete(st.symbol);
    }
    this.sortedSymbols = null;
  }

  private async loadVnodeMeta(vnode: number): Promise<void> {
    const { gte, lt } = metaRange(vnode);
    for await (const { key, value } of this.kv.iterate({ gte, lt })) {
      const name = keyName(key);
      const { payload } = unwrapValue(value, name);
      const symbol = key.toString('utf8', 4, 4 + key[3]);
      const st = this.stateFor(symbol, true);
      st.loadMeta(new TextDecoder().decode(payload));
    }
  }

  private stateFor(symbol: string, known = false): SeriesState {
    let st = this.series.get(symbol);
    if (!st) {
      // A series first seen here (not in the registry) has no stored segments yet.
      st = new SeriesState(symbol, vnodeOf(symbol, this.opts.vnodes), !known, this.opts.segmentMaxRows, this.directoryBudget);
      this.series.set(symbol, st);
      this.headBytes += st.head.bytes; // its empty head's buffer (forgetVnode takes it back)
      this.sortedSymbols = null;
    }
    return st;
  }

  // ---- writes ---------------------------------------------------------------------------

  /**
   * `prepared`: the batch's stored WAL value, encoded off-thread by the ingest workers from
   * exactly this batch after their parsers validated it; the engine then neither re-validates
   * nor re-encodes.
   */
  async write(batch: WriteBatch, prepared?: PreparedWrite): Promise<{ written: number }> {
    this.checkOpen();
    // Packed batches were validated when they were parsed (ingest-task.ts, also for peers' records).
    if (!prepared && !(batch instanceof PackedWriteBatch)) validateBatch(batch);
    if (batch.rowCount === 0) return { written: 0 };
    if (this.headBytes > this.opts.headLimitBytes) {
      this.sealer.kick();
      throw new OverloadError(`in-memory head is full (${this.headBytes} of ${this.opts.headLimitBytes} bytes); retry shortly`, 1, 503);
    }
    await this.wal.append(batch, prepared?.walValue);
    this.counters.rowsWritten += batch.rowCount;
    this.sealer.kick();
    return { written: batch.rowCount };
  }

  /** Applies a durable batch to the heads (in WAL order; never throws for validated input). */
  private apply(batch: WriteBatch, seq: number): void {
    if (batch instanceof PackedWriteBatch) return this.applyPacked(batch.packed, batch.only, seq);
    const now = Date.now();
    for (const rows of batch.series) {
      if (this.droppedAt.size && (this.droppedAt.get(vnodeOf(rows.symbol, this.opts.vnodes)) ?? 0) >= seq) continue;
      const st = this.stateFor(rows.symbol);
      const before = st.head.bytes;
      st.head.append(rows, seq, now);
      st.noteFields(rows);
      this.headBytes += st.head.bytes - before;
      this.sealer.noteAppend(st);
    }
  }

  /** apply() for a batch the ingest workers parsed: copies straight from the packed rows. */
  private applyPacked(p: PackedBatch, only: Int32Array | null, seq: number): void {
    const now = Date.now();
    p.fieldNames = this.fieldLists.intern(p.fieldNames) as string[]; // same names, shared array
    const count = only ? only.length : p.symbols.length;
    for (let k = 0; k < count; k++) {
      const s = only ? only[k] : k;
      if (p.starts[s] === p.starts[s + 1]) continue;
      const symbol = p.symbols[s];
      if (this.droppedAt.size && (this.droppedAt.get(vnodeOf(symbol, this.opts.vnodes)) ?? 0) >= seq) continue;
      const st = this.stateFor(symbol);
      const before = st.head.bytes;
      st.head.appendPacked(p, s, seq, now);
      st.notePackedFields(p, s);
      this.headBytes += st.head.bytes - before;
      this.sealer.noteAppend(st);
    }
  }

  private minPinnedSeq(): number {
    let min = Infinity;
    for (const s of this.series.values()) {
      if (s.head.length && s.head.minSeq < min) min = s.head.minSeq;
      for (const snap of s.sealing) if (snap.minSeq < min) min = snap.minSeq;
    }
    return min === Infinity ? Number.MAX_SAFE_INTEGER : min;
  }

  /** Seals every head into segments and truncates the WAL (used before backup and on close). */
  async flush(): Promise<void> {
    await this.sealer.flushAll();
    await this.truncateWal();
  }

  /** Flushes, then compacts the whole store (frees the space of deleted and rewritten values). */
  async compact(): Promise<void> {
    await this.flush();
    await this.kv.compactRange(Buffer.alloc(0), Buffer.alloc(4, 0xff));
    this.walFreedSinceCompaction = 0;
    this.refreshStorageBytes();
  }

  /** Truncates the WAL below the oldest pinned record; compacts its range after much was freed. */
  private async truncateWal(): Promise<void> {
    this.walFreedSinceCompaction += await this.wal.truncateBelow(this.minPinnedSeq());
    if (this.walFreedSinceCompaction >= WAL_COMPACT_AFTER_BYTES && !this.walCompaction) {
      this.walFreedSinceCompaction = 0;
      this.walCompaction = this.wal
        .compact()
        .catch((err) => this.noteError(err, 'wal compaction'))
        .finally(() => (this.walCompaction = null));
    }
  }

  // ---- reads ----------------------------------------------------------------------------

  async readRange(q: RangeQuery): Promise<SeriesData> {
    this.checkOpen();
    const st = this.series.get(q.symbol);
    if (!st || q.end <= q.start) return toSeriesData(q.symbol, emptyRows(q.fields ?? st?.fields ?? []), q.fields);
    const rows = await this.readRows(st, q.start, q.end);
    this.counters.rowsRead += rows.ts.length;
    return toSeriesData(q.symbol, rows, q.fields ?? st.fields);
  }

  /** Sorted rows of a series in [start, end): segments, then sealing snapshots, then head. */
  async readRows(st: SeriesState, start: number, end: number): Promise<SortedRows> {
    // Captured synchronously together: see the class comment.
    const head = sliceRows(st.head.sorted(), start, end);
    const sealing = st.sealingSorted().map((r) => sliceRows(r, start, end));
    const entries = await this.reader.readSpan(st, start, end, true);
    const stored = (await this.reader.decodeAll(entries)).map((r) => sliceRows(r, start, end));
    return mergeLayers([...stored, ...sealing, head], st.fields);
  }

  async candles(q: CandleQuery): Promise<CandleResult> {
    this.checkOpen();
    return runCandles(this, q);
  }

  /** Series state for a symbol, if known (used by query helpers). */
  seriesState(symbol: string): SeriesState | undefined {
    return this.series.get(symbol);
  }

  async latest(symbols: string[]): Promise<(SeriesData | null)[]> {
    this.checkOpen();
    return Promise.all(symbols.map((s) => this.latestOne(s)));
  }

  private async latestOne(symbol: string): Promise<SeriesData | null> {
    const st = this.series.get(symbol);
    if (!st) return null;
    const layers: SortedRows[] = [];
    const pending = this.reader.readLast(st);
    const sealing = st.sealingSorted();
    const head = st.head.sorted();
    const entry = await pending;
    if (entry) layers.push(...(await this.reader.decodeAll([entry])));
    layers.push(...sealing, head);
    let best = -Infinity;
    for (const l of layers) if (l.ts.length && l.ts[l.ts.length - 1] > best) best = l.ts[l.ts.length - 1];
    if (best === -Infinity) return null;
    const rows = mergeLayers(layers.map((l) => sliceRows(l, best, best + 1)), st.fields);
    this.counters.rowsRead += rows.ts.length;
    return toSeriesData(symbol, rows, st.fields);
  }

  async symbols(prefix = ''): Promise<string[]> {
    this.checkOpen();
    this.sortedSymbols ??= [...this.series.keys()].sort();
    const all = this.sortedSymbols;
    if (!prefix) return all.slice();
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (all[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < all.length && all[i].startsWith(prefix); i++) out.push(all[i]);
    return out;
  }

  // ---- housekeeping ---------------------------------------------------------------------

  /** A consistent snapshot of the whole store for an online backup (see engine-backup.ts). */
  backupSnapshot(): BackupSnapshot {
    this.checkOpen();
    return openBackupSnapshot(this.kv, this.wal.lastAppliedSeq);
  }

  stats(): EngineStats {
    let headRows = 0;
    for (const s of this.series.values()) headRows += s.head.length;
    const c = this.cache?.stats();
    return {
      rowsWritten: this.counters.rowsWritten,
      rowsRead: this.counters.rowsRead,
      seriesCount: this.series.size,
      headRows,
      headBytes: this.headBytes,
      walBytes: this.wal.bytes,
      storageBytes: this.counters.storageBytes,
      segmentsWritten: this.counters.segmentsWritten,
      cacheHits: c?.hits ?? 0,
      cacheMisses: c?.misses ?? 0,
      cacheBytes: c?.bytes ?? 0,
      storedCacheBytes: this.storedCache?.stats().bytes ?? 0,
      readsWithoutStorage: this.reader.storageSkipped,
      segmentDirectoryMisses: this.reader.directoryMisses,
      workerQueueDepth: this.pool.queueDepth,
      corruptionsDetected: this.counters.corruptions,
    };
  }

  /** Bytes on disk of the whole store (RocksDB live SST files + memtables). */
  private refreshStorageBytes(): void {
    if (this.kv instanceof RocksKvStore) {
      const sst = Number(this.kv.property('rocksdb.live-sst-files-size') ?? 0);
      const mem = Number(this.kv.property('rocksdb.cur-size-all-mem-tables') ?? 0);
      this.counters.storageBytes = sst + mem;
    }
  }

  private noteError(err: unknown, what = 'read'): void {
    if (err instanceof Error && err.name === 'CorruptionError') this.counters.corruptions++;
    this.log('error', `${what} failed`, { error: err instanceof Error ? err.message : String(err) });
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError('engine is closed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    try {
      await this.flush();
      await this.walCompaction;
      await this.wal.compact(); // a clean shutdown leaves no deleted WAL records in SST files
    } finally {
      await this.pool.close();
      await this.kv.close();
    }
  }
}

/** Converts sorted rows to the API's SeriesData, selecting and ordering `fields`. */
function toSeriesData(symbol: string, rows: SortedRows, fields?: string[]): SeriesData {
  const wanted = fields ?? rows.fields;
  const values = wanted.map((f) => {
    const i = rows.fields.indexOf(f);
    return i >= 0 ? rows.values[i] : new Float64Array(rows.ts.length).fill(NaN);
  });
  return { symbol, ts: rows.ts, fields: wanted, values };
}
