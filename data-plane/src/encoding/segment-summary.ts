import { readSegmentHeader } from './segment-header.ts';

/** What a segment holds, from its header alone. */
export interface SegmentSummary {
  rowCount: number;
  /** µs of the first row; NaN when rowCount is 0 */
  minTs: number;
  /** µs of the last row; NaN when rowCount is 0 */
  maxTs: number;
  fields: string[];
  /** the logical block size the segment was encoded with (µs) */
  blockSizeUs: number;
}

/**
 * Row count, time range and field names of a segment without decoding any column — for counts,
 * `latest` and range pruning. Still verifies version and checksum (hashing runs at GB/s, far
 * cheaper than decoding), so a damaged segment never yields a wrong summary: throws
 * CorruptionError naming `key`. Pure and worker-safe.
 */
export function readSegmentSummary(bytes: Uint8Array, key?: string): SegmentSummary {
  const h = readSegmentHeader(bytes, key);
  return { rowCount: h.rowCount, minTs: h.minTs, maxTs: h.maxTs, fields: h.fields, blockSizeUs: h.blockSizeUs };
}
