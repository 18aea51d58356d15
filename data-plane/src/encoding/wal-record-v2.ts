import { hash32 } from './checksum.ts';
import { CorruptionError, ValidationError } from '../errors.ts';
import { isValidSymbol, SYMBOL_PATTERN } from '../model.ts';
import { PackedWriteBatch, type PackedBatch } from '../ingest/packed-batch.ts';
import type { WriteBatch } from '../model.ts';

/**
 * Version-2 WAL records (data-plane/docs/format/wal.md, "Version 2"): the compact record the
 * line-protocol fast path writes (data-plane/assembly/lp-fast.ts, encodeWal) straight from its
 * parse — timestamps and decimal mantissas as zigzag varint deltas, so that the stored value
 * needs no LZ4. Standalone servers log it; cluster coordinators forward each owner its series'
 * slice of it (sliceWalRecordV2), which the owner logs as received. Pure and worker-safe.
 */

/** Version byte of these records (version 1: wal-record.ts). */
export const WAL_RECORD_V2 = 2;

/** Whether `bytes` is a version-2 record by its version byte (byte 0; checked in full on decode). */
export function isWalRecordV2(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === WAL_RECORD_V2;
}
const HEADER_SIZE = 16;
const MODE_DECIMAL = 0;
const MODE_RAW = 1;

const BAD_NUMBERS = 'WAL record truncated in a number column, or a number in it too large';
const MAX_VARINT_SHIFT = 49; // 8 bytes of 7 bits: what the encoder writes for numbers below 2^53

/** Exact powers of ten 10^0..10^15 (the scales a record may use). */
const POW10 = Array.from({ length: 16 }, (_, k) => Number(`1e${k}`));
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A version-2 record and where each of its series' bytes are: `seriesAt[k]` .. `seriesAt[k + 1]`
 * is series k (the packed batch's series k), `seriesAt[0]` the end of the field table.
 */
export interface IndexedWalRecordV2 {
  record: Uint8Array;
  seriesAt: Uint32Array;
}

/**
 * The version-2 record of series `only` (ascending indexes) of `src`, holding `rowCount` rows:
 * the header, the whole field table, and those series' bytes as they are, with a new hash.
 * What a cluster coordinator sends each owner of a parsed request instead of encoding its part
 * again: a copy of ~13 B/row instead of a version-1 record of ~54 B/row that the owner would
 * LZ4-compress for its WAL.
 */
export function sliceWalRecordV2(src: IndexedWalRecordV2, only: Int32Array, rowCount: number): Uint8Array {
  const { record, seriesAt } = src;
  let size = seriesAt[0] + 4;
  for (let k = 0; k < only.length; k++) size += seriesAt[only[k] + 1] - seriesAt[only[k]];
  const out = new Uint8Array(size);
  out.set(record.subarray(0, seriesAt[0]));
  const view = new DataView(out.buffer);
  view.setUint32(4, only.length, true);
  view.setUint32(8, rowCount, true);
  let p = seriesAt[0];
  // Runs of adjacent series are copied as one range (a node owns about 2/3 of them at RF 2 on 3).
  for (let k = 0; k < only.length; ) {
    const from = seriesAt[only[k]];
    let j = k + 1;
    while (j < only.length && only[j] === only[j - 1] + 1) j++;
    const to = seriesAt[only[j - 1] + 1];
    p = copyBytes(record, from, to, out, p);
    k = j;
  }
  view.setUint32(p, hash32(out, 0, p), true);
  return out;
}

/** Copies record[from, to) to out at p; returns p after it. Short ranges by a loop (no view). */
function copyBytes(src: Uint8Array, from: number, to: number, out: Uint8Array, p: number): number {
  if (to - from < 64) {
    for (let i = from; i < to; i++) out[p++] = src[i];
    return p;
  }
  out.set(src.subarray(from, to), p);
  return p + (to - from);
}

/** Decodes a version-2 record for replay; throws CorruptionError (naming `key`) for anything malformed. */
export function decodeWalRecordV2(bytes: Uint8Array, key?: string): WriteBatch {
  let packed: PackedBatch;
  try {
    packed = decodeWalRecordV2Packed(bytes, key);
  } catch (err) {
    // A logged record passed these checks when it was written: failing them now is damage.
    if (err instanceof ValidationError) throw new CorruptionError(`WAL record holds rows the engine refuses: ${err.message}`, key);
    throw err;
  }
  return { series: new PackedWriteBatch(packed).series, rowCount: packed.rowCount };
}

/**
 * Decodes a version-2 record straight into the packed layout the engine applies, with
 * validateBatch's checks (as decodeWalRecordPacked does for version 1): CorruptionError naming
 * `key` for a malformed record, then ValidationError for rows the engine would refuse. Series,
 * rows and fields keep the record's order, which is the order its writer applied them in.
 */
export function decodeWalRecordV2Packed(bytes: Uint8Array, key?: string): PackedBatch {
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
  const n = view.getUint32(8, true);
  const nFields = view.getUint16(12, true);
  // Bounds before allocating by the header's counts: a series takes at least 4 bytes, a row at
  // least 1, and the packed rows at most 136 B per record byte (16 fields, 1-byte numbers).
  if (seriesCount > end || n > end || (1 + nFields) * n > 32 * end) fail('WAL record counts exceed its size');
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
  /** Unsigned LEB128; the encoder writes numbers below 2^53, anything larger is damage. */
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (p >= end) fail('WAL record truncated in a number');
      const b = bytes[p++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (v > Number.MAX_SAFE_INTEGER) fail('WAL record number too large');
        return v;
      }
      mul *= 128;
    }
    return fail('WAL record number too long');
  };

  const fieldNames: string[] = [];
  for (let f = 0; f < nFields; f++) fieldNames.push(name());
  const presenceBytes = (nFields + 7) >> 3;
  const data = new Float64Array((1 + nFields) * n);
  const starts = new Int32Array(seriesCount + 1);
  const present = new Uint8Array(seriesCount * nFields);
  const symbols = new Array<string>(seriesCount);
  let row = 0;
  for (let k = 0; k < seriesCount; k++) {
    const symbol = name();
    if (!isValidSymbol(symbol)) throw new ValidationError(`symbol "${symbol}" must match ${SYMBOL_PATTERN}`);
    symbols[k] = symbol;
    const rows = varint();
    if (row + rows > n) fail('WAL record has more rows than its header says');
    if (p + presenceBytes > end) fail('WAL record truncated in a series header');
    const presenceAt = p;
    p += presenceBytes;
    starts[k] = row;
    p = readDeltas(bytes, p, end, rows, data, row, 1);
    if (p < 0) fail(BAD_NUMBERS);
    // Every running sum is a row's timestamp: one that left the safe range shows here.
    for (let i = 0; i < rows; i++) {
      const t = data[row + i];
      if (!Number.isSafeInteger(t)) throw new ValidationError(`symbol "${symbol}" row ${i + 1}: timestamp ${t} is not an integer number of microseconds`);
    }
    for (let f = 0; f < nFields; f++) {
      const at = (f + 1) * n + row;
      if ((bytes[presenceAt + (f >> 3)] & (1 << (f & 7))) === 0) {
        data.fill(NaN, at, at + rows); // a field this series lacks is absent in its rows
        continue;
      }
      present[k * nFields + f] = 1;
      if (p >= end) fail('WAL record truncated in a column');
      const mode = bytes[p++];
      if (mode === MODE_DECIMAL) {
        if (p >= end) fail('WAL record truncated in a column');
        const scale = bytes[p++];
        if (scale >= POW10.length) fail(`WAL record column scale ${scale} out of range`);
        p = readDeltas(bytes, p, end, rows, data, at, POW10[scale]);
        if (p < 0) fail(BAD_NUMBERS);
      } else if (mode === MODE_RAW) {
        if (p + rows * 8 > end) fail('WAL record truncated in a column');
        for (let i = 0; i < rows; i++) {
          const v = view.getFloat64(p + i * 8, true);
          if (v === Infinity || v === -Infinity) throw new ValidationError(`symbol "${symbol}" row ${i + 1} field "${fieldNames[f]}": not a finite number`);
          data[at + i] = v;
        }
        p += rows * 8;
      } else {
        fail(`WAL record column mode ${mode} unknown`);
      }
    }
    row += rows;
  }
  starts[seriesCount] = row;
  if (row !== n) fail(`WAL record rows ${row} differ from its header's ${n}`);
  if (p !== end) fail('WAL record has trailing bytes');
  return { symbols, fieldNames, starts, data, present, rowCount: n };
}

/**
 * Reads `rows` zigzag varint deltas at `p` into out[at..] as running sums, each divided by `div`
 * (1: as is); returns the position after them, or -1 when the bytes end first or a number is not
 * below 2^53. The hot loop of the decoder: one- to four-byte numbers stay in int32 arithmetic.
 */
function readDeltas(bytes: Uint8Array, p: number, end: number, rows: number, out: Float64Array, at: number, div: number): number {
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    if (p >= end) return -1;
    let b = bytes[p++];
    let z = b & 0x7f;
    if (b >= 0x80) {
      let shift = 7;
      do {
        if (p >= end || shift > MAX_VARINT_SHIFT) return -1;
        b = bytes[p++];
        z = shift < 28 ? z | ((b & 0x7f) << shift) : z + (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b >= 0x80);
      if (z > Number.MAX_SAFE_INTEGER) return -1;
    }
    // zigzag: even → z / 2, odd → −(z + 1) / 2 (int32 arithmetic below 2^31)
    sum += z < 0x80000000 ? (z >>> 1) ^ -(z & 1) : z % 2 === 1 ? -(z + 1) / 2 : z / 2;
    out[at + i] = div === 1 ? sum : sum / div;
  }
  return p;
}
