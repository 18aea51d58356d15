import type { Precision, SeriesData, WriteBatch } from './model.ts';

/**
 * What the HTTP layer (and later the cluster layer) needs from a storage engine.
 * All times are µs since the epoch; ranges are start-inclusive, end-exclusive.
 * Methods throw ValidationError (caller's fault), OverloadError (retry later),
 * CorruptionError / StorageError (server's fault).
 */
export interface EngineApi {
  /**
   * Makes the rows durable (WAL fsync per `storage.wal_sync`) and visible, then resolves.
   * `prepared` is a hint an engine may use or ignore (the cluster layer ignores it).
   */
  write(batch: WriteBatch, prepared?: PreparedWrite): Promise<{ written: number }>;
  /** Raw rows of one series in [start, end), ascending, last write wins per timestamp. */
  readRange(q: RangeQuery): Promise<SeriesData>;
  /** Candles (or generic aggregates) of one series; see query/candles.ts for the semantics. */
  candles(q: CandleQuery): Promise<CandleResult>;
  /** The newest row of each symbol (null where the symbol has no rows). */
  latest(symbols: string[]): Promise<(SeriesData | null)[]>;
  /** Known symbols starting with `prefix`, sorted. */
  symbols(prefix?: string): Promise<string[]>;
  /** Counters and gauges for /metrics and /health. */
  stats(): EngineStats;
  close(): Promise<void>;
}

/** Work the ingest workers already did for a batch they parsed and validated. */
export interface PreparedWrite {
  /** the batch's stored WAL value (storage/wal-compact.ts), encoded from exactly this batch */
  walValue: Uint8Array;
}

export interface RangeQuery {
  symbol: string;
  start: number;
  end: number;
  /** subset of fields to return, in this order (default: all fields of the series) */
  fields?: string[];
}

/** How one output column of a candle is computed from the series' rows. */
export type AggregateFn = 'first' | 'last' | 'min' | 'max' | 'sum' | 'avg' | 'count';

export interface CandleQuery {
  symbol: string;
  start: number;
  end: number;
  /** bucket width, e.g. "1m", "15m", "1h", "1d", "1w" (Ns|Nm|Nh|Nd|Nw) */
  interval: string;
  /** IANA zone buckets align to (e.g. "Asia/Shanghai") */
  tz: string;
  /** output columns; default: OHLCV (+amount) for bars, OHLC of price + volume for ticks */
  fields?: string[];
  /** explicit aggregations `output column → [source field, fn]`, overriding the defaults */
  aggregations?: Record<string, [string, AggregateFn]>;
  /** empty buckets: omitted (default), emitted with nulls, or filled with the previous close */
  fill?: 'none' | 'null' | 'prev';
}

export interface CandleResult {
  symbol: string;
  interval: string;
  /** "timestamp" first, then the aggregated columns */
  columns: string[];
  /** bucket start (µs) of each candle, ascending */
  ts: Float64Array;
  /** one array per column after "timestamp"; NaN = null */
  values: Float64Array[];
}

export interface EngineStats {
  rowsWritten: number;
  rowsRead: number;
  seriesCount: number;
  headRows: number;
  headBytes: number;
  walBytes: number;
  storageBytes: number;
  segmentsWritten: number;
  cacheHits: number;
  cacheMisses: number;
  cacheBytes: number;
  /** bytes of stored (compressed) segment values kept for reads (a share of cache.max_size) */
  storedCacheBytes: number;
  /** range/candle reads answered from the segment caches without a storage read (segment directory) */
  readsWithoutStorage: number;
  /** reads whose segment directory named a segment storage did not have (read again by cursor) */
  segmentDirectoryMisses: number;
  workerQueueDepth: number;
  corruptionsDetected: number;
}

export type { Precision };
