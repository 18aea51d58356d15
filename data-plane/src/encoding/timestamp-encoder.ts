import { BitWriter } from './bit-writer.ts';
import { maxChunkRows } from './chunking.ts';
import { bitLength, zigzag } from './bit-math.ts';
import { ByteWriter, svarintLength, uvarintLength } from './byte-writer.ts';
import { ColumnEncoding, STEP_WIDTH, TS_SPAN_LIMIT, TsMode } from './column-encoding.ts';
import { Float64Scratch } from './scratch.ts';

const deltaScratch = new Float64Scratch();
const residualScratch = new Float64Scratch();
const headers = new ByteWriter(256);
const bits = new BitWriter(1024);

/**
 * Appends the timestamp column of a segment (docs/format/segment.md §4) to `out`.
 * `ts[0, n)` are strictly increasing µs; `chunks` are the segment's chunk row counts.
 * Row 0 is not written (the fixed header holds it as minTs).
 */
export function encodeTimestamps(ts: Float64Array, n: number, chunks: readonly number[], out: ByteWriter): void {
  if (n <= 1) return out.u8(ColumnEncoding.TsNone);
  const d = deltaScratch.get(n);
  const unit = unitDeltas(ts, n, d);
  if (unit === 0) return writeRaw(ts, n, out);
  out.u8(ColumnEncoding.TsDelta);
  out.uvarint(unit);
  out.uvarint(d[1]);
  headers.reset();
  bits.reset();
  const u = residualScratch.get(maxChunkRows(chunks) + 1);
  let start = 0;
  for (const rows of chunks) {
    // Row 0 of the segment has no residual; d[i] is the delta ending at row i.
    encodeChunk(d, Math.max(start, 1), start + rows, u);
    start += rows;
  }
  out.uvarint(headers.pos);
  out.bytes(headers.buf.subarray(0, headers.pos));
  const len = bits.flush();
  out.uvarint(len);
  out.bytes(bits.buf.subarray(0, len));
}

/**
 * Fills `d[1, n)` with deltas in units of their GCD and returns the unit; returns 0 when the
 * timestamps need the raw fallback (non-integral, or a span that float64 deltas could round).
 */
function unitDeltas(ts: Float64Array, n: number, d: Float64Array): number {
  if (!(ts[n - 1] - ts[0] < TS_SPAN_LIMIT) || !Number.isInteger(ts[0])) return 0;
  let g = 0;
  let prev = -1;
  for (let i = 1; i < n; i++) {
    // Check the timestamps, not the deltas: a delta of a fractional timestamp can round to an integer.
    if (!Number.isInteger(ts[i])) return 0;
    const x = ts[i] - ts[i - 1];
    d[i] = x;
    // Equal consecutive deltas (the common case) cannot change the GCD: skip the modulo.
    if (x !== prev) {
      g = gcd(x, g);
      prev = x;
    }
  }
  if (g !== 1) for (let i = 1; i < n; i++) d[i] /= g;
  return g;
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Chooses the cheapest of delta-of-delta (or step) and delta FOR for rows [s, e). */
function encodeChunk(d: Float64Array, s: number, e: number, u: Float64Array): void {
  if (e <= s) return headers.u8(0);
  let prev = s === 1 ? d[1] : d[s - 1];
  const first = d[s] - prev;
  let dodMax = zigzag(first);
  let restZero = true;
  let min = d[s];
  let max = min;
  prev = d[s];
  for (let i = s + 1; i < e; i++) {
    const x = d[i];
    const dod = x - prev;
    prev = x;
    if (dod !== 0) {
      restZero = false;
      const z = zigzag(dod);
      if (z > dodMax) dodMax = z;
    }
    if (x < min) min = x;
    else if (x > max) max = x;
  }
  const n = e - s;
  const dodWidth = bitLength(dodMax);
  const dodCost = n * dodWidth;
  const stepCost = restZero ? 8 * svarintLength(first) : Infinity;
  const forWidth = bitLength(max - min);
  const forCost = n * forWidth + 8 * uvarintLength(min);
  if (dodCost <= stepCost && dodCost <= forCost) {
    headers.u8((TsMode.DodZigzag << 6) | dodWidth);
    if (dodWidth === 0) return;
    let p = s === 1 ? d[1] : d[s - 1];
    for (let i = s; i < e; i++) {
      u[i - s] = d[i] - p;
      p = d[i];
    }
    bits.writeZigzag(u, 0, n, dodWidth);
  } else if (stepCost <= forCost) {
    headers.u8((TsMode.DodZigzag << 6) | STEP_WIDTH);
    headers.svarint(first);
  } else {
    headers.u8((TsMode.DeltaFor << 6) | forWidth);
    headers.uvarint(min);
    bits.writeOffset(d, s, e, forWidth, min);
  }
}

function writeRaw(ts: Float64Array, n: number, out: ByteWriter): void {
  out.u8(ColumnEncoding.TsRaw);
  for (let i = 1; i < n; i++) out.f64(ts[i]);
}
