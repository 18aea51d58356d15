import { compressSync, uncompressSync } from 'lz4-napi';
import { decodeSegment, encodeSegment, readSegmentSummary, type SegmentSummary } from '../encoding/segment-codec.ts';
import { unwrapValue, wrapValue } from '../encoding/envelope.ts';
import { CorruptionError } from '../errors.ts';
import type { SortedRows } from './sorted-rows.ts';

/**
 * Stored segment values: the column codec's bytes inside the versioned, checksummed envelope,
 * LZ4-compressed only when that makes the value smaller. Used by the codec workers and, for
 * small reads, by the main thread.
 */
export function encodeSegmentValue(rows: SortedRows, blockSizeUs: number, compress: boolean): Uint8Array {
  const payload = encodeSegment({ ts: rows.ts, fields: rows.fields, values: rows.values, blockSizeUs });
  return wrapValue('segment', payload, compress ? lz4 : undefined);
}

/** Decodes a stored segment value; throws CorruptionError naming `key` on any damage. */
export function decodeSegmentValue(value: Uint8Array, key: string): SortedRows {
  const { kind, payload } = unwrapValue(value, key, unlz4);
  if (kind !== 'segment') throw new CorruptionError(`expected a segment value, found ${String(kind)}`, key);
  const seg = decodeSegment(payload, key);
  return { ts: seg.ts, fields: seg.fields, values: seg.values };
}

function lz4(b: Uint8Array): Uint8Array {
  return compressSync(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Header of a stored segment value (time range, row count, fields) without decoding its columns. */
export function readStoredSegmentSummary(value: Uint8Array, key: string): SegmentSummary {
  const { kind, payload } = unwrapValue(value, key, unlz4);
  if (kind !== 'segment') throw new CorruptionError(`expected a segment value, found ${String(kind)}`, key);
  return readSegmentSummary(payload, key);
}

/** LZ4 decompression of an envelope payload (the Decompressor every stored value uses). */
export function unlz4(b: Uint8Array): Uint8Array {
  return uncompressSync(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
