import type { CandleQuery } from '../engine-api.ts';
import { partialCandles, type CandlePartial } from '../query/candles.ts';
import { mergeLayers, type SortedRows } from './sorted-rows.ts';

/**
 * Candle partial over decoded, disjoint segments of one series (runs in a codec worker, so a
 * long range is decoded and aggregated on every core and only the small partial comes back).
 */
export function mergePartialsForWorker(segments: SortedRows[], q: CandleQuery): CandlePartial {
  const rows = mergeLayers(segments);
  return partialCandles({ symbol: q.symbol, ts: rows.ts, fields: rows.fields, values: rows.values }, q);
}
