/**
 * What the harness needs from a benchmarked server (ours or a peer): start it on 127.0.0.1 with
 * its data in a temporary folder, where to send line protocol, how to let it settle and measure
 * its disk use, the two equivalent candle queries, and stop.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { Candle } from '../lp-body.ts';
import { readPeersEnv } from './proc.ts';

/** A ready-to-send HTTP request. */
export interface HttpRequestSpec {
  readonly url: string;
  readonly init?: RequestInit;
}

/** A time range of whole seconds, [start, end). */
export interface Range {
  readonly start: number;
  readonly end: number;
}

/** Disk use after the target settled (flush/compaction), and how it was measured. */
export interface DiskUsage {
  readonly bytes: number;
  readonly how: string;
}

/** One benchmarked server. Methods other than `start` need a started target. */
export interface Target {
  /** Short id used on the command line and in tables: `stock-tsdb`, `influxdb`, … */
  readonly name: string;
  /** Version string once started. */
  readonly version: string;
  /** Exactly what the two queries are, for the results file. */
  readonly queryDoc: { readonly symbolDay: string; readonly batch: string };
  /** Starts a fresh instance with empty data; resolves when it answers. */
  start(): Promise<void>;
  /** Where to POST a line-protocol body with `precision`. */
  lineProtocolWrite(precision: string): HttpRequestSpec;
  /** Makes ingested data durable/compacted/queryable where the server allows forcing it. */
  settle(): Promise<string>;
  /** On-disk bytes of the data now (after settle). */
  diskUsage(): Promise<DiskUsage>;
  /**
   * True when the size after a clean shutdown is the fair figure (the live size counts space the
   * server preallocated and trims on close); the harness then reports that one.
   */
  readonly diskAfterStop?: boolean;
  /** 1h candles of one symbol over `range`. */
  symbolDayQuery(symbol: string, range: Range): HttpRequestSpec;
  parseSymbolDay(body: string): Candle[];
  /** 1h candles of many symbols over `range`, in one request. */
  batchQuery(symbols: readonly string[], range: Range): HttpRequestSpec;
  parseBatch(body: string): Map<string, Candle[]>;
  /** The server's pid (for CPU and memory figures). */
  readonly pid: number;
  /** Stops the server; returns the data folder's bytes after a clean shutdown. */
  stop(): Promise<{ bytesAfterStop: number; graceful: boolean }>;
  /** Optional: clean shutdown and start again on the same data; returns bytes after the shutdown. */
  reopen?(): Promise<number>;
  /** The end of the server's own logs, for error reports. */
  logTail?(): string;
  /** Deletes the data folder. */
  cleanup(): void;
}

/** Paths and versions written by bench/peers/setup.sh. */
export function peersEnv(): Record<string, string> {
  const path = join(process.env.STOCK_TSDB_PEERS_CACHE ?? join(homedir(), '.cache/stock-tsdb/peers'), 'peers.env');
  if (!existsSync(path)) throw new Error(`${path} missing: run bash bench/peers/setup.sh first`);
  return readPeersEnv(path);
}

/** Formats epoch seconds as RFC 3339 UTC (`2024-01-02T01:30:00Z`). */
export function rfc3339(sec: number): string {
  return new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
}

/** Groups candles keyed by symbol, each list sorted by time. */
export function sortCandles(m: Map<string, Candle[]>): Map<string, Candle[]> {
  for (const list of m.values()) list.sort((a, b) => a[0] - b[0]);
  return m;
}
