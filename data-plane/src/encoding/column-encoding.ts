/**
 * Tag bytes and limits of segment format version 1 (docs/format/segment.md). Changing any value
 * here changes the stored format: bump SEGMENT_VERSION and keep a reader for the old one.
 */

/** Version byte at offset 0 of every segment. */
export const SEGMENT_VERSION = 1;

/** Size of the fixed segment header (version … blockSizeUs); locked by a test. */
export const SEGMENT_HEADER_SIZE = 32;

/** Tag byte of a field column (the timestamp column has its own tags, 16–18). */
export const ColumnEncoding = {
  /** every value NaN; no body */
  Absent: 1,
  /** every value has the same bits; body = one f64 */
  Constant: 2,
  /** integer mantissas × 10^-scale with predictors and per-chunk bit widths */
  Decimal: 3,
  /** Gorilla XOR of the raw float64 bits (fallback) */
  Gorilla: 4,
  /** timestamp column of 0 or 1 rows: nothing beyond the header's minTs */
  TsNone: 16,
  /** timestamps as deltas in a GCD unit, delta-of-delta or FOR per chunk */
  TsDelta: 17,
  /** timestamps as raw f64 (non-integral, or spanning ≥ 2^51 µs) */
  TsRaw: 18,
} as const;
export type ColumnEncoding = (typeof ColumnEncoding)[keyof typeof ColumnEncoding];

/** The per-segment predictor of a decimal column (which value "pred" modes subtract). */
export const PredictorKind = {
  /** no predictor: only delta modes are used */
  None: 0,
  /** p[i] = 0: raw mantissas (volumes) */
  Zero: 1,
  /** p[i] = a[i] */
  Ref: 2,
  /** p[i] = a[i-1] */
  RefLag: 3,
  /** p[i] = max(a[i], b[i]) */
  Max: 4,
  /** p[i] = min(a[i], b[i]) */
  Min: 5,
} as const;
export type PredictorKind = (typeof PredictorKind)[keyof typeof PredictorKind];

/** Number of column refs each predictor kind carries. */
export const PREDICTOR_REFS: readonly number[] = [0, 0, 1, 1, 2, 2];

/** Chunk modes of decimal columns (high 2 bits of the chunk header byte). */
export const DecimalMode = { DeltaZigzag: 0, PredZigzag: 1, DeltaFor: 2, PredFor: 3 } as const;

/** Chunk modes of the timestamp column. */
export const TsMode = { DodZigzag: 0, DeltaFor: 1 } as const;

/** Width code meaning "step" (mode 0 only): one svarint residual, the rest zero. */
export const STEP_WIDTH = 63;

/** Largest bit width a residual can need (zig-zag or FOR range of values below 2^53). */
export const MAX_WIDTH = 54;

/** Decimal mantissas stay below this magnitude so residuals and zig-zags stay exact in float64. */
export const MANTISSA_LIMIT = 2 ** 51;

/** Timestamp spans at or beyond this use TsRaw (delta arithmetic must stay exact). */
export const TS_SPAN_LIMIT = 2 ** 51;

/** Decimal scale range: value = mantissa / 10^scale (negative: mantissa · 10^-scale). */
export const MIN_SCALE = -9;
export const MAX_SCALE = 9;

/** Presence byte of a chunk in a column with absent rows. */
export const Presence = { All: 0, None: 1, Bitmap: 2 } as const;
