import type { CandleQuery } from '../engine-api.ts';
import type { CandlePartial } from '../query/candles.ts';
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

/** Candle partials of several series (or several runs of one series' segments) in one task. */
export interface CandleTask {
  kind: 'candles';
  items: CandleItem[];
}

/** Stored segments of one series, disjoint in time, aggregated for `query`. */
export interface CandleItem {
  values: Uint8Array[];
  keys: string[];
  query: CandleQuery;
  /** also send the decoded segments back (moved, not copied) so the reader can cache them */
  keepRows: boolean;
}

/** One entry per CandleItem, in order: its partial, and its decoded segments when kept. */
export type CandleTaskResult = { partial: CandlePartial; rows: SortedRows[] | null }[];

export type SealResult = SealedSegment[][];
export type DecodeResult = SortedRows[];
