import { ByteReader } from './byte-reader.ts';
import { ColumnEncoding, PREDICTOR_REFS, PredictorKind } from './column-encoding.ts';
import { decodeSegmentObserved } from './segment-decoder.ts';
import { readSegmentHeader } from './segment-header.ts';

/** One field column as stored. */
export interface ColumnLayout {
  field: string;
  encoding: 'absent' | 'constant' | 'decimal' | 'gorilla';
  /** bytes of the column, prologue included */
  bytes: number;
  /** decimal columns: the scale, predictor and the fields it reads */
  scale?: number;
  predictor?: keyof typeof PredictorKind;
  refs?: string[];
  hasAbsent?: boolean;
}

/** Where a segment's bytes go: for tests, benchmarks and debugging tools. */
export interface SegmentLayout {
  totalBytes: number;
  /** fixed header + field names */
  headerBytes: number;
  directoryBytes: number;
  chunkCount: number;
  timestampBytes: number;
  /** in stored (encode) order */
  columns: ColumnLayout[];
}

const ENCODING_NAME: Record<number, ColumnLayout['encoding']> = {
  [ColumnEncoding.Absent]: 'absent',
  [ColumnEncoding.Constant]: 'constant',
  [ColumnEncoding.Decimal]: 'decimal',
  [ColumnEncoding.Gorilla]: 'gorilla',
};
const PREDICTOR_NAME = Object.fromEntries(Object.entries(PredictorKind).map(([k, v]) => [v, k])) as Record<number, keyof typeof PredictorKind>;

/**
 * Decodes a segment (so it is fully verified) and reports its layout: bytes per part, and each
 * column's encoding, scale and predictor. Throws CorruptionError like decodeSegment.
 */
export function inspectSegment(bytes: Uint8Array, key?: string): SegmentLayout {
  const h = readSegmentHeader(bytes, key);
  const layout: SegmentLayout = { totalBytes: bytes.length, headerBytes: h.bodyStart, directoryBytes: 0, chunkCount: 0, timestampBytes: 0, columns: [] };
  decodeSegmentObserved(bytes, key, ({ part, field, start, end }) => {
    if (part === 'directory') {
      layout.directoryBytes = end - start;
      layout.chunkCount = new ByteReader(bytes, start, end).uvarint();
    } else if (part === 'timestamps') {
      layout.timestampBytes = end - start;
    } else {
      layout.columns.push(describeColumn(bytes, start, end, h.fields));
    }
  });
  return layout;
}

function describeColumn(bytes: Uint8Array, start: number, end: number, fields: string[]): ColumnLayout {
  const r = new ByteReader(bytes, start, end);
  const field = fields[r.uvarint()];
  const tag = r.u8();
  const col: ColumnLayout = { field, encoding: ENCODING_NAME[tag], bytes: end - start };
  if (tag !== ColumnEncoding.Decimal) return col;
  col.scale = r.i8();
  col.hasAbsent = (r.u8() & 1) === 1;
  r.svarint();
  const kind = r.u8();
  col.predictor = PREDICTOR_NAME[kind];
  col.refs = [];
  for (let i = 0; i < PREDICTOR_REFS[kind]; i++) col.refs.push(fields[r.uvarint()]);
  return col;
}
