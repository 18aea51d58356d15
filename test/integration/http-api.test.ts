/**
 * Every data-port endpoint of DESIGN §5 against a real server process: write forms, answer
 * shapes, precisions, CSV, batch, latest, symbols, and candles checked against a naive
 * reference implementation written here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post, type QueryAnswer } from '../helpers/http-calls.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

let s: ServerProcess;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s?.stop();
  s?.cleanup();
});

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400;
const T0 = 1633651200; // 2021-10-08T00:00:00Z

interface Tick {
  t: number;
  price: number;
  volume: number;
}

/** ~1500 ticks on unique seconds over two days, with quiet gaps. */
function makeTicks(): Tick[] {
  const r = rng(42);
  const ticks: Tick[] = [];
  let t = T0 - 3 * 3600;
  let price = 100;
  while (ticks.length < 1500) {
    t += 1 + Math.floor(r() * (r() < 0.02 ? 7200 : 90));
    price = Math.round((price + (r() - 0.5)) * 100) / 100;
    ticks.push({ t, price, volume: 100 * (1 + Math.floor(r() * 50)) });
  }
  return ticks;
}

/**
 * The reference: candles of ticks in [start, end) for a zone with a fixed UTC offset, buckets
 * aligned to local midnight: start = floor((t + off) / w) · w − off.
 */
function naiveCandles(ticks: Tick[], start: number, end: number, width: number, offset: number): (number | null)[][] {
  const groups = new Map<number, Tick[]>();
  for (const k of [...ticks].sort((a, b) => a.t - b.t)) {
    if (k.t < start || k.t >= end) continue;
    const b = Math.floor((k.t + offset) / width) * width - offset;
    if (!groups.has(b)) groups.set(b, []);
    groups.get(b)!.push(k);
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([b, g]) => [
      b,
      g[0]!.price,
      Math.max(...g.map((x) => x.price)),
      Math.min(...g.map((x) => x.price)),
      g[g.length - 1]!.price,
      g.reduce((n, x) => n + x.volume, 0),
    ]);
}

const TICKS = makeTicks();
const TICK_SYM = 'stock.SH.600000';
const BAR_SYM = 'stock.SZ.000001';

describe('writes', () => {
  it('POST /v1/write takes an array of {symbol, timestamp, ...fields} and answers {"written": n}', async () => {
    const half = Math.floor(TICKS.length / 2);
    for (const part of [TICKS.slice(0, half), TICKS.slice(half)]) {
      const r = await post(`${s.dataUrl}/v1/write`, part.map((k) => ({ symbol: TICK_SYM, timestamp: k.t, price: k.price, volume: k.volume })));
      expect(r.status, r.text).toBe(200);
      expect(r.json).toEqual({ written: part.length });
    }
  });

  it('POST /v1/write takes {symbol, rows} with ?precision=ms', async () => {
    const rows = [0, 1, 2, 5, 6].map((i) => ({
      timestamp: (T0 + i * 60) * 1000,
      open: 10 + i,
      high: 11 + i,
      low: 9 + i,
      close: 10.5 + i,
      volume: 1000 * (i + 1),
      amount: 10_500 * (i + 1),
    }));
    const r = await post(`${s.dataUrl}/v1/write?precision=ms`, { symbol: BAR_SYM, rows });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ written: 5 });
  });

  it('POST /v1/write takes NDJSON', async () => {
    const body = ['stock.US.AAPL', 'stock.US.MSFT']
      .map((sym, i) => JSON.stringify({ symbol: sym, timestamp: T0 + i, price: 150 + i, volume: 10 }))
      .join('\n');
    const r = await post(`${s.dataUrl}/v1/write`, body + '\n', { 'Content-Type': 'application/x-ndjson' });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ written: 2 });
  });

  it('the same symbol and timestamp again is an upsert: last write wins', async () => {
    const sym = 'stock.SH.upsert';
    await post(`${s.dataUrl}/v1/write`, { symbol: sym, rows: [{ timestamp: T0, price: 1, volume: 1 }] });
    await post(`${s.dataUrl}/v1/write`, { symbol: sym, rows: [{ timestamp: T0, price: 2, volume: 5 }] });
    const q = await get<QueryAnswer>(`${s.dataUrl}/v1/query?symbol=${sym}&start=${T0}&end=${T0 + 1}&fields=price,volume`);
    expect(q.json.rows).toEqual([[T0, 2, 5]]);
  });
});

describe('GET /v1/query', () => {
  it('answers raw rows in the DESIGN §5 shape, ascending, timestamps in seconds by default', async () => {
    const start = T0;
    const end = T0 + 6 * 3600;
    const q = await get<QueryAnswer>(`${s.dataUrl}/v1/query?symbol=${TICK_SYM}&start=${start}&end=${end}&fields=price,volume`);
    expect(q.status, q.text).toBe(200);
    expect(q.headers.get('content-type')).toMatch(/application\/json/);
    const want = TICKS.filter((k) => k.t >= start && k.t < end).map((k) => [k.t, k.price, k.volume]);
    expect(want.length).toBeGreaterThan(50);
    expect(q.json).toEqual({ symbol: TICK_SYM, interval: null, columns: ['timestamp', 'price', 'volume'], rows: want });
  });

  it('answers timestamps in the request precision (ms, us, ns exactly)', async () => {
    const k = TICKS.find((x) => x.t >= T0)!;
    for (const [p, mult] of [['ms', 1e3], ['us', 1e6], ['ns', 1e9]] as const) {
      const q = await get<QueryAnswer>(`${s.dataUrl}/v1/query?symbol=${TICK_SYM}&start=${k.t * mult}&end=${(k.t + 1) * mult}&precision=${p}&fields=price`);
      expect(q.status, q.text).toBe(200);
      expect(q.text).toContain(`[${k.t}${'000'.repeat(mult === 1e3 ? 1 : mult === 1e6 ? 2 : 3)},${k.price}]`);
    }
  });

  it('without fields answers every field of the series', async () => {
    const q = await get<QueryAnswer>(`${s.dataUrl}/v1/query?symbol=${BAR_SYM}&start=${T0}&end=${T0 + DAY}`);
    expect([...q.json.columns].sort()).toEqual(['amount', 'close', 'high', 'low', 'open', 'timestamp', 'volume']);
    expect(q.json.columns[0]).toBe('timestamp');
    expect(q.json.rows.map((r) => r[0])).toEqual([0, 1, 2, 5, 6].map((i) => T0 + i * 60));
  });

  it('format=csv answers a header line and one line a row', async () => {
    const r = await fetch(`${s.dataUrl}/v1/query?symbol=${BAR_SYM}&start=${T0}&end=${T0 + 180}&fields=open,close,volume&format=csv`);
    expect(r.headers.get('content-type')).toMatch(/text\/csv/);
    expect(await r.text()).toBe(
      `timestamp,open,close,volume\n${T0},10,10.5,1000\n${T0 + 60},11,11.5,2000\n${T0 + 120},12,12.5,3000\n`,
    );
  });

  it('a symbol with no data answers an empty row list', async () => {
    const q = await get<QueryAnswer>(`${s.dataUrl}/v1/query?symbol=stock.SH.none&start=${T0}&end=${T0 + 10}`);
    expect(q.status).toBe(200);
    expect(q.json).toMatchObject({ symbol: 'stock.SH.none', interval: null, rows: [] });
  });
});

describe('candles match a naive reference', () => {
  const start = T0 - 2 * 3600 + 17; // not aligned: the first candle's bucket starts before it
  const end = T0 + DAY + 5 * 3600;
  const cases: [string, string | undefined, number, number][] = [
    ['1h', undefined, 3600, 8 * 3600], // default zone of SH: Asia/Shanghai (+08:00)
    ['15m', undefined, 900, 8 * 3600],
    ['4h', undefined, 4 * 3600, 8 * 3600], // local 00/04/08… = UTC 16/20/00…
    ['1d', undefined, DAY, 8 * 3600], // Shanghai midnight = 16:00 UTC
    ['1d', 'UTC', DAY, 0],
    ['1h', 'Asia/Kolkata', 3600, 5.5 * 3600], // half-hour offset
  ];
  it.each(cases)('interval=%s tz=%s', async (interval, tz, width, offset) => {
    const url = `${s.dataUrl}/v1/query?symbol=${TICK_SYM}&start=${start}&end=${end}&interval=${interval}${tz ? `&tz=${tz}` : ''}`;
    const q = await get<QueryAnswer>(url);
    expect(q.status, q.text).toBe(200);
    expect(q.json.interval).toBe(interval);
    expect(q.json.columns).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume']);
    const want = naiveCandles(TICKS, start, end, width, offset);
    expect(want.length).toBeGreaterThanOrEqual(2);
    expect(q.json.rows).toEqual(want);
  });

  it('bars aggregate open=first, high=max, low=min, close=last, volume/amount=sum', async () => {
    const q = await get<QueryAnswer>(`${s.dataUrl}/v1/query?symbol=${BAR_SYM}&start=${T0}&end=${T0 + 600}&interval=5m&tz=UTC`);
    expect(q.json.columns).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume', 'amount']);
    // rows at minutes 0,1,2 | 5,6 (open 10+i, high 11+i, low 9+i, close 10.5+i)
    expect(q.json.rows).toEqual([
      [T0, 10, 13, 9, 12.5, 6000, 63_000],
      [T0 + 300, 15, 17, 14, 16.5, 13_000, 136_500],
    ]);
  });

  it('fill=null emits every bucket of the range; fill=prev carries the close, volume 0', async () => {
    const base = `${s.dataUrl}/v1/query?symbol=${BAR_SYM}&start=${T0}&end=${T0 + 420}&interval=1m&tz=UTC&fields=open,close,volume`;
    const n = await get<QueryAnswer>(`${base}&fill=null`);
    expect(n.json.rows).toEqual([
      [T0, 10, 10.5, 1000],
      [T0 + 60, 11, 11.5, 2000],
      [T0 + 120, 12, 12.5, 3000],
      [T0 + 180, null, null, null],
      [T0 + 240, null, null, null],
      [T0 + 300, 15, 15.5, 6000],
      [T0 + 360, 16, 16.5, 7000],
    ]);
    const p = await get<QueryAnswer>(`${base}&fill=prev`);
    expect(p.json.rows[3]).toEqual([T0 + 180, 12.5, 12.5, 0]);
  });
});

describe('POST /v1/query/batch, GET /v1/latest, GET /v1/symbols', () => {
  it('batch answers one result per symbol, in request order, like /v1/query', async () => {
    const start = T0;
    const end = T0 + DAY;
    const r = await post<{ results: QueryAnswer[] }>(`${s.dataUrl}/v1/query/batch`, {
      symbols: [BAR_SYM, 'stock.SH.none', TICK_SYM],
      start,
      end,
      interval: '1d',
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json.results.map((x) => x.symbol)).toEqual([BAR_SYM, 'stock.SH.none', TICK_SYM]);
    expect(r.json.results[1]!.rows).toEqual([]);
    const single = await get<QueryAnswer>(`${s.dataUrl}/v1/query?symbol=${TICK_SYM}&start=${start}&end=${end}&interval=1d`);
    expect(r.json.results[2]).toEqual(single.json);
  });

  it('batch takes precision, fields and tz in the body', async () => {
    const r = await post<{ results: QueryAnswer[] }>(`${s.dataUrl}/v1/query/batch`, {
      symbols: [BAR_SYM],
      start: T0 * 1000,
      end: (T0 + 120) * 1000,
      precision: 'ms',
      fields: ['close'],
    });
    expect(r.json.results[0]).toEqual({ symbol: BAR_SYM, interval: null, columns: ['timestamp', 'close'], rows: [[T0 * 1000, 10.5], [(T0 + 60) * 1000, 11.5]] });
  });

  it('latest answers the last row of each symbol (empty rows when none)', async () => {
    const r = await get<{ results: QueryAnswer[] }>(`${s.dataUrl}/v1/latest?symbols=${TICK_SYM},stock.SH.none,${BAR_SYM}`);
    expect(r.status, r.text).toBe(200);
    const last = TICKS[TICKS.length - 1]!;
    const [a, b, c] = r.json.results;
    expect(a!.symbol).toBe(TICK_SYM);
    expect(a!.rows).toHaveLength(1);
    const row = Object.fromEntries(a!.columns.map((col, i) => [col, a!.rows[0]![i]]));
    expect(row).toEqual({ timestamp: last.t, price: last.price, volume: last.volume });
    expect(b).toMatchObject({ symbol: 'stock.SH.none', rows: [] });
    expect(c!.rows[0]![0]).toBe(T0 + 360);
  });

  it('symbols answers the known symbols with the prefix, sorted', async () => {
    const all = await get<{ symbols: string[] }>(`${s.dataUrl}/v1/symbols`);
    expect(all.json.symbols).toEqual([...all.json.symbols].sort());
    expect(all.json.symbols).toEqual(expect.arrayContaining([TICK_SYM, BAR_SYM, 'stock.US.AAPL']));
    const us = await get<{ symbols: string[] }>(`${s.dataUrl}/v1/symbols?prefix=stock.US.`);
    expect(us.json).toEqual({ symbols: ['stock.US.AAPL', 'stock.US.MSFT'] });
  });
});

describe('routing', () => {
  it('an unknown route is a JSON 404; a wrong method a JSON 405 with Allow', async () => {
    const nf = await get(`${s.dataUrl}/v2/nothing`);
    expect(nf.status).toBe(404);
    expect(nf.json).toEqual({ error: { code: 'not_found', message: 'no route for GET /v2/nothing' } });
    const na = await get(`${s.dataUrl}/v1/write`);
    expect(na.status).toBe(405);
    expect(na.headers.get('allow')).toBe('POST');
    expect(na.json.error.code).toBe('method_not_allowed');
  });
});
