import { compressSync, uncompressSync } from 'lz4-napi';
import { decodeSegment, decodeSegmentTransient, encodeSegment, type SegmentSummary } from '../encoding/segment-codec.ts';
import type { Float64Scratch } from '../encoding/scratch.ts';
import { openValue, unwrapValue, wrapValue } from '../encoding/envelope.ts';
import { lz4BlockPrefix } from '../encoding/lz4-prefix.ts';
import { readSegmentHeaderPrefix } from '../encoding/segment-header.ts';
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

/** decodeSegmentValue into `scratch`: views valid until its next use (decodeSegmentTransient). */
export function decodeSegmentValueTransient(value: Uint8Array, key: string, scratch: Float64Scratch): SortedRows {
  const { kind, payload } = unwrapValue(value, key, unlz4);
  if (kind !== 'segment') throw new CorruptionError(`expected a segment value, found ${String(kind)}`, key);
  const seg = decodeSegmentTransient(payload, key, scratch);
  return { ts: seg.ts, fields: seg.fields, values: seg.values };
}

function lz4(b: Uint8Array): Uint8Array {
  return compressSync(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * Bytes of a segment's start decoded first when only its header is wanted: its 32 fixed bytes
 * and the field names (~30 bytes for OHLCV) fit; more names take a retry with 8× the bytes.
 */
const HEADER_PREFIX_BYTES = 128;

/**
 * Header of a stored segment value (time range, row count, fields) without decoding — or, for
 * an LZ4-compressed value, even decompressing — its columns: only the first bytes of the payload
 * are decoded (lz4-prefix.ts). Integrity: the value's envelope checksum (over the stored bytes)
 * is verified; the segment's own checksum is checked when its rows are decoded. Reading the
 * header of a 4096-row segment this way costs ~1% of a full decompress + hash (handoff export
 * and import, sealing and verbatim import read thousands of them).
 */
export function readStoredSegmentSummary(value: Uint8Array, key: string): SegmentSummary {
  const v = openValue(value, key);
  if (v.kind !== 'segment') throw new CorruptionError(`expected a segment value, found ${String(v.kind)}`, key);
  for (let want = HEADER_PREFIX_BYTES; ; want *= 8) {
    let prefix: Uint8Array;
    try {
      prefix = v.compressed ? lz4BlockPrefix(v.stored, want) : v.stored.subarray(0, want);
    } catch (cause) {
      throw new CorruptionError('value does not decompress', key, { cause });
    }
    const h = readSegmentHeaderPrefix(prefix, key);
    if (h) return { rowCount: h.rowCount, minTs: h.minTs, maxTs: h.maxTs, fields: h.fields, blockSizeUs: h.blockSizeUs };
    if (prefix.length >= v.rawLength) throw new CorruptionError(`segment header truncated (${v.rawLength} bytes)`, key);
  }
}

/** LZ4 decompression of an envelope payload (the Decompressor every stored value uses). */
export function unlz4(b: Uint8Array): Uint8Array {
  return uncompressSync(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
