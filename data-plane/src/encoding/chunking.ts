/**
 * Encoder policy that splits a segment's rows into chunks (docs/format/segment.md §2.1): runs of
 * whole logical blocks `floor(ts / blockSizeUs)`, closed at a block boundary once they hold
 * `minRows`, cut at `maxRows`. Decoders read the resulting row counts from the segment, so this
 * policy can change without a format change.
 */

/** Tunables of the chunking policy; chosen by measurement with bench/codec-bench.ts. */
export interface ChunkPolicy {
  /** a chunk closes at the first block boundary after it holds this many rows */
  minRows: number;
  /** a chunk never holds more rows than this (dense blocks are cut) */
  maxRows: number;
}

/**
 * Why 24/256: a chunk header costs ~1 byte per column, so chunks below ~24 rows (3-second ticks
 * in 30-second blocks have 10) spend more on headers than they win from adapting widths.
 */
export const DEFAULT_CHUNK_POLICY: ChunkPolicy = Object.freeze({ minRows: 24, maxRows: 256 });

/**
 * Row counts of the chunks of `ts[0, n)` (sorted timestamps, µs), in order; they sum to `n`.
 * `blockSizeUs` must be a positive finite number.
 */
export function planChunks(ts: Float64Array, n: number, blockSizeUs: number, policy = DEFAULT_CHUNK_POLICY): number[] {
  const counts: number[] = [];
  if (n === 0) return counts;
  const { minRows, maxRows } = policy;
  let start = 0;
  // Compare against the next block's start instead of dividing every row.
  let nextBoundary = (Math.floor(ts[0] / blockSizeUs) + 1) * blockSizeUs;
  for (let i = 1; i < n; i++) {
    const t = ts[i];
    if (i - start >= maxRows) {
      counts.push(i - start);
      start = i;
      if (t >= nextBoundary) nextBoundary = (Math.floor(t / blockSizeUs) + 1) * blockSizeUs;
      continue;
    }
    if (t < nextBoundary) continue;
    nextBoundary = (Math.floor(t / blockSizeUs) + 1) * blockSizeUs;
    if (i - start >= minRows) {
      counts.push(i - start);
      start = i;
    }
  }
  counts.push(n - start);
  return counts;
}

/** The largest chunk's row count (0 for none); sizes per-chunk scratch buffers. */
export function maxChunkRows(chunks: readonly number[]): number {
  let max = 0;
  for (const rows of chunks) if (rows > max) max = rows;
  return max;
}
