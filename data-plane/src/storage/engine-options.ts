import type { StockTsdbConfig } from '../config/types.ts';

/** Everything the engine needs, in engine units (µs, bytes, ms). */
export interface EngineOptions {
  dataDir: string;
  blockSizeUs: number;
  segmentMaxRows: number;
  vnodes: number;
  /** fsync the WAL before acknowledging (default true) */
  walSync: boolean;
  /** in-memory head bound; past it writes get OverloadError (503) */
  headLimitBytes: number;
  maxWalBytes: number;
  idleSealMs: number;
  compress: boolean;
  cacheBytes: number;
  cacheTtlMs: number;
  workerThreads: number;
  maxQueue: number;
  writeBufferSize: number;
  blockCacheSize: number;
  /** segments the in-memory segment directories may hold together (16 bytes each; default 8M) */
  directoryMaxSegments?: number;
}

/** Defaults for library use and tests (the server derives its options from config). */
export const DEFAULT_ENGINE_OPTIONS: Omit<EngineOptions, 'dataDir'> = Object.freeze({
  blockSizeUs: 30_000_000,
  segmentMaxRows: 4096,
  vnodes: 1000,
  walSync: true,
  headLimitBytes: 1 << 30,
  maxWalBytes: 256 << 20,
  idleSealMs: 60_000,
  compress: true,
  cacheBytes: 512 << 20,
  cacheTtlMs: 300_000,
  workerThreads: 0,
  maxQueue: 1024,
  writeBufferSize: 64 << 20,
  blockCacheSize: 64 << 20,
});

/** Maps the validated config onto engine options. */
export function engineOptionsFromConfig(c: StockTsdbConfig): EngineOptions {
  return {
    dataDir: c.storage.data_dir,
    blockSizeUs: c.storage.block_size * 1e6,
    segmentMaxRows: c.storage.segment_max_rows,
    vnodes: c.storage.vnodes,
    walSync: c.storage.wal_sync === 'always',
    headLimitBytes: c.performance.memory_pool_size,
    maxWalBytes: c.storage.max_wal_size,
    idleSealMs: c.storage.head_idle_seal * 1000,
    compress: c.storage.enable_compression && c.storage.compression_type === 'lz4',
    cacheBytes: c.cache.enabled ? c.cache.max_size : 0,
    cacheTtlMs: c.cache.ttl * 1000,
    workerThreads: c.performance.worker_threads,
    maxQueue: c.performance.max_queue,
    writeBufferSize: c.performance.write_buffer_size,
    blockCacheSize: c.storage.block_cache_size,
  };
}
