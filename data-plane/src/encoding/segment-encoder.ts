import { ByteWriter } from './byte-writer.ts';
import { hash32 } from './checksum.ts';
import { planChunks } from './chunking.ts';
import { ColumnEncoding, SEGMENT_HEADER_SIZE, SEGMENT_VERSION } from './column-encoding.ts';
import { encodeDecimalColumn } from './decimal-encoder.ts';
import { type ColumnClass, classifyColumn } from './decimal-scale.ts';
import { encodeGorilla } from './gorilla-encoder.ts';
import { planPredictors, type PlanInput } from './predictor-plan.ts';
import { Float64Scratch, Uint8Scratch } from './scratch.ts';
import { encodeTimestamps } from './timestamp-encoder.ts';

/** Rows of one series to store as a segment. */
export interface SegmentInput {
  /** µs since the epoch, integral, strictly increasing (the caller sorts and de-duplicates) */
  ts: Float64Array;
  /** field names, at most 65535, each at most 255 UTF-8 bytes */
  fields: string[];
  /** one array per field, same length as ts; any float64 (NaN = absent) */
  values: Float64Array[];
  /** logical block size in µs (e.g. 30_000_000); chunks follow its boundaries */
  blockSizeUs: number;
}

const segmentWriter = new ByteWriter(64 * 1024);
const mantissaScratch = new Float64Scratch();
const presentScratch = new Uint8Scratch();
const utf8 = new TextEncoder();

/**
 * Encodes rows into a segment (docs/format/segment.md): version byte first, xxHash32 last.
 * Returns a new Uint8Array the caller owns. Throws Error('BUG: …') when the input breaks its
 * contract (unsorted timestamps, mismatched lengths). Pure and worker-safe; not re-entrant
 * within one thread (it reuses module scratch buffers), which synchronous callers never are.
 */
export function encodeSegment(input: SegmentInput): Uint8Array {
  segmentWriter.reset();
  encodeSegmentInto(input, segmentWriter);
  return segmentWriter.finish();
}

/** Appends the segment for `input` to `out` (for callers that assemble bigger values). */
export function encodeSegmentInto(input: SegmentInput, out: ByteWriter): void {
  const { ts, fields, values, blockSizeUs } = input;
  const n = ts.length;
  validate(input);
  const start = out.pos;
  writeHeader(input, out);
  const chunks = planChunks(ts, n, blockSizeUs);
  out.uvarint(chunks.length);
  for (const rows of chunks) out.uvarint(rows);
  encodeTimestamps(ts, n, chunks, out);
  writeColumns(values, n, chunks, out);
  out.u32(hash32(out.buf, start, out.pos));
}

function validate({ ts, fields, values, blockSizeUs }: SegmentInput): void {
  const n = ts.length;
  if (fields.length !== values.length) throw new Error(`BUG: encodeSegment: ${fields.length} fields, ${values.length} columns`);
  if (fields.length > 0xffff) throw new Error(`BUG: encodeSegment: ${fields.length} fields`);
  if (n > 0xffffffff) throw new Error(`BUG: encodeSegment: ${n} rows`);
  if (!(blockSizeUs > 0 && Number.isFinite(blockSizeUs))) throw new Error(`BUG: encodeSegment: blockSizeUs ${blockSizeUs}`);
  for (let j = 0; j < values.length; j++) {
    if (values[j].length !== n) throw new Error(`BUG: encodeSegment: column ${fields[j]} has ${values[j].length} rows, ts ${n}`);
  }
  if (n > 0 && !(Number.isFinite(ts[0]) && Number.isFinite(ts[n - 1]))) throw new Error('BUG: encodeSegment: non-finite timestamp');
  for (let i = 1; i < n; i++) {
    if (!(ts[i] > ts[i - 1])) throw new Error(`BUG: encodeSegment: timestamps not strictly increasing at row ${i}`);
  }
}

function writeHeader({ ts, fields, blockSizeUs }: SegmentInput, out: ByteWriter): void {
  const n = ts.length;
  const before = out.pos;
  out.u8(SEGMENT_VERSION);
  out.u8(0);
  out.u16(fields.length);
  out.u32(n);
  out.f64(n > 0 ? ts[0] : NaN);
  out.f64(n > 0 ? ts[n - 1] : NaN);
  out.f64(blockSizeUs);
  if (out.pos - before !== SEGMENT_HEADER_SIZE) throw new Error('BUG: segment header size');
  for (const name of fields) {
    const bytes = utf8.encode(name);
    if (bytes.length > 255) throw new Error(`BUG: encodeSegment: field name longer than 255 bytes: ${name.slice(0, 40)}…`);
    out.u8(bytes.length);
    out.bytes(bytes);
  }
}

/**
 * Classifies every column, plans predictors across the decimal ones, and writes the
 * non-decimal columns (in field order) followed by the decimal columns (in plan order).
 */
function writeColumns(values: Float64Array[], n: number, chunks: number[], out: ByteWriter): void {
  const fieldCount = values.length;
  const stride = n + 1;
  const mAll = mantissaScratch.get(stride * fieldCount);
  const presentAll = presentScratch.get(n * fieldCount);
  const classes: ColumnClass[] = [];
  const decimalFields: number[] = [];
  const inputs: PlanInput[] = [];
  for (let j = 0; j < fieldCount; j++) {
    const m = mAll.subarray(j * stride, (j + 1) * stride);
    const cls = classifyColumn(values[j], n, m, presentAll.subarray(j * n, (j + 1) * n));
    classes.push(cls);
    if (cls.kind === 'decimal') {
      decimalFields.push(j);
      inputs.push({ scale: cls.scale, m });
    } else {
      writeOtherColumn(j, cls, values[j], n, out);
    }
  }
  if (inputs.length === 0) return;
  const plan = planPredictors(inputs, n);
  for (const x of plan.order) {
    const field = decimalFields[x];
    const cls = classes[field];
    const p = plan.predictors[x];
    out.uvarint(field);
    out.u8(ColumnEncoding.Decimal);
    encodeDecimalColumn(
      {
        scale: cls.scale,
        base: cls.base,
        m: inputs[x].m,
        present: cls.hasAbsent ? presentAll.subarray(field * n, (field + 1) * n) : null,
        kind: p.kind,
        refA: p.a >= 0 ? decimalFields[p.a] : -1,
        refB: p.b >= 0 ? decimalFields[p.b] : -1,
        a: p.a >= 0 ? inputs[p.a].m : null,
        b: p.b >= 0 ? inputs[p.b].m : null,
        exclusive: p.exclusive,
      },
      chunks,
      out,
    );
  }
}

function writeOtherColumn(field: number, cls: ColumnClass, values: Float64Array, n: number, out: ByteWriter): void {
  out.uvarint(field);
  if (cls.kind === 'absent') return out.u8(ColumnEncoding.Absent);
  if (cls.kind === 'constant') {
    out.u8(ColumnEncoding.Constant);
    // Copy the bytes, not the number: keeps the exact bits.
    return out.bytes(new Uint8Array(values.buffer, values.byteOffset, 8));
  }
  out.u8(ColumnEncoding.Gorilla);
  encodeGorilla(values, n, out);
}
