import { BitReader } from './bit-reader.ts';
import { maxChunkRows } from './chunking.ts';
import { ByteReader } from './byte-reader.ts';
import { ColumnEncoding, MAX_WIDTH, STEP_WIDTH, TsMode } from './column-encoding.ts';
import { Float64Scratch } from './scratch.ts';

const residualScratch = new Float64Scratch();

/**
 * Reads the timestamp column at `r` into `out[0, n)` (docs/format/segment.md §4).
 * `minTs` is row 0 (from the fixed header). Throws CorruptionError on malformed input.
 */
export function decodeTimestamps(r: ByteReader, n: number, minTs: number, chunks: readonly number[], out: Float64Array): void {
  const tag = r.u8();
  if (n > 0) out[0] = minTs;
  if (tag === ColumnEncoding.TsNone) {
    if (n > 1) r.fail(`timestamp column says "none" for ${n} rows`);
    return;
  }
  if (n <= 1) r.fail(`timestamp column tag ${tag} for ${n} rows`);
  if (tag === ColumnEncoding.TsRaw) return readRaw(r, n, out);
  if (tag !== ColumnEncoding.TsDelta) r.fail(`unknown timestamp encoding ${tag}`);
  const unit = r.uvarint();
  let prevDelta = r.uvarint();
  const hl = r.uvarint();
  r.need(hl, 'timestamp chunk headers');
  const h = new ByteReader(r.buf, r.pos, r.pos + hl, r.key);
  r.pos += hl;
  const bl = r.uvarint();
  r.need(bl, 'timestamp bits');
  const bits = new BitReader(r.buf, r.pos, bl, r.key);
  r.pos += bl;
  const res = residualScratch.get(maxChunkRows(chunks));
  let t = minTs;
  let start = 0;
  for (const rows of chunks) {
    const s = Math.max(start, 1);
    const e = start + rows;
    start = e;
    const m = e - s;
    const header = h.u8();
    const mode = header >>> 6;
    const width = header & 63;
    if (mode === TsMode.DodZigzag && width === STEP_WIDTH) {
      if (m > 0) prevDelta += h.svarint();
      const step = prevDelta * unit;
      for (let i = s; i < e; i++) out[i] = t += step;
      continue;
    }
    if (width > MAX_WIDTH) h.fail(`timestamp chunk width ${width}`);
    if (mode === TsMode.DodZigzag) {
      bits.readZigzag(res, m, width);
      for (let k = 0; k < m; k++) {
        prevDelta += res[k];
        out[s + k] = t += prevDelta * unit;
      }
    } else if (mode === TsMode.DeltaFor) {
      const min = h.uvarint();
      bits.readValues(res, m, width);
      for (let k = 0; k < m; k++) out[s + k] = t += (prevDelta = min + res[k]) * unit;
    } else {
      h.fail(`unknown timestamp chunk mode ${mode}`);
    }
  }
  if (h.pos !== h.end || bits.remaining >= 8) r.fail('timestamp column has trailing bytes');
}

function readRaw(r: ByteReader, n: number, out: Float64Array): void {
  const bytes = r.bytes((n - 1) * 8, 'raw timestamps');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 1; i < n; i++) out[i] = view.getFloat64((i - 1) * 8, true);
}
