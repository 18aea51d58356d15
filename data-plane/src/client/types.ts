/** Timestamp unit of a client (what `timestamp`, `start_time` and answers use). */
export type ClientPrecision = 's' | 'ms' | 'us' | 'ns';

/** One row to write: `timestamp` in the client's precision plus numeric fields. */
export interface Row {
  timestamp: number;
  [field: string]: number;
}

/** One series' query answer (DESIGN §5): rows are `[timestamp, ...values]`, null = no value. */
export interface QueryResult {
  symbol: string;
  /** candle interval, or null for raw rows */
  interval: string | null;
  /** "timestamp" first, then the field (or candle) columns */
  columns: string[];
  rows: (number | null)[][];
}

/**
 * A time range as the original Lua client spelled it (`start_time`, `end_time`, `aggregation`),
 * with camelCase aliases. Times are in the client's precision unless `precision` says otherwise.
 */
export interface QueryRange {
  start_time?: number;
  end_time?: number;
  startTime?: number;
  endTime?: number;
  /** candle interval, e.g. "1m", "1h", "1d"; absent → raw rows */
  aggregation?: string;
  interval?: string;
  fields?: string[];
  /** bucket time zone (default: the symbol's exchange zone from the server config) */
  tz?: string;
  fill?: 'null' | 'prev';
  precision?: ClientPrecision;
}

/** Options of `connect()`. */
export interface ClientOptions {
  /** unit of timestamps sent and received (default "s", like the original client) */
  precision?: ClientPrecision;
  /** bearer token when the server has auth enabled */
  token?: string;
  /** per-request timeout in ms (default 30000) */
  timeoutMs?: number;
  /** retries of a 429/503 or a connection failure (default 3) */
  maxRetries?: number;
  /** longest wait between retries in ms, whatever Retry-After says (default 10000) */
  maxRetryDelayMs?: number;
  /** rows per write request; larger writes are split (default 1000, performance.batch_size) */
  batchSize?: number;
  /** "http" (default) or "https" */
  protocol?: 'http' | 'https';
  /** fetch implementation (default globalThis.fetch) */
  fetch?: typeof fetch;
}
