import { hash32 } from './checksum.ts';
import { assertLittleEndian } from './endian.ts';
import { CorruptionError, ValidationError } from '../errors.ts';
import { isValidSymbol, SYMBOL_PATTERN } from '../model.ts';
import type { PackedBatch } from '../ingest/packed-batch.ts';
import type { SeriesRows, WriteBatch } from '../model.ts';

/**
 * One WAL record per acknowledged write batch (docs/format/wal.md): each series' header and
 * UTF-8 names, then its Float64Array data at an 8-byte-aligned offset, copied as is (close to
 * memcpy); a version byte first and xxHash32 last. Pure and worker-safe.
 */

/** Version byte at offset 0 of every WAL record. */
export const WAL_RECORD_VERSION = 1;
/** Fixed header bytes: version, flags, reserved u16, seriesCount u32, rowCount u32, reserved u32. */
export const WAL_HEADER_SIZE = 16;

/**
 * Below this many rows a column is copied by a JS loop: a native `set` call costs more than the
 * copy itself. (The loop may canonicalize NaN payloads; NaN means "absent" in the engine, so only
 * the payload, never the NaN, can change.)
 */
const SMALL_COPY = 24;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Serializes a batch. Returns a new Uint8Array. Throws Error('BUG: …') when the batch breaks its
 * own invariants (a column whose length differs from `ts`, `rowCount` not the sum of the rows,
 * names over 65535 bytes).
 */
export function encodeWalRecord(batch: WriteBatch): Uint8Array {
  assertLittleEndian();
  const { size, symbolBytes } = planRecord(batch);
  const out = new Uint8Array(size);
  const out64 = new Float64Array(out.buffer, 0, size >>> 3);
  const view = new DataView(out.buffer);
  out[0] = WAL_RECORD_VERSION;
  view.setUint32(4, batch.series.length, true);
  view.setUint32(8, batch.rowCount, true);
  let p = WAL_HEADER_SIZE;
  for (let k = 0; k < batch.series.length; k++) {
    const s = batch.series[k];
    const rows = s.ts.length;
    p = writeName(out, p, s.symbol, symbolBytes[k]);
    view.setUint32(p, rows, true);
    view.setUint16(p + 4, s.columns.size, true);
    p += 6;
    for (const name of s.columns.keys()) p = writeName(out, p, name, utf8Length(name));
    let q = (p + 7) >>> 3; // padding bytes stay 0
    copyRange(out64, q, s.ts, 0, rows);
    q += rows;
    for (const col of s.columns.values()) {
      copyRange(out64, q, col, 0, rows);
      q += rows;
    }
    p = q * 8;
  }
  view.setUint32(p, hash32(out, 0, p), true);
  return out;
}

/**
 * encodeWalRecord(new PackedWriteBatch(p, only)), byte for byte, straight from the packed layout:
 * no per-series views or Maps, and each name's UTF-8 length is computed once per batch instead of
 * per series. (The ingest workers log every parsed request this way; cluster coordinators encode
 * each node's part of one this way.)
 */
export function encodeWalRecordPacked(p: PackedBatch, only: Int32Array | null = null): Uint8Array {
  assertLittleEndian();
  const count = only ? only.length : p.symbols.length;
  const nFields = p.fieldNames.length;
  const n = p.rowCount;
  const fieldBytes = p.fieldNames.map(utf8Length);
  const symbolBytes = new Array<number>(count);
  const fieldCount = new Uint16Array(count);
  let size = WAL_HEADER_SIZE;
  let series = 0;
  let total = 0;
  for (let k = 0; k < count; k++) {
    const s = only ? only[k] : k;
    const rows = p.starts[s + 1] - p.starts[s];
    if (rows === 0) continue;
    series++;
    total += rows;
    const sb = utf8Length(p.symbols[s]);
    if (sb > 0xffff) throw new Error(`BUG: encodeWalRecordPacked: symbol of ${sb} bytes`);
    symbolBytes[k] = sb;
    size += 2 + sb + 6;
    let fc = 0;
    for (let f = 0; f < nFields; f++) {
      if (!p.present[s * nFields + f]) continue;
      fc++;
      size += 2 + fieldBytes[f];
    }
    fieldCount[k] = fc;
    size = ((size + 7) & ~7) + 8 * rows * (fc + 1);
  }
  size += 4;
  const out = new Uint8Array(size);
  const out64 = new Float64Array(out.buffer, 0, size >>> 3);
  const view = new DataView(out.buffer);
  const data = p.data;
  out[0] = WAL_RECORD_VERSION;
  view.setUint32(4, series, true);
  view.setUint32(8, total, true);
  let q0 = WAL_HEADER_SIZE;
  for (let k = 0; k < count; k++) {
    const s = only ? only[k] : k;
    const a = p.starts[s];
    const rows = p.starts[s + 1] - a;
    if (rows === 0) continue;
    let q = writeName(out, q0, p.symbols[s], symbolBytes[k]);
    view.setUint32(q, rows, true);
    view.setUint16(q + 4, fieldCount[k], true);
    q += 6;
    for (let f = 0; f < nFields; f++) if (p.present[s * nFields + f]) q = writeName(out, q, p.fieldNames[f], fieldBytes[f]);
    let w = (q + 7) >>> 3; // padding bytes stay 0
    copyRange(out64, w, data, a, rows);
    w += rows;
    for (let f = 0; f < nFields; f++) {
      if (!p.present[s * nFields + f]) continue;
      copyRange(out64, w, data, (f + 1) * n + a, rows);
      w += rows;
    }
    q0 = w * 8;
  }
  view.setUint32(q0, hash32(out, 0, q0), true);
  return out;
}

/**
 * Parses a record written by encodeWalRecord into fresh arrays (nothing aliases `bytes`).
 * Throws CorruptionError naming `key` on a bad length, version or checksum, or an inconsistent
 * structure; never returns a partial batch.
 */
export function decodeWalRecord(bytes: Uint8Array, key?: string): WriteBatch {
  const { src64, series, rowCount } = walkRecord(bytes, key);
  const out: SeriesRows[] = [];
  for (const { symbol, rows, names, dataAt } of series) {
    const columns = new Map<string, Float64Array>();
    for (let j = 0; j < names.length; j++) columns.set(names[j], copyOut(src64, dataAt + (j + 1) * rows, rows));
    out.push({ symbol, ts: copyOut(src64, dataAt, rows), columns });
  }
  return { series: out, rowCount };
}

/** One series of a record, as walkRecord finds it. */
interface RecordSeries {
  symbol: string;
  rows: number;
  /** its field names, in record order (the same array as the previous series' when equal) */
  names: string[];
  /** Float64 index of its `ts` column in `src64`; each field's column follows */
  dataAt: number;
}

/**
 * Checks a record's whole structure (length, version, checksum, flags, names, padding, sizes)
 * and finds its series, without copying any value: both decoders build on it. `src64` views
 * the record (or an aligned copy of it, when the record is not 8-byte aligned in memory).
 */
function walkRecord(bytes: Uint8Array, key?: string): { src64: Float64Array; series: RecordSeries[]; rowCount: number } {
  assertLittleEndian();
  const fail = (msg: string): never => {
    throw new CorruptionError(msg, key);
  };
  if (bytes.length < WAL_HEADER_SIZE + 4) fail(`WAL record truncated to ${bytes.length} bytes`);
  if (bytes[0] !== WAL_RECORD_VERSION) fail(`unsupported WAL record version ${bytes[0]}`);
  const end = bytes.length - 4;
  if (hash32(bytes, 0, end) !== readU32(bytes, end)) fail('WAL record checksum mismatch');
  // The float data sits at 8-byte offsets from the record start; copy once if the record itself
  // is not 8-byte aligned, so the data can be read through a Float64Array view.
  // (`new Uint8Array(x)` copies into a fresh, aligned buffer; Buffer#slice would only make a view.)
  if ((bytes.byteOffset & 7) !== 0) bytes = new Uint8Array(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const src64 = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 3);
  if (bytes[1] !== 0 || view.getUint16(2, true) !== 0 || view.getUint32(12, true) !== 0) fail('WAL record flags set');
  const seriesCount = view.getUint32(4, true);
  const rowCount = view.getUint32(8, true);
  const series: RecordSeries[] = [];
  let p = WAL_HEADER_SIZE;
  let total = 0;
  let prevNames: string[] = [];
  let prevNamesAt = -1;
  for (let k = 0; k < seriesCount; k++) {
    const symbol = readName(bytes, p, end, fail);
    p += 2 + readU16(bytes, p);
    if (p + 6 > end) fail('WAL record truncated in a series header');
    const rows = view.getUint32(p, true);
    const fieldCount = view.getUint16(p + 4, true);
    p += 6;
    const namesAt = p;
    let names = prevNames;
    const reused = fieldCount === prevNames.length ? sameNamesEnd(bytes, namesAt, prevNamesAt, fieldCount, end) : -1;
    if (reused >= 0) {
      p = reused;
    } else {
      names = [];
      for (let j = 0; j < fieldCount; j++) {
        names.push(readName(bytes, p, end, fail));
        p += 2 + readU16(bytes, p);
      }
    }
    prevNames = names;
    prevNamesAt = namesAt;
    const q = (p + 7) >>> 3;
    for (let x = p; x < q * 8; x++) if (x >= end || bytes[x] !== 0) fail('WAL record padding is not zero');
    if ((q + rows * (fieldCount + 1)) * 8 > end) fail('WAL record truncated in a series body');
    if (reused < 0 && new Set(names).size !== fieldCount) fail('WAL record repeats a field name');
    series.push({ symbol, rows, names, dataAt: q });
    total += rows;
    p = (q + rows * (fieldCount + 1)) * 8;
  }
  if (p !== end) fail('WAL record has trailing bytes');
  if (total !== rowCount) fail(`WAL record holds ${total} rows, header says ${rowCount}`);
  return { src64, series, rowCount };
}

/** Exact record size; validates the batch. */
function planRecord(batch: WriteBatch): { size: number; symbolBytes: number[] } {
  let size = WAL_HEADER_SIZE;
  let rows = 0;
  const symbolBytes: number[] = [];
  for (const s of batch.series) {
    const n = s.ts.length;
    const sb = utf8Length(s.symbol);
    if (sb > 0xffff) throw new Error(`BUG: encodeWalRecord: symbol of ${sb} bytes`);
    if (s.columns.size > 0xffff) throw new Error(`BUG: encodeWalRecord: ${s.columns.size} columns`);
    symbolBytes.push(sb);
    size += 2 + sb + 6;
    for (const [name, col] of s.columns) {
      if (col.length !== n) throw new Error(`BUG: encodeWalRecord: ${s.symbol}.${name} has ${col.length} rows, ts ${n}`);
      const nb = utf8Length(name);
      if (nb > 0xffff) throw new Error(`BUG: encodeWalRecord: field name of ${nb} bytes`);
      size += 2 + nb;
    }
    size = ((size + 7) & ~7) + 8 * n * (s.columns.size + 1);
    rows += n;
  }
  if (rows !== batch.rowCount) throw new Error(`BUG: encodeWalRecord: rowCount ${batch.rowCount}, rows ${rows}`);
  if (batch.series.length > 0xffffffff || rows > 0xffffffff) throw new Error('BUG: encodeWalRecord: batch too large');
  return { size: size + 4, symbolBytes };
}

function copyRange(out64: Float64Array, q: number, src: Float64Array, from: number, n: number): void {
  if (n < SMALL_COPY) for (let i = 0; i < n; i++) out64[q + i] = src[from + i];
  else out64.set(src.subarray(from, from + n), q);
}

function copyOut(src64: Float64Array, q: number, n: number): Float64Array {
  const a = new Float64Array(n);
  if (n < SMALL_COPY) for (let i = 0; i < n; i++) a[i] = src64[q + i];
  else a.set(src64.subarray(q, q + n));
  return a;
}

/** UTF-8 byte length; symbols and field names are ASCII in practice, so that path is a loop. */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return utf8Encoder.encode(s).length;
  return s.length;
}

/** Writes u16 length + UTF-8 bytes at p; returns the next position. */
function writeName(out: Uint8Array, p: number, s: string, bytes: number): number {
  out[p] = bytes;
  out[p + 1] = bytes >>> 8;
  p += 2;
  if (bytes === s.length) {
    for (let i = 0; i < bytes; i++) out[p + i] = s.charCodeAt(i);
  } else {
    utf8Encoder.encodeInto(s, out.subarray(p, p + bytes));
  }
  return p + bytes;
}

/** Reads a u16-length-prefixed UTF-8 string at p (ASCII without a decoder call). */
function readName(bytes: Uint8Array, p: number, end: number, fail: (m: string) => never): string {
  if (p + 2 > end) fail('WAL record truncated in a name');
  const len = readU16(bytes, p);
  const s = p + 2;
  if (s + len > end) fail('WAL record truncated in a name');
  let ascii = len <= 64;
  for (let i = s; ascii && i < s + len; i++) if (bytes[i] > 0x7f) ascii = false;
  if (ascii) {
    let out = '';
    for (let i = s; i < s + len; i++) out += String.fromCharCode(bytes[i]);
    return out;
  }
  try {
    return utf8Decoder.decode(bytes.subarray(s, s + len));
  } catch {
    return fail('WAL record name is not UTF-8');
  }
}

/**
 * If the `count` names at `at` have the same bytes as those at `prevAt` (the previous series),
 * returns the position after them, else -1. Batches of many symbols repeat one schema, and
 * reusing the decoded strings skips most string building.
 */
function sameNamesEnd(bytes: Uint8Array, at: number, prevAt: number, count: number, end: number): number {
  if (prevAt < 0) return -1;
  let p = at;
  let q = prevAt;
  for (let j = 0; j < count; j++) {
    if (p + 2 > end) return -1;
    const len = readU16(bytes, p);
    if (len !== readU16(bytes, q) || p + 2 + len > end) return -1;
    for (let i = 2; i < 2 + len; i++) if (bytes[p + i] !== bytes[q + i]) return -1;
    p += 2 + len;
    q += 2 + len;
  }
  return p;
}

function readU16(b: Uint8Array, p: number): number {
  return b[p] | (b[p + 1] << 8);
}

function readU32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

/**
 * packBatch(decodeWalRecord(bytes, key)) in one step, with validateBatch's checks: a peer's
 * record becomes the PackedBatch the engine applies without a WriteBatch of per-series arrays
 * and Maps in between (measured on a 6.7K-row part of a 1000-symbol request: 1.15 → 0.47 ms).
 * Same results, same errors: CorruptionError naming `key` for a malformed record, then
 * ValidationError (validateBatch's messages) for rows the engine would refuse.
 */
export function decodeWalRecordPacked(bytes: Uint8Array, key?: string): { packed: PackedBatch; orderKept: boolean } {
  const { src64, series: spans, rowCount } = walkRecord(bytes, key);
  // One batch-wide field order (first seen), as packBatch gives; series that share a names
  // array (walkRecord reuses it for an equal schema) share their ids too.
  const fieldIds = new Map<string, number>();
  const spanIds: number[][] = [];
  let orderKept = true;
  let prevNames: string[] | null = null;
  let ids: number[] = [];
  for (const { names } of spans) {
    if (names !== prevNames) {
      ids = names.map((name) => {
        let id = fieldIds.get(name);
        if (id === undefined) fieldIds.set(name, (id = fieldIds.size));
        return id;
      });
      for (let j = 1; j < ids.length; j++) if (ids[j] < ids[j - 1]) orderKept = false;
      prevNames = names;
    }
    spanIds.push(ids);
  }
  // validateBatch's checks, series by series, while copying into the packed layout.
  const nFields = fieldIds.size;
  const n = rowCount;
  const data = new Float64Array((1 + nFields) * n);
  const starts = new Int32Array(spans.length + 1);
  const present = new Uint8Array(spans.length * nFields);
  const fieldNames = [...fieldIds.keys()];
  let row = 0;
  for (let k = 0; k < spans.length; k++) {
    const { symbol, rows, dataAt } = spans[k];
    const ids = spanIds[k];
    if (!isValidSymbol(symbol)) throw new ValidationError(`symbol "${symbol}" must match ${SYMBOL_PATTERN}`);
    starts[k] = row;
    const badTs = copyTimestamps(src64, dataAt, data, row, rows);
    if (badTs >= 0) throw new ValidationError(`symbol "${symbol}" row ${badTs + 1}: timestamp ${src64[dataAt + badTs]} is not an integer number of microseconds`);
    for (let j = 0; j < ids.length; j++) {
      const badValue = copyFinite(src64, dataAt + (j + 1) * rows, data, (ids[j] + 1) * n + row, rows);
      if (badValue >= 0) throw new ValidationError(`symbol "${symbol}" row ${badValue + 1} field "${fieldNames[ids[j]]}": not a finite number`);
      present[k * nFields + ids[j]] = 1;
    }
    // Fields this series lacks are absent (NaN) in its rows.
    if (ids.length !== nFields) {
      for (let f = 0; f < nFields; f++) if (!present[k * nFields + f]) data.fill(NaN, (f + 1) * n + row, (f + 1) * n + row + rows);
    }
    row += rows;
  }
  starts[spans.length] = row;
  return { packed: { symbols: spans.map((s) => s.symbol), fieldNames, starts, data, present, rowCount: n }, orderKept };
}

/** Copies `rows` timestamps; returns the index of the first that is not a safe integer, or -1. */
function copyTimestamps(src: Float64Array, from: number, dst: Float64Array, to: number, rows: number): number {
  for (let i = 0; i < rows; i++) {
    const t = src[from + i];
    if (!Number.isSafeInteger(t)) return i;
    dst[to + i] = t;
  }
  return -1;
}

/** Copies `rows` values; returns the index of the first ±Infinity, or -1 (NaN = absent, allowed). */
function copyFinite(src: Float64Array, from: number, dst: Float64Array, to: number, rows: number): number {
  for (let i = 0; i < rows; i++) {
    const v = src[from + i];
    if (v === Infinity || v === -Infinity) return i;
    dst[to + i] = v;
  }
  return -1;
}
