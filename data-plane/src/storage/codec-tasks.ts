import type { CandleQuery } from '../engine-api.ts';
import type { IngestTask } from '../ingest/ingest-task.ts';
import type { MergePolicy } from './segment-split.ts';
import type { SortedRows } from './sorted-rows.ts';

/** Work the codec pool does off the request thread. Coarse on purpose: one task covers many
 *  series or segments, since a pool round trip costs ~120 µs under Bun. */
export type CodecTask = SealTask | DecodeTask | CandleTask | IngestTask;

export interface SealItem {
  ts: Float64Array;
  fields: string[];
  values: Float64Array[];
  /** stored values (envelopes) of the segments these rows merge with */
  existing: Uint8Array[];
  existingKeys: string[];
  policy: MergePolicy;
}

export interface SealTask {
  kind: 'seal';
  items: SealItem[];
  maxRows: number;
  blockSizeUs: number;
  compress: boolean;
}

export interface SealedSegment {
  minTs: number;
  maxTs: number;
  rowCount: number;
  /** the stored value (envelope) */
  value: Uint8Array;
}

export interface DecodeTask {
  kind: 'decode';
  values: Uint8Array[];
  keys: string[];
}

export interface CandleTask {
  kind: 'candles';
  values: Uint8Array[];
  keys: string[];
  query: CandleQuery;
}

export type SealResult = SealedSegment[][];
export type DecodeResult = SortedRows[];
