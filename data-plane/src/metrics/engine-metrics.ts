import type { EngineStats } from '../engine-api.ts';
import type { Registry } from './registry.ts';

/** Where engine metrics come from: the engine's `stats()` (may throw once the engine is closed). */
export interface StatsSource {
  stats(): EngineStats;
}

/**
 * Registers the engine's counters and gauges (`stock_tsdb_*`) as callback metrics. One scrape
 * reads `stats()` once: the snapshot is reused for 250 ms so every family shows the same moment.
 */
export function registerEngineMetrics(registry: Registry, engine: StatsSource): void {
  let snap: EngineStats | undefined;
  let at = 0;
  const stats = (): EngineStats => {
    const now = performance.now();
    if (!snap || now - at > 250) {
      snap = engine.stats();
      at = now;
    }
    return snap;
  };
  const counters: [string, string, (s: EngineStats) => number][] = [
    ['stock_tsdb_rows_written_total', 'Rows acknowledged as written.', (s) => s.rowsWritten],
    ['stock_tsdb_rows_read_total', 'Rows read by queries.', (s) => s.rowsRead],
    ['stock_tsdb_segments_written_total', 'Sealed segments written to storage.', (s) => s.segmentsWritten],
    ['stock_tsdb_cache_hits_total', 'Decoded-segment cache hits.', (s) => s.cacheHits],
    ['stock_tsdb_cache_misses_total', 'Decoded-segment cache misses.', (s) => s.cacheMisses],
    ['stock_tsdb_corruptions_detected_total', 'Stored values that failed their version or checksum test.', (s) => s.corruptionsDetected],
    ['stock_tsdb_reads_without_storage_total', 'Range and candle reads answered from the segment caches (decoded rows or stored bytes) without a storage read.', (s) => s.readsWithoutStorage],
    ['stock_tsdb_segment_directory_misses_total', 'Reads whose in-memory segment directory named a segment storage did not have (read again by cursor).', (s) => s.segmentDirectoryMisses],
  ];
  for (const [name, help, get] of counters) registry.callbackCounter({ name, help, collect: () => get(stats()) });
  const gauges: [string, string, (s: EngineStats) => number][] = [
    ['stock_tsdb_series', 'Number of series (symbols) known.', (s) => s.seriesCount],
    ['stock_tsdb_storage_bytes', 'Estimated bytes of stored data.', (s) => s.storageBytes],
    ['stock_tsdb_head_rows', 'Rows in in-memory head blocks (not yet sealed).', (s) => s.headRows],
    ['stock_tsdb_head_bytes', 'Bytes of in-memory head blocks.', (s) => s.headBytes],
    ['stock_tsdb_wal_bytes', 'Bytes in the write-ahead log.', (s) => s.walBytes],
    ['stock_tsdb_cache_bytes', 'Bytes held by the decoded-segment cache.', (s) => s.cacheBytes],
    ['stock_tsdb_stored_segment_cache_bytes', 'Bytes of stored (compressed) segment values kept for reads.', (s) => s.storedCacheBytes],
    ['stock_tsdb_worker_queue_depth', 'Tasks queued in the codec worker pool.', (s) => s.workerQueueDepth],
    ['stock_tsdb_cache_hit_ratio', 'Cache hits / (hits + misses) since start (0 before any lookup).', cacheHitRatio],
  ];
  for (const [name, help, get] of gauges) registry.callbackGauge({ name, help, collect: () => get(stats()) });
}

function cacheHitRatio(s: EngineStats): number {
  const lookups = s.cacheHits + s.cacheMisses;
  return lookups === 0 ? 0 : s.cacheHits / lookups;
}
