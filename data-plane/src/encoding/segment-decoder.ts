import { ByteReader } from './byte-reader.ts';
import { ColumnEncoding } from './column-encoding.ts';
import { decodeDecimalColumn } from './decimal-decoder.ts';
import { decodeGorilla } from './gorilla-decoder.ts';
import { Float64Scratch } from './scratch.ts';
import { readSegmentHeader } from './segment-header.ts';
import { decodeTimestamps } from './timestamp-decoder.ts';

/** Rows decoded from a segment: one array per field (NaN = absent), aligned with `ts`. */
export interface DecodedSegment {
  /** µs since the epoch, strictly increasing */
  ts: Float64Array;
  fields: string[];
  values: Float64Array[];
}

const mantissaScratch = new Float64Scratch();

/**
 * Decodes a whole segment, bit-exactly (NaN stays NaN, −0 stays −0). The returned arrays are
 * views of one fresh ArrayBuffer the caller owns. Throws CorruptionError naming `key` when the
 * version, checksum or structure is wrong; never returns partial or guessed data.
 */
export function decodeSegment(bytes: Uint8Array, key?: string): DecodedSegment {
  return decodeSegmentObserved(bytes, key);
}

/**
 * decodeSegment into `scratch` instead of a fresh buffer: the returned arrays are views of it,
 * valid only until its next use. For rows that are aggregated at once and not kept: a cold
 * point query then allocates no decoded rows (most of the bytes it allocated, ~240 KB for a
 * symbol-day of 1-second bars), so garbage collections, which pause the request thread for
 * 1–3 ms each, come less often.
 */
export function decodeSegmentTransient(bytes: Uint8Array, key: string, scratch: Float64Scratch): DecodedSegment {
  return decodeSegmentObserved(bytes, key, undefined, scratch);
}

/** Where each part of a segment lies (byte offsets), reported by decodeSegmentObserved. */
export interface SegmentPart {
  /** 'directory', 'timestamps', or a field column */
  part: 'directory' | 'timestamps' | 'column';
  /** field index for columns, -1 otherwise */
  field: number;
  start: number;
  end: number;
}

/** decodeSegment that also reports the byte range of every part to `observe` (segment-inspect.ts). */
export function decodeSegmentObserved(bytes: Uint8Array, key?: string, observe?: (p: SegmentPart) => void, scratch?: Float64Scratch): DecodedSegment {
  const h = readSegmentHeader(bytes, key);
  const r = new ByteReader(bytes, h.bodyStart, h.bodyEnd, key);
  const n = h.rowCount;
  let at = r.pos;
  const chunks = readChunkDirectory(r, n);
  observe?.({ part: 'directory', field: -1, start: at, end: r.pos });
  at = r.pos;
  const fieldCount = h.fields.length;
  const all = scratch ? scratch.get(n * (fieldCount + 1)) : new Float64Array(n * (fieldCount + 1));
  const ts = all.subarray(0, n);
  decodeTimestamps(r, n, h.minTs, chunks, ts);
  if (n > 0 && ts[n - 1] !== h.maxTs) r.fail('last timestamp differs from the header');
  observe?.({ part: 'timestamps', field: -1, start: at, end: r.pos });
  const values: Float64Array[] = [];
  for (let j = 0; j < fieldCount; j++) values.push(all.subarray((j + 1) * n, (j + 2) * n));
  const stride = n + 1;
  const mAll = mantissaScratch.get(stride * fieldCount);
  const mantissas: (Float64Array | null)[] = new Array(fieldCount).fill(null);
  const seen = new Uint8Array(fieldCount);
  for (let c = 0; c < fieldCount; c++) {
    at = r.pos;
    const field = r.uvarint();
    if (field >= fieldCount || seen[field]) r.fail(`column for field ${field} is unexpected`);
    seen[field] = 1;
    const tag = r.u8();
    const out = values[field];
    if (tag === ColumnEncoding.Absent) out.fill(NaN);
    else if (tag === ColumnEncoding.Constant) out.fill(readExactF64(r));
    else if (tag === ColumnEncoding.Gorilla) decodeGorilla(r, n, out);
    else if (tag === ColumnEncoding.Decimal) {
      const m = mAll.subarray(field * stride, (field + 1) * stride);
      decodeDecimalColumn(r, chunks, (f) => (f < fieldCount ? mantissas[f] : null), { m, out });
      mantissas[field] = m;
    } else r.fail(`unknown column encoding ${tag}`);
    observe?.({ part: 'column', field, start: at, end: r.pos });
  }
  if (r.pos !== r.end) r.fail('segment has trailing bytes');
  return { ts, fields: h.fields, values };
}

/** Chunk row counts; each ≥ 1 and summing to n. */
function readChunkDirectory(r: ByteReader, n: number): number[] {
  const count = r.uvarint();
  if (count > n) r.fail(`${count} chunks for ${n} rows`);
  const chunks: number[] = new Array(count);
  let sum = 0;
  for (let c = 0; c < count; c++) {
    const rows = r.uvarint();
    if (rows === 0) r.fail('empty chunk');
    chunks[c] = rows;
    sum += rows;
  }
  if (sum !== n) r.fail(`chunks hold ${sum} rows, header says ${n}`);
  return chunks;
}

function readExactF64(r: ByteReader): number {
  const b = r.bytes(8, 'constant');
  // DataView, not `new Float64Array(b.slice().buffer)`: for a Node Buffer `slice` is a view of
  // its whole (pooled, unaligned) ArrayBuffer, not a copy.
  return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
}
