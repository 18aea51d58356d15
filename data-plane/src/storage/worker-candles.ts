import { partialCandlesOfSlices } from '../query/candles.ts';
import type { CandleItem, CandleTaskResult } from './codec-tasks.ts';
import { decodeSegmentValue } from './segment-value.ts';

/**
 * Runs a 'candles' codec task (in a codec worker): decodes each item's segments, aggregates
 * them in place into one partial per item. Returns the result and the array buffers to move
 * back to the caller: the partials' arrays, and the decoded segments of items with keepRows
 * (each segment's columns share one fresh buffer, see segment-decoder.ts). Throws
 * CorruptionError naming the key of a damaged segment.
 */
export function candlePartialsForWorker(items: CandleItem[]): { result: CandleTaskResult; buffers: ArrayBuffer[] } {
  const buffers = new Set<ArrayBuffer>();
  const result: CandleTaskResult = items.map((item) => {
    const rows = item.values.map((v, i) => decodeSegmentValue(v, item.keys[i]));
    const partial = partialCandlesOfSlices(
      rows.map((r) => ({ symbol: item.query.symbol, ts: r.ts, fields: r.fields, values: r.values })),
      item.query,
    );
    // The partial's arrays are fresh (bucketRows, accumulate), never views of the segments.
    buffers.add(partial.starts.buffer as ArrayBuffer);
    for (const acc of partial.accs) {
      buffers.add(acc.a.buffer as ArrayBuffer);
      buffers.add(acc.b.buffer as ArrayBuffer);
    }
    if (!item.keepRows) return { partial, rows: null };
    for (const r of rows) buffers.add(r.ts.buffer as ArrayBuffer);
    return { partial, rows };
  });
  return { result, buffers: [...buffers] };
}
