import type { CandleQuery, CandleResult } from '../engine-api.ts';
import { buildCandles, mergeCandlePartials, partialCandles, type CandlePartial } from '../query/candles.ts';
import type { Engine } from './engine.ts';
import type { KvEntry } from './kv-store.ts';
import { cacheKey as cacheKeyOf, keyName } from './segment-reader.ts';
import { segmentKeyTs } from './keys.ts';
import { emptyRows, mergeLayers, sliceRows, type SortedRows } from './sorted-rows.ts';

/** Uncached segments per worker task when aggregating in the pool. */
const SEGMENTS_PER_TASK = 24;
/** Below this many uncached segments everything is aggregated on the calling thread. */
const POOL_MIN_SEGMENTS = 8;

/**
 * Candles of one series. Short ranges: read rows, aggregate here. Long ranges: uncached stored
 * segments are decoded and aggregated inside the codec workers (both cores), cached ones and
 * the in-memory layers here; the mergeable partials are then combined. Segments that overlap
 * rows still in memory are merged with them first, so an upserted row is counted once.
 */
export async function runCandles(engine: Engine, q: CandleQuery): Promise<CandleResult> {
  const st = engine.seriesState(q.symbol);
  if (!st || q.end <= q.start) {
    const rows = emptyRows(st?.fields ?? []);
    return buildCandles({ symbol: q.symbol, ts: rows.ts, fields: rows.fields, values: rows.values }, q);
  }
  // Captured synchronously together (consistent view; see Engine).
  const memory = [...st.sealingSorted(), st.head.sorted()].map((r) => sliceRows(r, q.start, q.end)).filter((r) => r.ts.length);
  const it = engine.reader.openRange(st.segmentPrefix, q.start);
  const entries = await engine.reader.collect(it, q.end);

  const uncached = entries.filter((e) => !engine.cache?.has(cacheKeyOf(e)));
  if (uncached.length < POOL_MIN_SEGMENTS) {
    const stored = (await engine.reader.decodeAll(entries)).map((r) => sliceRows(r, q.start, q.end));
    if (memory.length === 0 && stored.length > 1) {
      // Stored segments are disjoint in time: aggregate each where it lies (views, no copy) and
      // combine the partials, instead of first concatenating every row into new arrays.
      const parts = stored.map((r) => partialCandles({ symbol: q.symbol, ts: r.ts, fields: r.fields, values: r.values }, q));
      return mergeCandlePartials(parts, q);
    }
    const rows = mergeLayers([...stored, ...memory], st.fields);
    return buildCandles({ symbol: q.symbol, ts: rows.ts, fields: rows.fields, values: rows.values }, q);
  }

  let memLo = Infinity;
  let memHi = -Infinity;
  for (const m of memory) {
    memLo = Math.min(memLo, m.ts[0]);
    memHi = Math.max(memHi, m.ts[m.ts.length - 1]);
  }
  // Entry i holds rows in (keyTs(i-1), keyTs(i)]: it overlaps memory iff that span meets [memLo, memHi].
  const overlapping: KvEntry[] = [];
  const cachedFree: KvEntry[] = [];
  const poolFree: KvEntry[] = [];
  let prevTs = -Infinity;
  for (const e of entries) {
    const ts = segmentKeyTs(e.key);
    if (ts >= memLo && prevTs < memHi) overlapping.push(e);
    else if (engine.cache?.has(cacheKeyOf(e))) cachedFree.push(e);
    else poolFree.push(e);
    prevTs = ts;
  }
  const parts: Promise<CandlePartial>[] = [];
  for (let i = 0; i < poolFree.length; i += SEGMENTS_PER_TASK) {
    const chunk = poolFree.slice(i, i + SEGMENTS_PER_TASK);
    parts.push(engine.pool.run<CandlePartial>({ kind: 'candles', values: chunk.map((e) => e.value), keys: chunk.map((e) => keyName(e.key)), query: q }));
  }
  const local: SortedRows[] = [
    ...(await engine.reader.decodeAll(cachedFree)),
    mergeLayers([...(await engine.reader.decodeAll(overlapping)), ...memory], st.fields),
  ];
  const localPartials = local.map((r) => partialCandles({ symbol: q.symbol, ts: r.ts, fields: r.fields, values: r.values }, q));
  return mergeCandlePartials([...localPartials, ...(await Promise.all(parts))], q);
}
