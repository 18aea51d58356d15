import { BitWriter } from './bit-writer.ts';
import { bitLength, zigzag } from './bit-math.ts';
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
  /** predictions p[i] for kind ≠ None, else null */
  pred: Float64Array | null;
}

const headers = new ByteWriter(256);
const bits = new BitWriter(4096);
const deltaScratch = new Float64Scratch();
const predScratch = new Float64Scratch();

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
  const maxRows = Math.max(0, ...chunks);
  const rd = deltaScratch.get(maxRows);
  const rp = predScratch.get(maxRows);
  let s = 0;
  for (const rows of chunks) {
    const e = s + rows;
    let k = rows;
    if (col.present) k = presenceHeader(col.present, s, e);
    if (k === rows) residualsDense(col, s, e, rd, rp);
    else if (k > 0) residualsGathered(col, s, e, rd, rp);
    if (k > 0) encodeChunk(rd, col.pred ? rp : null, k);
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

/** Delta and predictor residuals of rows [s, e) into rd/rp[0, e-s). */
function residualsDense(col: DecimalColumn, s: number, e: number, rd: Float64Array, rp: Float64Array): void {
  const m = col.m;
  for (let i = s; i < e; i++) rd[i - s] = m[i + 1] - m[i];
  const p = col.pred;
  if (p) for (let i = s; i < e; i++) rp[i - s] = m[i + 1] - p[i];
}

/** Same for the present rows of [s, e) only (m is forward-filled, so m[i] is the last present value). */
function residualsGathered(col: DecimalColumn, s: number, e: number, rd: Float64Array, rp: Float64Array): void {
  const { m, pred, present } = col;
  let k = 0;
  for (let i = s; i < e; i++) {
    if (!present![i]) continue;
    rd[k] = m[i + 1] - m[i];
    if (pred) rp[k] = m[i + 1] - pred[i];
    k++;
  }
}

/** Picks the cheapest coding of k residuals (bits, header varints included) and writes it. */
function encodeChunk(rd: Float64Array, rp: Float64Array | null, k: number): void {
  const first = rd[0];
  let rmin = Infinity;
  let rmax = -Infinity;
  for (let i = 1; i < k; i++) {
    const r = rd[i];
    if (r < rmin) rmin = r;
    if (r > rmax) rmax = r;
  }
  const restZero = k === 1 || (rmin === 0 && rmax === 0);
  const dmin = Math.min(first, rmin);
  const dmax = Math.max(first, rmax);
  let mode: number = DecimalMode.DeltaZigzag;
  let width = bitLength(Math.max(zigzag(dmin), zigzag(dmax)));
  let cost = k * width;
  let min = 0;
  let pmin = 0;
  let pmax = 0;
  if (rp) {
    pmin = Infinity;
    pmax = -Infinity;
    for (let i = 0; i < k; i++) {
      const r = rp[i];
      if (r < pmin) pmin = r;
      if (r > pmax) pmax = r;
    }
    const w = bitLength(Math.max(zigzag(pmin), zigzag(pmax)));
    if (k * w < cost) {
      mode = DecimalMode.PredZigzag;
      width = w;
      cost = k * w;
    }
  }
  let w = bitLength(dmax - dmin);
  let c = k * w + 8 * svarintLength(dmin);
  if (c < cost) {
    mode = DecimalMode.DeltaFor;
    width = w;
    cost = c;
    min = dmin;
  }
  if (rp) {
    w = bitLength(pmax - pmin);
    c = k * w + 8 * svarintLength(pmin);
    if (c < cost) {
      mode = DecimalMode.PredFor;
      width = w;
      cost = c;
      min = pmin;
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
  const r = mode === DecimalMode.DeltaZigzag || mode === DecimalMode.DeltaFor ? rd : rp!;
  // Residuals become the unsigned values to pack, in place.
  if (mode >= DecimalMode.DeltaFor) for (let i = 0; i < k; i++) r[i] -= min;
  else for (let i = 0; i < k; i++) r[i] = zigzag(r[i]);
  bits.writeValues(r, 0, k, width);
}
