import { hash32 } from './checksum.ts';
import { CorruptionError } from '../errors.ts';
import type { SeriesRows, WriteBatch } from '../model.ts';

/**
 * Decoder of version-2 WAL records (data-plane/docs/format/wal.md, "Version 2"): the compact
 * record the line-protocol fast path writes (data-plane/assembly/lp-fast.ts, encodeWal) straight
 * from its parse — timestamps and decimal mantissas as zigzag varint deltas, so that the stored
 * value needs no LZ4. Read only at recovery. Pure and worker-safe.
 */

/** Version byte of these records (version 1: wal-record.ts). */
export const WAL_RECORD_V2 = 2;
const HEADER_SIZE = 16;
const MODE_DECIMAL = 0;
const MODE_RAW = 1;

/** Exact powers of ten 10^0..10^15 (the scales a record may use). */
const POW10 = Array.from({ length: 16 }, (_, k) => Number(`1e${k}`));
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a version-2 record; throws CorruptionError (naming `key`) for anything malformed. */
export function decodeWalRecordV2(bytes: Uint8Array, key?: string): WriteBatch {
  const fail = (msg: string): never => {
    throw new CorruptionError(msg, key);
  };
  if (bytes.length < HEADER_SIZE + 4) fail(`WAL record truncated to ${bytes.length} bytes`);
  if (bytes[0] !== WAL_RECORD_V2) fail(`unsupported WAL record version ${bytes[0]}`);
  const end = bytes.length - 4;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (hash32(bytes, 0, end) !== view.getUint32(end, true)) fail('WAL record checksum mismatch');
  if (bytes[1] !== 0 || view.getUint16(2, true) !== 0 || view.getUint16(14, true) !== 0) fail('WAL record flags set');
  const seriesCount = view.getUint32(4, true);
  const rowCount = view.getUint32(8, true);
  const fieldCount = view.getUint16(12, true);
  let p = HEADER_SIZE;

  const name = (): string => {
    if (p + 2 > end) fail('WAL record truncated in a name');
    const len = view.getUint16(p, true);
    if (p + 2 + len > end) fail('WAL record truncated in a name');
    let s = '';
    try {
      s = utf8.decode(bytes.subarray(p + 2, p + 2 + len));
    } catch {
      fail('WAL record name is not UTF-8');
    }
    p += 2 + len;
    return s;
  };
  /** Unsigned LEB128 below 2^53 (what the encoder writes). */
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (p >= end) fail('WAL record truncated in a number');
      const b = bytes[p++];
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return v;
      mul *= 128;
    }
    return fail('WAL record number too long');
  };
  const signed = (): number => {
    const z = varint();
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  };

  const fields: string[] = [];
  for (let f = 0; f < fieldCount; f++) fields.push(name());
  const presenceBytes = (fieldCount + 7) >> 3;
  const series: SeriesRows[] = [];
  let total = 0;
  for (let k = 0; k < seriesCount; k++) {
    const symbol = name();
    const rows = varint();
    if (total + rows > rowCount) fail('WAL record has more rows than its header says');
    total += rows;
    if (p + presenceBytes > end) fail('WAL record truncated in a series header');
    const presence = bytes.subarray(p, p + presenceBytes);
    p += presenceBytes;
    const ts = new Float64Array(rows);
    let t = 0;
    for (let i = 0; i < rows; i++) ts[i] = t += signed();
    const columns = new Map<string, Float64Array>();
    for (let f = 0; f < fieldCount; f++) {
      if ((presence[f >> 3] & (1 << (f & 7))) === 0) continue;
      if (p >= end) fail('WAL record truncated in a column');
      const mode = bytes[p++];
      const col = new Float64Array(rows);
      if (mode === MODE_DECIMAL) {
        if (p >= end) fail('WAL record truncated in a column');
        const scale = bytes[p++];
        if (scale >= POW10.length) fail(`WAL record column scale ${scale} out of range`);
        const div = POW10[scale];
        let m = 0;
        for (let i = 0; i < rows; i++) {
          m += signed();
          col[i] = scale === 0 ? m : m / div;
        }
      } else if (mode === MODE_RAW) {
        if (p + rows * 8 > end) fail('WAL record truncated in a column');
        for (let i = 0; i < rows; i++) col[i] = view.getFloat64(p + i * 8, true);
        p += rows * 8;
      } else {
        fail(`WAL record column mode ${mode} unknown`);
      }
      columns.set(fields[f], col);
    }
    series.push({ symbol, ts, columns });
  }
  if (total !== rowCount) fail(`WAL record rows ${total} differ from its header's ${rowCount}`);
  if (p !== end) fail('WAL record has trailing bytes');
  return { series, rowCount };
}
