/**
 * The in-memory data model shared by every layer (parsers, engine, queries, HTTP).
 *
 * Units: timestamps are integer microseconds since the Unix epoch held in float64 (exact up to
 * 2^53 µs ≈ year 2255). Field values are float64; `NaN` marks "this row has no value for this
 * field" (writers may not send NaN or ±Inf: the parsers reject them, so NaN inside the engine
 * always means absent).
 */

/** Symbol charset and length from DESIGN.md §3. */
export const SYMBOL_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** SYMBOL_PATTERN.test(symbol) as a character loop: for checks once per series on hot paths
 *  (a regular expression call per series was ~6% of decoding a peer's record). */
export function isValidSymbol(symbol: string): boolean {
  const n = symbol.length;
  if (n === 0 || n > 128) return false;
  for (let i = 0; i < n; i++) {
    const c = symbol.charCodeAt(i);
    // a-z, A-Z, 0-9 and ':' (0x30–0x3a), '.', '_', '-'
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x3a) || c === 0x2e || c === 0x5f || c === 0x2d)) return false;
  }
  return true;
}

/** Field names: same charset as symbols, at most 64 chars; `timestamp` and `symbol` are reserved. */
export const FIELD_PATTERN = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
export const RESERVED_FIELDS = new Set(['timestamp', 'time', 'symbol']);

/** Rows of one series in columnar form. All arrays have the same length. */
export interface SeriesRows {
  symbol: string;
  /** µs since epoch, integral; not necessarily sorted or unique (the engine sorts, last wins). */
  ts: Float64Array;
  /** field name → values; NaN = absent in that row. */
  columns: Map<string, Float64Array>;
}

/** A parsed write request: rows grouped by series, in arrival order within each series. */
export interface WriteBatch {
  series: SeriesRows[];
  /** total number of rows over all series */
  rowCount: number;
}

/** Timestamp precision of API inputs/outputs. */
export type Precision = 's' | 'ms' | 'us' | 'ns';

/** Microseconds per unit of each precision (ns is 1/1000: ns inputs are truncated to µs). */
export const US_PER_UNIT: Record<Precision, number> = { s: 1e6, ms: 1e3, us: 1, ns: 1e-3 };

/** Sorted, de-duplicated rows of one series read back from the engine. */
export interface SeriesData {
  symbol: string;
  ts: Float64Array;
  /** field names in a stable order (the series schema order) */
  fields: string[];
  /** one array per entry of `fields`; NaN = absent */
  values: Float64Array[];
}
