import { BitReader } from './bit-reader.ts';
import { maxChunkRows } from './chunking.ts';
import { max2, min2, POW10 } from './bit-math.ts';
import { ByteReader } from './byte-reader.ts';
import { DecimalMode, MAX_SCALE, MAX_WIDTH, MIN_SCALE, PREDICTOR_REFS, Presence, PredictorKind, STEP_WIDTH } from './column-encoding.ts';
import { Float64Scratch, Uint8Scratch } from './scratch.ts';

const residualScratch = new Float64Scratch();
const presentScratch = new Uint8Scratch();

/** Where a decimal column decodes to. */
export interface DecimalTarget {
  /** receives filled mantissas (m[0] = base, m[i+1] = row i); length ≥ n + 1 */
  m: Float64Array;
  /** receives the values (NaN for absent rows); length ≥ n */
  out: Float64Array;
}

/**
 * Reads a decimal column body (from `scale` on) at `r` (docs/format/segment.md §5.1).
 * `mantissas(field)` returns the filled mantissas of an already decoded decimal column, or
 * null; a reference to anything else is corruption. Throws CorruptionError on malformed input.
 */
export function decodeDecimalColumn(
  r: ByteReader,
  chunks: readonly number[],
  mantissas: (field: number) => Float64Array | null,
  target: DecimalTarget,
): void {
  const scale = r.i8();
  if (scale < MIN_SCALE || scale > MAX_SCALE) r.fail(`decimal scale ${scale}`);
  const flags = r.u8();
  if (flags > 1) r.fail(`decimal column flags ${flags}`);
  const base = r.svarint();
  const kind = r.u8();
  if (kind > PredictorKind.Min) r.fail(`unknown predictor ${kind}`);
  const refs = PREDICTOR_REFS[kind];
  const a = refs >= 1 ? refColumn(r, mantissas) : target.m;
  const b = refs >= 2 ? refColumn(r, mantissas) : target.m;
  const hl = r.uvarint();
  r.need(hl, 'decimal chunk headers');
  const h = new ByteReader(r.buf, r.pos, r.pos + hl, r.key);
  r.pos += hl;
  const bl = r.uvarint();
  r.need(bl, 'decimal bits');
  const bits = new BitReader(r.buf, r.pos, bl, r.key);
  r.pos += bl;

  const m = target.m;
  let n = 0;
  for (const rows of chunks) n += rows;
  const present = flags & 1 ? presentScratch.get(n) : null;
  const res = residualScratch.get(maxChunkRows(chunks));
  m[0] = base;
  let s = 0;
  for (const rows of chunks) {
    const e = s + rows;
    const k = present ? readPresence(h, present, s, e) : rows;
    if (k === 0) m.fill(m[s], s + 1, e + 1);
    else decodeChunk(h, bits, { m, a, b, kind, present: k === rows ? null : present, res }, s, e, k);
    s = e;
  }
  if (h.pos !== h.end || bits.remaining >= 8) r.fail('decimal column has trailing bytes');
  toValues(m, n, scale, present, target.out);
}

function refColumn(r: ByteReader, mantissas: (field: number) => Float64Array | null): Float64Array {
  const field = r.uvarint();
  return mantissas(field) ?? r.fail(`predictor refers to field ${field}, which is not a decoded decimal column`);
}

/** Reads the presence byte (+ bitmap) of rows [s, e) into present[]; returns the present count. */
function readPresence(h: ByteReader, present: Uint8Array, s: number, e: number): number {
  const p = h.u8();
  if (p === Presence.All || p === Presence.None) {
    present.fill(p === Presence.All ? 1 : 0, s, e);
    return p === Presence.All ? e - s : 0;
  }
  if (p !== Presence.Bitmap) h.fail(`presence byte ${p}`);
  const bitmap = h.bytes((e - s + 7) >>> 3, 'presence bitmap');
  let k = 0;
  for (let i = s; i < e; i++) {
    const bit = (bitmap[(i - s) >>> 3] >>> ((i - s) & 7)) & 1;
    present[i] = bit;
    k += bit;
  }
  if (k === 0) h.fail('presence bitmap without present rows');
  return k;
}

interface ChunkState {
  m: Float64Array;
  a: Float64Array;
  b: Float64Array;
  kind: number;
  /** null when every row of the chunk is present */
  present: Uint8Array | null;
  res: Float64Array;
}

/** Decodes rows [s, e) of which k are present. */
function decodeChunk(h: ByteReader, bits: BitReader, st: ChunkState, s: number, e: number, k: number): void {
  const header = h.u8();
  const mode = header >>> 6;
  const width = header & 63;
  if (mode === DecimalMode.DeltaZigzag && width === STEP_WIDTH) return step(st, s, e, h.svarint());
  if (width > MAX_WIDTH) h.fail(`chunk width ${width}`);
  const byPred = mode === DecimalMode.PredZigzag || mode === DecimalMode.PredFor;
  if (byPred && st.kind === PredictorKind.None) h.fail('predictor mode without a predictor');
  const min = mode >= DecimalMode.DeltaFor ? h.svarint() : 0;
  if (mode >= DecimalMode.DeltaFor) bits.readValues(st.res, k, width);
  else bits.readZigzag(st.res, k, width);
  const kind = byPred ? st.kind : PredictorKind.None;
  if (st.present) sparse(st, kind, s, e, min);
  else dense(st, kind, s, e, min);
}

/** Step chunk: every present row equals the value before the chunk plus `delta`. */
function step(st: ChunkState, s: number, e: number, delta: number): void {
  const { m, present } = st;
  const v = m[s] + delta;
  let i = s;
  if (present) for (; !present[i]; i++) m[i + 1] = m[s];
  for (; i < e; i++) m[i + 1] = v;
}

/**
 * Reconstructs mantissas of a fully present chunk. One loop per predictor kind on purpose:
 * a switch inside the loop would cost a branch per value on the hottest decode path.
 */
function dense(st: ChunkState, kind: number, s: number, e: number, min: number): void {
  const { m, a, b, res } = st;
  switch (kind) {
    case PredictorKind.None: {
      let prev = m[s];
      for (let i = s; i < e; i++) m[i + 1] = prev = prev + (res[i - s] + min);
      return;
    }
    case PredictorKind.Zero:
      for (let i = s; i < e; i++) m[i + 1] = res[i - s] + min;
      return;
    case PredictorKind.Ref:
      for (let i = s; i < e; i++) m[i + 1] = a[i + 1] + (res[i - s] + min);
      return;
    case PredictorKind.RefLag:
      for (let i = s; i < e; i++) m[i + 1] = a[i] + (res[i - s] + min);
      return;
    case PredictorKind.Max:
      for (let i = s; i < e; i++) m[i + 1] = max2(a[i + 1], b[i + 1]) + (res[i - s] + min);
      return;
    default:
      for (let i = s; i < e; i++) m[i + 1] = min2(a[i + 1], b[i + 1]) + (res[i - s] + min);
  }
}

/** Reconstructs a chunk with absent rows (rare: a general loop is fine). */
function sparse(st: ChunkState, kind: number, s: number, e: number, min: number): void {
  const { m, a, b, res, present } = st;
  let k = 0;
  for (let i = s; i < e; i++) {
    if (!present![i]) {
      m[i + 1] = m[i];
      continue;
    }
    let p: number;
    if (kind === PredictorKind.None) p = m[i];
    else if (kind === PredictorKind.Zero) p = 0;
    else if (kind === PredictorKind.Ref) p = a[i + 1];
    else if (kind === PredictorKind.RefLag) p = a[i];
    else if (kind === PredictorKind.Max) p = max2(a[i + 1], b[i + 1]);
    else p = min2(a[i + 1], b[i + 1]);
    m[i + 1] = p + (res[k++] + min);
  }
}

/** value = m / 10^scale (or m · 10^-scale): the exact expression the encoder verified. */
function toValues(m: Float64Array, n: number, scale: number, present: Uint8Array | null, out: Float64Array): void {
  if (scale >= 0) {
    const p = POW10[scale];
    for (let i = 0; i < n; i++) out[i] = m[i + 1] / p;
  } else {
    const p = POW10[-scale];
    for (let i = 0; i < n; i++) out[i] = m[i + 1] * p;
  }
  if (present) for (let i = 0; i < n; i++) if (!present[i]) out[i] = NaN;
}
