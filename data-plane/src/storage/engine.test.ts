import { describe, expect, it } from 'vitest';
import { CorruptionError, OverloadError, ValidationError } from '../errors.ts';
import type { SeriesRows } from '../model.ts';
import { buildCandles } from '../query/candles.ts';
import { vnodeOf } from './vnode-of.ts';
import { batchOf, damageStoredSegment, tempEngines } from './engine-test-support.ts';

const S = 1e6;
const T0 = Date.UTC(2024, 0, 2, 1, 30) * 1000; // µs

function bars(symbol: string, start: number, count: number, stepSec = 1, seed = 1): SeriesRows {
  const ts = new Float64Array(count);
  const open = new Float64Array(count);
  const high = new Float64Array(count);
  const low = new Float64Array(count);
  const close = new Float64Array(count);
  const volume = new Float64Array(count);
  let p = 1000 + seed;
  for (let i = 0; i < count; i++) {
    ts[i] = start + i * stepSec * S;
    open[i] = p / 100;
    p += ((i * 7 + seed) % 5) - 2;
    close[i] = p / 100;
    high[i] = Math.max(open[i], close[i]) + 0.01;
    low[i] = Math.min(open[i], close[i]) - 0.01;
    volume[i] = 100 * ((i % 17) + 1);
  }
  return { symbol, ts, columns: new Map([['open', open], ['high', high], ['low', low], ['close', close], ['volume', volume]]) };
}

const batch = batchOf;

describe('Engine', () => {
  const { open, reopen } = tempEngines('engine');

  it('reads back what it wrote, from the head and after sealing and reopening', async () => {
    const e = await open();
    const rows = bars('stock.SH.600519', T0, 5000);
    await e.write(batch(rows));
    const fromHead = await e.readRange({ symbol: 'stock.SH.600519', start: T0, end: T0 + 5000 * S });
    expect(fromHead.ts.length).toBe(5000);
    expect(Array.from(fromHead.values[fromHead.fields.indexOf('close')])).toEqual(Array.from(rows.columns.get('close')!));
    await e.flush();
    expect(e.stats().headRows).toBe(0);
    const e2 = await reopen(e);
    const stored = await e2.readRange({ symbol: 'stock.SH.600519', start: T0 + 10 * S, end: T0 + 20 * S, fields: ['close', 'volume'] });
    expect(stored.fields).toEqual(['close', 'volume']);
    expect(Array.from(stored.ts)).toEqual(Array.from(rows.ts.subarray(10, 20)));
    expect(Array.from(stored.values[1])).toEqual(Array.from(rows.columns.get('volume')!.subarray(10, 20)));
  });

  it('upserts: the same timestamp written again replaces the row, in head and across sealed data', async () => {
    const e = await open();
    await e.write(batch(bars('A', T0, 100)));
    await e.flush();
    const again = bars('A', T0 + 50 * S, 1);
    again.columns.get('close')![0] = 999.99;
    await e.write(batch(again));
    let r = await e.readRange({ symbol: 'A', start: T0, end: T0 + 100 * S, fields: ['close'] });
    expect(r.ts.length).toBe(100);
    expect(r.values[0][50]).toBe(999.99);
    await e.flush();
    r = await e.readRange({ symbol: 'A', start: T0, end: T0 + 100 * S, fields: ['close'] });
    expect(r.ts.length).toBe(100);
    expect(r.values[0][50]).toBe(999.99);
  });

  it('merges out-of-order rows and years of backfill arriving in any order', async () => {
    const e = await open({ segmentMaxRows: 500 });
    const day = 86400 * S;
    const chunks = Array.from({ length: 40 }, (_, k) => bars('B', T0 - (k * 37 % 40) * day, 300, 60, k));
    for (const c of chunks) {
      await e.write(batch(c));
      if (c.ts[0] % 3 === 0) await e.flush();
    }
    await e.flush();
    const all = await e.readRange({ symbol: 'B', start: T0 - 50 * day, end: T0 + day });
    expect(all.ts.length).toBe(40 * 300);
    for (let i = 1; i < all.ts.length; i++) expect(all.ts[i]).toBeGreaterThan(all.ts[i - 1]);
  });

  it('answers latest() and symbols() over head and stored data', async () => {
    const e = await open();
    await e.write(batch(bars('stock.SZ.000001', T0, 10), bars('stock.SZ.000002', T0, 20)));
    await e.flush();
    await e.write(batch(bars('stock.SZ.000001', T0 + 100 * S, 1)));
    const [a, b, none] = await e.latest(['stock.SZ.000001', 'stock.SZ.000002', 'nope']);
    expect(a!.ts[0]).toBe(T0 + 100 * S);
    expect(b!.ts[0]).toBe(T0 + 19 * S);
    expect(none).toBeNull();
    expect(await e.symbols('stock.SZ')).toEqual(['stock.SZ.000001', 'stock.SZ.000002']);
    expect(await e.symbols('x')).toEqual([]);
  });

  it('builds OHLCV candles across stored segments and the head', async () => {
    const e = await open({ segmentMaxRows: 256 });
    const rows = bars('C', T0, 7200);
    await e.write(batch(rows));
    await e.flush();
    await e.write(batch(bars('C', T0 + 7200 * S, 100)));
    const c = await e.candles({ symbol: 'C', start: T0, end: T0 + 7300 * S, interval: '1h', tz: 'UTC' });
    expect(c.columns.slice(0, 6)).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume']);
    expect(c.ts.length).toBe(3);
    const vol = rows.columns.get('volume')!;
    let firstHour = 0;
    for (let i = 0; i < 3600 - 1800; i++) firstHour += vol[i]; // T0 is at :30
    expect(c.values[4][0]).toBe(firstHour);
    expect(c.values[0][0]).toBe(rows.columns.get('open')![0]);
  });

  it('seals a head that filled right after the write, looking at full heads only; idle heads wait for the periodic scan', async () => {
    const e = await open({ segmentMaxRows: 100 });
    // Counts the sealer's passes over every series (its private pick()).
    const sealer = (e as unknown as { sealer: { pick: (all: boolean) => unknown } }).sealer;
    let scans = 0;
    const pick = sealer.pick.bind(sealer);
    sealer.pick = (all: boolean) => (scans++, pick(all));
    // 300 series with a row each (idle, never full), then one series filled in one write.
    await e.write(batchOf(...Array.from({ length: 300 }, (_, i) => bars(`IDLE${i}`, T0, 1))));
    await new Promise((r) => setTimeout(r, 20));
    scans = 0;
    await e.write(batchOf(bars('FULL', T0, 100)));
    for (let i = 0; i < 100 && e.stats().segmentsWritten === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(e.stats().segmentsWritten).toBe(1); // well before the 1 s scan
    expect(scans).toBe(0); // no pass over the 301 series for it
    expect(e.stats().headRows).toBe(300);
    expect((await e.readRange({ symbol: 'FULL', start: T0, end: T0 + 100 * S })).ts.length).toBe(100);
  });

  it('refuses bad batches with ValidationError and stores nothing of them', async () => {
    const e = await open();
    const bad = bars('D', T0, 3);
    bad.columns.get('open')![1] = Infinity;
    await expect(e.write(batch(bad))).rejects.toBeInstanceOf(ValidationError);
    await expect(e.write(batch(bars('bad symbol!', T0, 1)))).rejects.toBeInstanceOf(ValidationError);
    expect(await e.symbols()).toEqual([]);
  });

  it('refuses writes with a retryable OverloadError when the head is full', async () => {
    const e = await open({ headLimitBytes: 64 * 1024 });
    await e.write(batch(bars('E', T0, 4000)));
    await expect(e.write(batch(bars('E', T0 + 4000 * S, 10)))).rejects.toBeInstanceOf(OverloadError);
  });

  it('counts head memory exactly through seals and vnode drops, so the head limit keeps holding', async () => {
    // Heads are counted by their buffers' capacity. Each seal swaps in a new head (full ones
    // start at full size): were that buffer not counted, every seal would lower the count by
    // a head's size, and after enough seals the limit would never refuse anything.
    const e = await open({ segmentMaxRows: 512, headLimitBytes: 1 << 20 });
    const symbols = Array.from({ length: 8 }, (_, k) => `H${k}`);
    const headsNow = () => e.stats().headBytes;
    for (let round = 0; round < 30; round++) {
      for (const [k, sym] of symbols.entries()) await e.write(batch(bars(sym, T0 + round * 600 * S, 600, 1, k)));
      await e.flush();
    }
    // 8 empty heads, each at most a full-size buffer (512 rows + slack, ts + 5 fields)
    expect(headsNow()).toBeGreaterThan(0);
    expect(headsNow()).toBeLessThanOrEqual(8 * 640 * 6 * 8);
    // the limit still refuses: one batch leaves a head of 32768 rows (1.5 MB) over the 1 MB
    // limit, and the next write comes before the sealer can run
    await e.write(batch(bars('J', T0, 25_000)));
    await expect(e.write(batch(bars('J', T0 + 25_000 * S, 10)))).rejects.toBeInstanceOf(OverloadError);
    // dropping every vnode gives all of it back
    for (const v of new Set([...symbols, 'J'].map((s) => vnodeOf(s, e.opts.vnodes)))) await e.vnodes.drop(v);
    expect(headsNow()).toBe(0);
  });

  it('gives back the full-size head a full seal leaves when no rows follow: after idling, or at once when memory is short', async () => {
    // A full head is followed by one allocated at full size for the rows to come (640 rows ×
    // ts + 5 fields here). Series that stop (the close, a delisted symbol) must not keep it.
    const fullSized = 640 * 6 * 8;
    const idle = await open({ segmentMaxRows: 512, idleSealMs: 200 });
    await idle.write(batch(bars('I', T0, 600)));
    await idle.flush();
    expect(idle.stats().headBytes).toBe(fullSized);
    await until(() => idle.stats().headBytes < fullSized, 5000); // the engine's 1-s scan
    expect(idle.stats().headBytes).toBe(64 * 8);

    // 12 series filled and sealed one after the other under a 200 KB limit: were their
    // full-size successors kept, the 7th would take the count past the limit and every write
    // after it would be refused for good, with nothing left to seal. Under pressure (past half
    // the limit) they are swapped for minimal ones, so at most a moment's 503 is seen.
    const e = await open({ segmentMaxRows: 512, headLimitBytes: 200 * 1024 });
    for (let k = 0; k < 12; k++) {
      await until(
        () =>
          e.write(batch(bars(`P${k}`, T0, 600, 1, k))).then(
            () => true,
            (err) => {
              if (!(err instanceof OverloadError)) throw err;
              return false;
            },
          ),
        5000,
      );
      await e.flush();
    }
    expect(e.stats().headBytes).toBeLessThanOrEqual(200 * 1024);
    for (let k = 0; k < 12; k++) expect((await e.readRange({ symbol: `P${k}`, start: T0, end: T0 + 600 * S })).ts.length).toBe(600);
  });

  it('keeps the decoded-segment cache within its byte bound', async () => {
    const e = await open({ cacheBytes: 256 * 1024, segmentMaxRows: 512 });
    for (let k = 0; k < 20; k++) await e.write(batch(bars(`F${k}`, T0, 4000)));
    await e.flush();
    for (let k = 0; k < 20; k++) await e.readRange({ symbol: `F${k}`, start: T0, end: T0 + 4000 * S });
    expect(e.stats().cacheBytes).toBeGreaterThan(0);
    expect(e.stats().cacheBytes).toBeLessThanOrEqual(256 * 1024);
  });

  it('detects a corrupted segment: CorruptionError naming the key, counted, never returned as data', async () => {
    const e = await open();
    await e.write(batch(bars('G', T0, 100)));
    await e.flush();
    await damageStoredSegment(e, 'G');
    const err = await e.readRange({ symbol: 'G', start: T0, end: T0 + 100 * S }).catch((x) => x);
    expect(err).toBeInstanceOf(CorruptionError);
    expect(String(err.message)).toContain('G');
    expect(e.stats().corruptionsDetected).toBe(1);
  });

  it('hands a vnode over: export → import gives equal digests; drop removes it for good', async () => {
    const src = await open({ segmentMaxRows: 300 });
    const dst = await open({ segmentMaxRows: 300 });
    const symbols = Array.from({ length: 60 }, (_, i) => `stock.SH.${600000 + i}`);
    for (const s of symbols) await src.write(batch(bars(s, T0, 700)));
    const vnode = vnodeOf(symbols[0], 1000);
    const inVnode = symbols.filter((s) => vnodeOf(s, 1000) === vnode);
    // A dual write that reached the new owner before the stream: it must win over the old copy.
    const newer = bars(symbols[0], T0 + 5 * S, 1);
    newer.columns.get('close')![0] = 4242.42;
    await src.write(batch(newer));
    await dst.write(batch(newer));
    await src.vnodes.flush(vnode);
    const entries = [];
    for await (const e of src.vnodes.export(vnode)) entries.push(e);
    await dst.vnodes.importEntries(entries.slice(0, 3));
    expect(dst.stats().storedCacheBytes).toBe(0); // stored verbatim: history does not evict recent data
    await dst.vnodes.importEntries(entries.slice(3), () => {}); // the merge path too
    await dst.vnodes.flush(vnode);
    const a = await src.vnodes.digest(vnode);
    const b = await dst.vnodes.digest(vnode);
    expect(a.rows).toBe(inVnode.length * 700);
    expect(b).toEqual(a);
    const r = await dst.readRange({ symbol: symbols[0], start: T0 + 5 * S, end: T0 + 6 * S, fields: ['close'] });
    expect(r.values[0][0]).toBe(4242.42);

    await src.vnodes.drop(vnode);
    expect((await src.vnodes.digest(vnode)).rows).toBe(0);
    // A second drop (the driver's and the node's own both come) finds nothing and writes nothing.
    const writes: unknown[] = [];
    const write = src.kv.write.bind(src.kv);
    src.kv.write = (ops, o) => (writes.push(ops), write(ops, o));
    await src.vnodes.drop(vnode);
    expect(writes).toEqual([]);
    src.kv.write = write;
    const src2 = await reopen(src);
    expect(await src2.symbols(symbols[0])).toEqual([]);
    expect((await src2.readRange({ symbol: symbols[0], start: T0, end: T0 + 700 * S })).ts.length).toBe(0);
    expect((await src2.readRange({ symbol: symbols.find((s) => vnodeOf(s, 1000) !== vnode)!, start: T0, end: T0 + 700 * S })).ts.length).toBe(700);
  });

  it('candles over stored segments only equal candles built from the raw rows (per-segment partials)', async () => {
    const e = await open({ segmentMaxRows: 300 });
    await e.write(batch(bars('H', T0, 5000, 1, 3)));
    await e.flush();
    for (const [interval, tz] of [['1h', 'Asia/Shanghai'], ['5m', 'UTC'], ['1d', 'America/New_York'], ['7m', 'Asia/Kolkata']]) {
      const q = { symbol: 'H', start: T0 + 17 * S, end: T0 + 4900 * S, interval, tz };
      const got = await e.candles(q);
      const raw = await e.readRange({ symbol: 'H', start: q.start, end: q.end });
      const want = buildCandles(raw, q);
      expect(got.columns).toEqual(want.columns);
      expect(Array.from(got.ts)).toEqual(Array.from(want.ts));
      got.values.forEach((col, i) => expect(Array.from(col), `${interval} ${got.columns[i + 1]}`).toEqual(Array.from(want.values[i])));
    }
  });
});

/** Polls `ok` every 20 ms until it holds; fails after `ms`. */
async function until(ok: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
