import { describe, expect, it } from 'vitest';
import type { CandleQuery, CandleResult } from '../engine-api.ts';
import { CorruptionError, ValidationError } from '../errors.ts';
import type { SeriesRows } from '../model.ts';
import { buildCandles } from '../query/candles.ts';
import type { Engine } from './engine.ts';
import { batchOf, damageStoredSegment, tempEngines } from './engine-test-support.ts';

const S = 1e6;
const T0 = Date.UTC(2024, 0, 2, 1, 30) * 1000; // µs

/** `count` bars every `stepSec` from `start`; `extra` adds an `amount` column (a wider schema). */
function bars(symbol: string, start: number, count: number, opts: { stepSec?: number; seed?: number; extra?: boolean } = {}): SeriesRows {
  const { stepSec = 1, seed = 1, extra = false } = opts;
  const cols = ['open', 'high', 'low', 'close', 'volume', ...(extra ? ['amount'] : [])].map((f) => [f, new Float64Array(count)] as const);
  const ts = new Float64Array(count);
  let p = 1000 + seed;
  for (let i = 0; i < count; i++) {
    ts[i] = start + i * stepSec * S;
    const open = p / 100;
    p += ((i * 7 + seed) % 5) - 2;
    const close = p / 100;
    const row = [open, Math.max(open, close) + 0.01, Math.min(open, close) - 0.01, close, 100 * ((i % 17) + 1), close * 100];
    cols.forEach(([, col], k) => (col[i] = row[k]));
  }
  return { symbol, ts, columns: new Map(cols) };
}

const batch = batchOf;

/** Candles built on the calling thread from the raw rows the engine reads back: the reference. */
async function reference(e: Engine, q: CandleQuery): Promise<CandleResult> {
  return buildCandles(await e.readRange({ symbol: q.symbol, start: q.start, end: q.end }), q);
}

function expectSame(got: CandleResult, want: CandleResult, what: string): void {
  expect(got.columns, what).toEqual(want.columns);
  expect(Array.from(got.ts), what).toEqual(Array.from(want.ts));
  got.values.forEach((col, i) => expect(Array.from(col), `${what} ${got.columns[i + 1]}`).toEqual(Array.from(want.values[i])));
}

describe('candles issued together (one batch per tick)', () => {
  const { open } = tempEngines('engine-candles', { segmentMaxRows: 300 });

  it('equal candles built from the raw rows: stored (cached or not, point read or scan), in memory, upserted, unknown', async () => {
    const e = await open();
    // A: scan (many segments); B: point read (two segments); C: wider schema later; D: stored + head
    // with upserts over a stored segment; E: head only.
    await e.write(batch(bars('A', T0, 5000, { seed: 2 }), bars('B', T0, 500, { seed: 3 }), bars('C', T0, 900, { seed: 4 }), bars('D', T0, 3000, { seed: 5 })));
    await e.flush();
    await e.write(batch(bars('C', T0 + 900 * S, 900, { seed: 6, extra: true })));
    await e.flush();
    await e.write(batch(bars('D', T0 + 2950 * S, 200, { seed: 7 }), bars('E', T0, 700, { seed: 8 })));
    // Part of A's segments cached, part not.
    await e.candles({ symbol: 'A', start: T0 + 1000 * S, end: T0 + 1600 * S, interval: '1h', tz: 'UTC' });
    const queries: CandleQuery[] = [];
    for (const symbol of ['A', 'B', 'C', 'D', 'E', 'NOPE']) {
      queries.push({ symbol, start: T0 + 17 * S, end: T0 + 4900 * S, interval: '1h', tz: 'Asia/Shanghai' });
      queries.push({ symbol, start: T0, end: T0 + 1200 * S, interval: '7m', tz: 'Asia/Kolkata', fill: 'prev' });
      queries.push({ symbol, start: T0 + 850 * S, end: T0 + 1000 * S, interval: '1m', tz: 'UTC', fill: 'null' });
    }
    queries.push({ symbol: 'A', start: T0, end: T0, interval: '1h', tz: 'UTC' });
    const got = await Promise.all(queries.map((q) => e.candles(q)));
    for (const [i, q] of queries.entries()) expectSame(got[i], await reference(e, q), `${q.symbol} ${q.interval} ${q.start}`);
    // C's answer carries the series' whole schema even over rows written before `amount` existed.
    expect(got[6].columns).toContain('amount');
  });

  it('a single query decodes its few uncached segments on the calling thread; it caches them from their second read on', async () => {
    const e = await open();
    await e.write(batch(bars('A', T0, 200)));
    await e.flush();
    e.cache?.clear();
    const q: CandleQuery = { symbol: 'A', start: T0, end: T0 + 200 * S, interval: '1m', tz: 'UTC' };
    const want = await reference(e, q);
    e.cache?.clear(); // the reference read cached the rows; start cold again
    expectSame(await e.candles(q), want, 'first read (decoded into scratch, not kept)');
    expect(e.stats().cacheBytes).toBe(0);
    expectSame(await e.candles(q), want, 'second read (decoded and cached)');
    expect(e.stats().cacheBytes).toBeGreaterThan(0);
    const hits = e.stats().cacheHits;
    expectSame(await e.candles(q), want, 'third read (cached)');
    expect(e.stats().cacheHits).toBeGreaterThan(hits);
  });

  it('first reads of two series in one batch decode through the same scratch space without mixing them up', async () => {
    const e = await open();
    await e.write(batch(bars('A', T0, 250, { seed: 3 }), bars('B', T0, 120, { seed: 8 })));
    await e.flush();
    const qa: CandleQuery = { symbol: 'A', start: T0, end: T0 + 250 * S, interval: '1m', tz: 'UTC' };
    const qb: CandleQuery = { ...qa, symbol: 'B' };
    const [wantA, wantB] = [await reference(e, qa), await reference(e, qb)];
    e.cache?.clear();
    const [gotA, gotB] = await Promise.all([e.candles(qa), e.candles(qb)]);
    expectSame(gotA, wantA, 'A');
    expectSame(gotB, wantB, 'B');
  });

  it('point reads cache the segments the workers decoded; scans do not', async () => {
    const e = await open();
    await e.write(batch(bars('P', T0, 1000), bars('S', T0, 6000)));
    await e.flush();
    e.cache?.clear();
    const day = (symbol: string): CandleQuery => ({ symbol, start: T0, end: T0 + 86_400 * S, interval: '1h', tz: 'UTC' });
    await Promise.all([e.candles(day('P')), e.candles(day('S'))]);
    const cachedAfterBoth = e.stats().cacheBytes;
    expect(cachedAfterBoth).toBeGreaterThan(0);
    e.cache?.clear();
    await e.candles(day('S'));
    expect(e.stats().cacheBytes).toBe(0);
  });

  it('a bad query rejects only itself; the others in its batch are answered', async () => {
    const e = await open();
    await e.write(batch(bars('A', T0, 3000), bars('B', T0, 3000, { seed: 9 })));
    await e.flush();
    e.cache?.clear();
    const good: CandleQuery = { symbol: 'A', start: T0, end: T0 + 3000 * S, interval: '5m', tz: 'UTC' };
    const results = await Promise.allSettled([
      e.candles({ ...good, interval: '5x' }),
      e.candles(good),
      e.candles({ ...good, symbol: 'B', fields: ['open', 'nope'] }),
      e.candles({ ...good, tz: 'Mars/Olympus' }),
      e.candles({ ...good, symbol: 'B' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
    for (const i of [0, 2, 3]) expect((results[i] as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    expectSame((results[1] as PromiseFulfilledResult<CandleResult>).value, await reference(e, good), 'A');
    expectSame((results[4] as PromiseFulfilledResult<CandleResult>).value, await reference(e, { ...good, symbol: 'B' }), 'B');
  });

  it('a corrupted segment fails its query with CorruptionError, counted, never as data', async () => {
    const e = await open();
    await e.write(batch(bars('G', T0, 3000)));
    await e.flush();
    await damageStoredSegment(e, 'G', 1);
    const err = await e.candles({ symbol: 'G', start: T0, end: T0 + 3000 * S, interval: '1h', tz: 'UTC' }).catch((x) => x);
    expect(err).toBeInstanceOf(CorruptionError);
    expect(String(err.message)).toContain('G');
    expect(e.stats().corruptionsDetected).toBe(1);
  });
});
