import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { SeriesRows } from '../model.ts';
import { Engine } from './engine.ts';
import { batchOf } from './engine-test-support.ts';
import type { KvIterator, KvRange, KvStore } from './kv-store.ts';
import { RocksKvStore } from './rocks-kv-store.ts';
import { DirectoryBudget, SegmentDirectory } from './segment-directory.ts';

/** What a cursor read takes (SegmentReader.collect): from the first key ≥ start through the first ≥ end - 1. */
function naiveSpan(keys: number[], start: number, end: number): number[] {
  const out: number[] = [];
  for (const k of [...keys].sort((a, b) => a - b)) {
    if (k < start) continue;
    out.push(k);
    if (k >= end - 1) break;
  }
  return out;
}

async function* from(xs: number[]): AsyncIterable<number> {
  for (const x of xs) yield x;
}

describe('SegmentDirectory', () => {
  it('names the same segments a cursor read would, for any keys and range', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: -50, max: 50 }), { maxLength: 20 }), fc.integer({ min: -60, max: 60 }), fc.integer({ min: 0, max: 40 }), (keys, start, len) => {
        const d = new SegmentDirectory(true);
        d.beginWrite();
        d.endWrite(true, [], keys);
        expect(d.span(start, start + len)).toEqual(naiveSpan(keys, start, start + len));
        expect(d.last()).toBe(keys.length ? Math.max(...keys) : null);
      }),
    );
  });

  it('applies each committed write in order (deletes, then puts) and answers nothing while one is in flight', () => {
    const d = new SegmentDirectory(true);
    d.beginWrite();
    expect(d.usable).toBe(false);
    expect(d.span(0, 100)).toBeUndefined();
    expect(d.last()).toBeUndefined();
    d.endWrite(true, [], [10, 30, 20]);
    expect(d.span(0, 100)).toEqual([10, 20, 30]);
    d.beginWrite();
    d.endWrite(true, [20, 30], [30, 25]); // a merge rewrites 20..30 as 25, 30
    expect(d.span(0, 100)).toEqual([10, 25, 30]);
    expect(d.span(11, 26)).toEqual([25]);
    expect(d.span(26, 27)).toEqual([30]);
    expect(d.span(31, 40)).toEqual([]);
  });

  it('keeps each segment\'s value identity through writes, and ignores identities read under an older version', () => {
    const d = new SegmentDirectory(true);
    d.beginWrite();
    d.endWrite(true, [], [10, 20], [1, 2]);
    let ids: number[] = [];
    expect(d.span(0, 100, ids)).toEqual([10, 20]);
    expect(ids).toEqual([1, 2]);
    const v = d.version;
    d.beginWrite();
    d.endWrite(true, [20], [20, 30]); // rewritten without known identities
    d.noteIds(v, [20], [99]); // read before the rewrite: stale
    ids = [];
    d.span(0, 100, ids);
    expect(ids).toEqual([1, NaN, NaN]);
    d.noteIds(d.version, [20, 30], [5, 6]);
    ids = [];
    d.span(15, 100, ids);
    expect(ids).toEqual([5, 6]);
  });

  it('shares a budget: past it the least recently read directories are forgotten', () => {
    const budget = new DirectoryBudget(25);
    const fill = (d: SegmentDirectory, from: number) => {
      d.beginWrite();
      d.endWrite(true, [], Array.from({ length: 10 }, (_, i) => from + i));
    };
    const [a, b, c] = [new SegmentDirectory(true, budget), new SegmentDirectory(true, budget), new SegmentDirectory(true, budget)];
    fill(a, 0);
    fill(b, 100);
    expect(budget.segments).toBe(20);
    // Made in the order a, b, c (making counts as a read); then b and a are read: c, b, a.
    b.span(0, 1000);
    a.last();
    fill(c, 200); // 30 > 25: c is the one growing, so b (next least recently read) goes, down to ≤ 22.5
    expect(b.usable).toBe(false);
    expect(a.usable && c.usable).toBe(true);
    expect(budget.segments).toBe(20);
    // A forgotten directory gives nothing back twice, and a growing one never evicts itself.
    b.invalidate();
    expect(budget.segments).toBe(20);
    fill(c, 300);
    expect(c.usable).toBe(true);
    expect(a.usable).toBe(false);
    expect(budget.segments).toBe(20);
  });

  it('becomes unknown after a failed write (it may or may not have been applied)', () => {
    const d = new SegmentDirectory(true);
    d.beginWrite();
    d.endWrite(false, [], [5]);
    expect(d.usable).toBe(false);
    expect(d.wantsLoad).toBe(true);
  });

  it('is filled by a key scan, unless a write began or ended while the scan ran', async () => {
    const d = new SegmentDirectory(false);
    expect(d.span(0, 10)).toBeUndefined();
    await d.startLoad(from([1, 2, 3]));
    expect(d.span(0, 10)).toEqual([1, 2, 3]);

    const stale = new SegmentDirectory(false);
    const load = stale.startLoad(from([1, 2]));
    stale.beginWrite(); // e.g. a seal submitted while the scan was reading
    stale.endWrite(true, [], [3]);
    await load;
    expect(stale.usable).toBe(false);
    expect(stale.wantsLoad).toBe(true);
  });
});

// ---- the engine's reads through the directory, on real RocksDB ---------------------------------

const S = 1e6;
const T0 = Date.UTC(2024, 0, 2, 1, 30) * 1000;

function rowsOf(symbol: string, ts: number[], close: number[]): SeriesRows {
  return { symbol, ts: Float64Array.from(ts), columns: new Map([['close', Float64Array.from(close)]]) };
}

/** Counts the reads that reach the store, by kind. */
class CountingKv implements KvStore {
  getManyCalls = 0;
  iterateCalls = 0;
  constructor(readonly inner: KvStore) {}
  get(key: Uint8Array) {
    return this.inner.get(key);
  }
  getMany(keys: Uint8Array[]) {
    this.getManyCalls++;
    return this.inner.getMany(keys);
  }
  write(...a: Parameters<KvStore['write']>) {
    return this.inner.write(...a);
  }
  iterate(range: KvRange): KvIterator {
    this.iterateCalls++;
    return this.inner.iterate(range);
  }
  clearRange(gte: Uint8Array, lt: Uint8Array) {
    return this.inner.clearRange(gte, lt);
  }
  approximateSize(gte: Uint8Array, lt: Uint8Array) {
    return this.inner.approximateSize(gte, lt);
  }
  compactRange(gte: Uint8Array, lt: Uint8Array) {
    return this.inner.compactRange(gte, lt);
  }
  close() {
    return this.inner.close();
  }
}

describe('Engine reads through the segment directory (real RocksDB)', () => {
  const dirs: string[] = [];
  const engines: Engine[] = [];
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close().catch(() => {});
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  async function open(dataDir = mkdtempSync(join(tmpdir(), 'segdir-'))): Promise<{ e: Engine; kv: CountingKv }> {
    if (!dirs.includes(dataDir)) dirs.push(dataDir);
    const kv = new CountingKv(await RocksKvStore.open(dataDir, { writeBufferSize: 4 << 20, cacheSize: 8 << 20 }));
    // Small segments, so a range spans several and merges rewrite them; no decoded cache, so
    // every read decodes what the store returned.
    const e = await Engine.open({ dataDir, workerThreads: 2, idleSealMs: 3_600_000, segmentMaxRows: 64, cacheBytes: 0 }, { kv });
    engines.push(e);
    return { e, kv };
  }

  it('answers every read exactly like the written rows, through writes, merges and reopening, with no directory miss', async () => {
    const { e, kv } = await open();
    const model = new Map<string, Map<number, number>>();
    const symbols = ['A', 'B', 'C'];
    let n = 0;
    const write = async (symbol: string, seconds: number[], engine = e) => {
      const m = model.get(symbol) ?? model.set(symbol, new Map()).get(symbol)!;
      const close = seconds.map(() => ++n);
      seconds.forEach((s, i) => m.set(T0 + s * S, close[i]));
      await engine.write(batchOf(rowsOf(symbol, seconds.map((s) => T0 + s * S), close)));
    };
    const check = async (engine: Engine, symbol: string, from: number, to: number) => {
      const got = await engine.readRange({ symbol, start: T0 + from * S, end: T0 + to * S, fields: ['close'] });
      const want = [...(model.get(symbol) ?? new Map()).entries()].filter(([t]) => t >= T0 + from * S && t < T0 + to * S).sort((a, b) => a[0] - b[0]);
      expect(Array.from(got.ts)).toEqual(want.map(([t]) => t));
      expect(Array.from(got.values[0])).toEqual(want.map(([, v]) => v));
    };
    // Appends, then late rows and rewrites inside sealed ranges (merges delete and put segments).
    const rng = fc.sample(fc.integer({ min: 0, max: 999 }), { numRuns: 400, seed: 42 });
    for (let round = 0; round < 4; round++) {
      for (const s of symbols) await write(s, Array.from({ length: 250 }, (_, i) => round * 250 + i));
      await e.flush();
      for (const s of symbols) await write(s, rng.slice(round * 100, round * 100 + 100).filter((x) => x < (round + 1) * 250));
      await e.flush();
      for (const s of symbols) for (const [a, b] of [[0, 1000], [round * 250 - 3, round * 250 + 70], [17, 18], [64, 65], [999, 2000]]) await check(e, s, a, b);
    }
    expect(e.reader.directoryMisses).toBe(0);

    // Sealed data, nothing in flight: a read is one multi-get and no cursor.
    const before = { many: kv.getManyCalls, iter: kv.iterateCalls };
    await check(e, 'B', 100, 400);
    expect(kv.getManyCalls - before.many).toBe(1);
    expect(kv.iterateCalls - before.iter).toBe(0);

    // After a restart the directory is unknown: the first read uses a cursor and starts a key
    // scan; once it is loaded, reads are multi-gets again.
    const dataDir = e.opts.dataDir;
    await e.close();
    engines.splice(engines.indexOf(e), 1);
    const { e: e2, kv: kv2 } = await open(dataDir);
    await check(e2, 'B', 100, 400);
    expect(kv2.iterateCalls).toBeGreaterThanOrEqual(2); // the read's cursor and the key scan
    for (let i = 0; i < 50 && !e2.seriesState('B')!.segments.usable; i++) await new Promise((r) => setTimeout(r, 10));
    expect(e2.seriesState('B')!.segments.size).toBeGreaterThan(10);
    const again = { many: kv2.getManyCalls, iter: kv2.iterateCalls };
    for (const [a, b] of [[0, 1000], [250, 251], [500, 777]]) await check(e2, 'B', a, b);
    expect(kv2.getManyCalls - again.many).toBe(3);
    expect(kv2.iterateCalls - again.iter).toBe(0);
    // Writes after the load keep it exact.
    await write('B', [5, 6, 1500, 1501], e2);
    await e2.flush();
    await check(e2, 'B', 0, 2000);
    expect(e2.reader.directoryMisses).toBe(0);
    const latest = await e2.latest(['B']);
    expect(Array.from(latest[0]!.ts)).toEqual([T0 + 1501 * S]);
  });

  it('answers reads from the segment caches without touching the store, and never a stale one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'segdir-'));
    dirs.push(dataDir);
    const kv = new CountingKv(await RocksKvStore.open(dataDir, { writeBufferSize: 4 << 20, cacheSize: 8 << 20 }));
    const e = await Engine.open({ dataDir, workerThreads: 2, idleSealMs: 3_600_000, segmentMaxRows: 64 }, { kv });
    engines.push(e);
    const ts = Array.from({ length: 300 }, (_, i) => T0 + i * S);
    await e.write(batchOf(rowsOf('H', ts, ts.map((_, i) => i))));
    const calls = () => kv.getManyCalls + kv.iterateCalls;
    const beforeSeal = calls();
    await e.flush();
    expect(calls()).toBe(beforeSeal); // nothing stored before: the seal read nothing back
    expect(e.stats().storedCacheBytes).toBeGreaterThan(0);
    const q = { symbol: 'H', start: T0 + 10 * S, end: T0 + 250 * S, fields: ['close'] };
    // Just sealed: the stored bytes are still in memory, so even the first read skips the store
    // (and keeps the decoded rows).
    const first = await e.readRange(q);
    const again = await e.readRange(q);
    const candles = await e.candles({ symbol: 'H', start: q.start, end: q.end, interval: '1m', tz: 'UTC' });
    expect(calls()).toBe(beforeSeal);
    expect(e.reader.storageSkipped).toBe(3);
    expect(e.stats().readsWithoutStorage).toBe(3); // exported as stock_tsdb_reads_without_storage_total
    expect(Array.from(first.values[0])).toEqual(Array.from({ length: 240 }, (_, i) => i + 10));
    expect(Array.from(again.values[0])).toEqual(Array.from(first.values[0]));
    expect(candles.ts.length).toBe(5);

    // Without either cache, the read goes to the store; what it reads is kept as stored bytes,
    // so the next read (decoded rows dropped again) does not.
    e.cache!.clear();
    e.storedCache!.clear();
    const cold = await e.readRange(q);
    expect(calls()).toBe(beforeSeal + 1);
    e.cache!.clear();
    const warm = await e.readRange(q);
    expect(calls()).toBe(beforeSeal + 1);
    expect(Array.from(cold.values[0])).toEqual(Array.from(first.values[0]));
    expect(Array.from(warm.values[0])).toEqual(Array.from(first.values[0]));

    // A rewrite inside the range (merge: new segments, new values): the next read sees it.
    await e.write(batchOf(rowsOf('H', [T0 + 100 * S], [-1])));
    await e.flush();
    const after = await e.readRange(q);
    expect(after.values[0][90]).toBe(-1);
    expect(Array.from(after.values[0]).filter((v) => v !== -1)).toEqual(Array.from({ length: 240 }, (_, i) => i + 10).filter((v) => v !== 100));
    // The same once both caches are gone (the store has the rewrite too).
    e.cache!.clear();
    e.storedCache!.clear();
    expect(Array.from((await e.readRange(q)).values[0])).toEqual(Array.from(after.values[0]));
  });

  it('keeps the stored bytes of point reads, not of scans', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'segdir-'));
    dirs.push(dataDir);
    const e = await Engine.open({ dataDir, workerThreads: 2, idleSealMs: 3_600_000, segmentMaxRows: 64 });
    engines.push(e);
    const ts = Array.from({ length: 64 * 12 }, (_, i) => T0 + i * S);
    await e.write(batchOf(rowsOf('K', ts, ts.map((_, i) => i))));
    await e.flush();
    e.cache!.clear();
    e.storedCache!.clear();
    const all = await e.readRange({ symbol: 'K', start: T0, end: T0 + ts.length * S }); // 12 segments: a scan
    expect(all.ts.length).toBe(ts.length);
    expect(e.stats().storedCacheBytes).toBe(0);
    e.cache!.clear(); // the scan kept decoded rows: without this the next read would not touch the store
    const some = await e.readRange({ symbol: 'K', start: T0, end: T0 + 64 * 3 * S }); // 3 segments
    expect(some.ts.length).toBe(64 * 3);
    expect(e.stats().storedCacheBytes).toBeGreaterThan(0);
  });

  it('keeps every directory within the engine\'s budget and still answers every read exactly', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'segdir-'));
    dirs.push(dataDir);
    const e = await Engine.open({ dataDir, workerThreads: 2, idleSealMs: 3_600_000, segmentMaxRows: 64, cacheBytes: 0, directoryMaxSegments: 25 });
    engines.push(e);
    const ts = Array.from({ length: 640 }, (_, i) => T0 + i * S);
    for (const sym of ['P', 'Q', 'R']) await e.write(batchOf(rowsOf(sym, ts, ts.map((_, i) => i))));
    await e.flush();
    expect(e.directoryBudget.segments).toBeLessThanOrEqual(25);
    for (let round = 0; round < 3; round++) {
      for (const sym of ['P', 'Q', 'R']) {
        const r = await e.readRange({ symbol: sym, start: T0 + 100 * S, end: T0 + 500 * S });
        expect(r.ts.length).toBe(400);
        expect(e.directoryBudget.segments).toBeLessThanOrEqual(25);
        await new Promise((res) => setTimeout(res, 20)); // let a background key scan finish
      }
    }
    expect(e.reader.directoryMisses).toBe(0);
    expect(['P', 'Q', 'R'].filter((s) => e.seriesState(s)!.segments.usable).length).toBeGreaterThanOrEqual(1);
  });

  it('falls back to a cursor, and forgets the directory, when it names a segment the store lacks', async () => {
    const { e, kv } = await open();
    await e.write(batchOf(rowsOf('X', Array.from({ length: 200 }, (_, i) => T0 + i * S), Array.from({ length: 200 }, (_, i) => i))));
    await e.flush();
    // A change no write path reported: the newest segment rewritten under another key.
    const st = e.seriesState('X')!;
    const last = await e.reader.readLast(st);
    await kv.inner.write([
      { type: 'del', key: last!.key },
      { type: 'put', key: Buffer.concat([last!.key.subarray(0, last!.key.length - 1), Buffer.from([last!.key[last!.key.length - 1] + 1])]), value: last!.value },
    ]);
    const r = await e.readRange({ symbol: 'X', start: T0, end: T0 + 300 * S });
    expect(r.ts.length).toBe(200);
    expect(e.reader.directoryMisses).toBe(1);
    expect(st.segments.usable).toBe(false);
  });
});
