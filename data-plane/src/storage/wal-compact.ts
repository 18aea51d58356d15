import { compress, compressSync } from 'lz4-napi';
import { unlz4 } from './segment-value.ts';
import { unwrapValue, wrapValue } from '../encoding/envelope.ts';
import { decodeWalRecord, encodeWalRecord, encodeWalRecordPacked } from '../encoding/wal-record.ts';
import { decodeWalRecordV2, isWalRecordV2 } from '../encoding/wal-record-v2.ts';
import { PackedWriteBatch } from '../ingest/packed-batch.ts';
import type { WriteBatch } from '../model.ts';

/** Records at least this big are LZ4-compressed (below it the call costs more than it saves). */
const COMPRESS_MIN_BYTES = 16 * 1024;
/** Byte 1 of an envelope is its kind; the envelope code of 'wal' (encoding/envelope.ts). */
const ENVELOPE_KIND_WAL = 3;

/**
 * The stored form of a WAL record (data-plane/docs/format/wal.md): the raw record, or, when it
 * is big, the raw record LZ4-compressed inside a 'wal' envelope. Measured here on 10K-row OHLCV
 * batches over 1000 symbols: raw 536 KB → LZ4 141 KB in ~0.9 ms, and a synced RocksDB write
 * costs ~12 ms for 500 KB vs ~2–3 ms for 100 KB, so WAL bytes decide the durable ingest rate.
 * Compression runs on the libuv thread pool (lz4-napi's async `compress`), off the JS thread.
 */
export async function encodeWalValue(batch: WriteBatch): Promise<Uint8Array> {
  const raw = batch instanceof PackedWriteBatch ? encodeWalRecordPacked(batch.packed, batch.only) : encodeWalRecord(batch);
  if (raw.length < COMPRESS_MIN_BYTES) return raw;
  const packed = await compress(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
  return wrapValue('wal', raw, () => packed);
}

/**
 * The stored form of an already encoded record, compressed on the calling thread: for the
 * ingest workers, which encode (or receive) the record off the request thread anyway.
 */
export function walValueOfRecord(raw: Uint8Array): Uint8Array {
  if (raw.length < COMPRESS_MIN_BYTES) return raw;
  return wrapValue('wal', raw, (b) => compressSync(Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
}

/** Decodes either stored form; throws CorruptionError naming `key`. */
export function decodeWalValue(bytes: Uint8Array, key: string): WriteBatch {
  // A raw record has flags (0) at byte 1; an envelope has its kind there.
  if (bytes.length > 1 && bytes[1] === ENVELOPE_KIND_WAL) {
    const { payload } = unwrapValue(bytes, key, unlz4);
    return decodeWalRecord(payload, key);
  }
  // Version 2: the compact record of the line-protocol fast path (stored as is).
  if (isWalRecordV2(bytes)) return decodeWalRecordV2(bytes, key);
  return decodeWalRecord(bytes, key);
}
