import { BitWriter } from './bit-writer.ts';
import { maxChunkRows } from './chunking.ts';
import { max2, min2, bitLength, zigzag } from './bit-math.ts';
import { ByteWriter, svarintLength } from './byte-writer.ts';
import { DecimalMode, Presence, PredictorKind, STEP_WIDTH } from './column-encoding.ts';
import { Float64Scratch } from './scratch.ts';

/** One decimal column ready to encode (see decimal-scale.ts and predictor-plan.ts). */
export interface DecimalColumn {
  scale: number;
  base: number;
  /** filled mantissas: m[0] = base, m[i+1] = row i */
  m: Float64Array;
  /** 1/0 per row when the column has absent rows, else null */
  present: Uint8Array | null;
  kind: PredictorKind;
  /** field indexes of the predictor's references (-1 = unused) */
  refA: number;
  refB: number;
  /** filled mantissas of the referenced columns (null = unused) */
  a: Float64Array | null;
  b: Float64Array | null;
  /** skip delta modes (the planner found the predictor never worse); ignored for kind None */
  exclusive: boolean;
}

const headers = new ByteWriter(256);
const bits = new BitWriter(4096);
const deltaScratch = new Float64Scratch();
const predScratch = new Float64Scratch();

// Statistics of the current chunk, set by the residual functions (module state instead of a
// returned object: this runs once per chunk per column and must not allocate).
/** the first delta residual of the chunk */
let first = 0;
/** range of the other delta residuals (±Infinity when there are none) */
let restMin = 0;
let restMax = 0;
/** range of the predictor residuals */
let predMin = 0;
let predMax = 0;

/**
 * Appends a decimal column body (from `scale` on; the caller wrote fieldIndex and tag) to `out`,
 * chunk by chunk (docs/format/segment.md §5.1). Per chunk it keeps the cheapest of delta or
 * predictor residuals, zig-zag or frame-of-reference, or a one-jump "step".
 */
export function encodeDecimalColumn(col: DecimalColumn, chunks: readonly number[], out: ByteWriter): void {
  out.u8(col.scale & 0xff);
  out.u8(col.present ? 1 : 0);
  out.svarint(col.base);
  out.u8(col.kind);
  if (col.refA >= 0) out.uvarint(col.refA);
  if (col.refB >= 0) out.uvarint(col.refB);
  headers.reset();
  bits.reset();
  const maxRows = maxChunkRows(chunks);
  const rd = deltaScratch.get(maxRows);
  const rp = predScratch.get(maxRows);
  const hasPred = col.kind !== PredictorKind.None;
  const predOnly = hasPred && col.exclusive;
  let s = 0;
  for (const rows of chunks) {
    const e = s + rows;
    const k = col.present ? presenceHeader(col.present, s, e) : rows;
    if (k === rows) {
      if (!predOnly) deltaResiduals(col.m, s, e, rd);
      if (hasPred) predResiduals(col, s, e, rp);
    } else if (k > 0) {
      gatheredResiduals(col, s, e, rd, rp);
    }
    if (k > 0) encodeChunk(predOnly ? null : rd, hasPred ? rp : null, k);
    s = e;
  }
  out.uvarint(headers.pos);
  out.bytes(headers.buf.subarray(0, headers.pos));
  const len = bits.flush();
  out.uvarint(len);
  out.bytes(bits.buf.subarray(0, len));
}

/** Writes the chunk's presence byte (and bitmap); returns the number of present rows. */
function presenceHeader(present: Uint8Array, s: number, e: number): number {
  let k = 0;
  for (let i = s; i < e; i++) k += present[i];
  if (k === e - s) headers.u8(Presence.All);
  else if (k === 0) headers.u8(Presence.None);
  else {
    headers.u8(Presence.Bitmap);
    for (let i = s; i < e; i += 8) {
      let byte = 0;
      for (let j = 0; j < 8 && i + j < e; j++) byte |= present[i + j] << j;
      headers.u8(byte);
    }
  }
  return k;
}

/** Delta residuals of rows [s, e) into rd[0, e-s), with their statistics. */
function deltaResiduals(m: Float64Array, s: number, e: number, rd: Float64Array): void {
  rd[0] = first = m[s + 1] - m[s];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = s + 1; i < e; i++) {
    const r = m[i + 1] - m[i];
    rd[i - s] = r;
    if (r < lo) lo = r;
    if (r > hi) hi = r;
  }
  restMin = lo;
  restMax = hi;
}

/**
 * Predictor residuals of rows [s, e) into rp[0, e-s), with their range. One loop per predictor
 * kind on purpose: a switch inside the loop costs a branch per value on the hot path.
 */
function predResiduals(col: DecimalColumn, s: number, e: number, rp: Float64Array): void {
  const m = col.m;
  const a = col.a ?? m;
  const b = col.b ?? m;
  let lo = Infinity;
  let hi = -Infinity;
  switch (col.kind) {
    case PredictorKind.Zero:
      for (let i = s; i < e; i++) {
        const r = m[i + 1];
        rp[i - s] = r;
        if (r < lo) lo = r;
        if (r > hi) hi = r;
      }
      break;
    case PredictorKind.Ref:
      for (let i = s; i < e; i++) {
        const r = m[i + 1] - a[i + 1];
        rp[i - s] = r;
        if (r < lo) lo = r;
        if (r > hi) hi = r;
      }
      break;
    case PredictorKind.RefLag:
      for (let i = s; i < e; i++) {
        const r = m[i + 1] - a[i];
        rp[i - s] = r;
        if (r < lo) lo = r;
        if (r > hi) hi = r;
      }
      break;
    case PredictorKind.Max:
      for (let i = s; i < e; i++) {
        const r = m[i + 1] - max2(a[i + 1], b[i + 1]);
        rp[i - s] = r;
        if (r < lo) lo = r;
        if (r > hi) hi = r;
      }
      break;
    default:
      for (let i = s; i < e; i++) {
        const r = m[i + 1] - min2(a[i + 1], b[i + 1]);
        rp[i - s] = r;
        if (r < lo) lo = r;
        if (r > hi) hi = r;
      }
  }
  predMin = lo;
  predMax = hi;
}

/** Both residuals for the present rows of [s, e) only (m is forward-filled, so m[i] is the last present value). */
function gatheredResiduals(col: DecimalColumn, s: number, e: number, rd: Float64Array, rp: Float64Array): void {
  const { m, present, kind } = col;
  let k = 0;
  for (let i = s; i < e; i++) {
    if (!present![i]) continue;
    rd[k] = m[i + 1] - m[i];
    if (kind !== PredictorKind.None) rp[k] = m[i + 1] - predictAt(col, i);
    k++;
  }
  first = rd[0];
  restMin = predMin = Infinity;
  restMax = predMax = -Infinity;
  for (let j = 1; j < k; j++) {
    restMin = Math.min(restMin, rd[j]);
    restMax = Math.max(restMax, rd[j]);
  }
  for (let j = 0; j < k; j++) {
    predMin = Math.min(predMin, rp[j]);
    predMax = Math.max(predMax, rp[j]);
  }
}

/** p[i] of the column's predictor (general form, for the rare chunks with absent rows). */
function predictAt(col: DecimalColumn, i: number): number {
  const a = col.a!;
  const b = col.b!;
  switch (col.kind) {
    case PredictorKind.Zero:
      return 0;
    case PredictorKind.Ref:
      return a[i + 1];
    case PredictorKind.RefLag:
      return a[i];
    case PredictorKind.Max:
      return max2(a[i + 1], b[i + 1]);
    default:
      return min2(a[i + 1], b[i + 1]);
  }
}

/**
 * Picks the cheapest coding of k residuals (bits, header varints included) and writes it.
 * `rd` (delta residuals) or `rp` (predictor residuals) is null when not considered.
 */
function encodeChunk(rd: Float64Array | null, rp: Float64Array | null, k: number): void {
  let mode = -1;
  let width = 0;
  let cost = Infinity;
  let min = 0;
  let restZero = false;
  if (rd) {
    restZero = k === 1 || (restMin === 0 && restMax === 0);
    const dmin = Math.min(first, restMin);
    const dmax = Math.max(first, restMax);
    mode = DecimalMode.DeltaZigzag;
    width = bitLength(Math.max(zigzag(dmin), zigzag(dmax)));
    cost = k * width;
    const w = bitLength(dmax - dmin);
    const c = k * w + 8 * svarintLength(dmin);
    if (c < cost) {
      mode = DecimalMode.DeltaFor;
      width = w;
      cost = c;
      min = dmin;
    }
  }
  if (rp) {
    let w = bitLength(Math.max(zigzag(predMin), zigzag(predMax)));
    let c = k * w;
    // Ties keep the lower mode: delta zig-zag (0) < pred zig-zag (1) < delta FOR (2) < pred FOR (3).
    if (c < cost || (c === cost && mode === DecimalMode.DeltaFor)) {
      mode = DecimalMode.PredZigzag;
      width = w;
      cost = c;
      min = 0;
    }
    w = bitLength(predMax - predMin);
    c = k * w + 8 * svarintLength(predMin);
    if (c < cost) {
      mode = DecimalMode.PredFor;
      width = w;
      cost = c;
      min = predMin;
    }
  }
  if (restZero && 8 * svarintLength(first) < cost) {
    headers.u8((DecimalMode.DeltaZigzag << 6) | STEP_WIDTH);
    headers.svarint(first);
    return;
  }
  headers.u8((mode << 6) | width);
  if (mode >= DecimalMode.DeltaFor) headers.svarint(min);
  if (width === 0) return;
  const r = (mode === DecimalMode.DeltaZigzag || mode === DecimalMode.DeltaFor ? rd : rp)!;
  if (mode >= DecimalMode.DeltaFor) bits.writeOffset(r, 0, k, width, min);
  else bits.writeZigzag(r, 0, k, width);
}
