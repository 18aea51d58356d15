/**
 * What Influx client libraries and Telegraf rely on: /ping with X-Influxdb-Version, the v1
 * `/write` and v2 `/api/v2/write` paths with every precision spelling (default ns), gzip bodies,
 * 204 answers, Influx-shaped JSON errors, and Telegraf's startup `CREATE DATABASE`.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, get, post, type QueryAnswer } from '../helpers/http-calls.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const T = 1633046400;
let s: ServerProcess;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s?.stop();
  s?.cleanup();
});

async function rowsOf(symbol: string, fields = 'price'): Promise<(number | null)[][]> {
  const q = await get<QueryAnswer>(`${s.dataUrl}/v1/query?symbol=${symbol}&start=${(T - 100) * 1e6}&end=${(T + 100) * 1e6}&fields=${fields}&precision=us`);
  expect(q.status, q.text).toBe(200);
  return q.json.rows;
}

describe('/ping', () => {
  it('GET and HEAD answer 204 with X-Influxdb-Version', async () => {
    for (const method of ['GET', 'HEAD']) {
      const r = await call(`${s.dataUrl}/ping`, { method });
      expect(r.status).toBe(204);
      expect(r.headers.get('x-influxdb-version')).toMatch(/^\d+\.\d+/);
      expect(r.text).toBe('');
    }
  });
});

describe('v1 /write', () => {
  it.each([
    ['(default ns)', '', `${T}123456789`, T * 1e6 + 123456],
    ['n', 'n', `${T}123456789`, T * 1e6 + 123456],
    ['ns', 'ns', `${T}000000001`, T * 1e6],
    ['u', 'u', `${T}000042`, T * 1e6 + 42],
    ['us', 'us', `${T}000043`, T * 1e6 + 43],
    ['ms', 'ms', `${T}007`, T * 1e6 + 7000],
    ['s', 's', `${T}`, T * 1e6],
  ])('precision %s → 204 and the row at the right µs', async (_name, precision, ts, us) => {
    const sym = `influx.v1.p${precision || 'default'}`;
    const r = await post(`${s.dataUrl}/write?db=telegraf&rp=autogen${precision ? `&precision=${precision}` : ''}`, `${sym},host=a price=1.5 ${ts}\n`);
    expect(r.status, r.text).toBe(204);
    expect(r.text).toBe('');
    expect(await rowsOf(sym)).toEqual([[us, 1.5]]);
  });

  it('the symbol tag names the series when present; integer fields (i, u) are stored', async () => {
    const r = await post(`${s.dataUrl}/write?precision=s`, `bars,symbol=stock.SH.600519,exchange=SH open=10.5,close=11,volume=1200i,trades=7u ${T}\n`);
    expect(r.status, r.text).toBe(204);
    expect(await rowsOf('stock.SH.600519', 'open,close,volume,trades')).toEqual([[T * 1e6, 10.5, 11, 1200, 7]]);
    expect((await get(`${s.dataUrl}/v1/symbols?prefix=bars`)).json.symbols).toEqual([]);
  });

  it('errors are {"error": message} with status 400', async () => {
    const r = await post(`${s.dataUrl}/write?precision=s`, `influx.v1.bad price="x" ${T}`);
    expect(r.status).toBe(400);
    expect(Object.keys(r.json)).toEqual(['error']);
    expect(r.json.error).toMatch(/line 1/);
  });
});

describe('v2 /api/v2/write', () => {
  it.each(['ns', 'us', 'ms', 's'])('precision=%s → 204', async (precision) => {
    const mult = { ns: 1e9, us: 1e6, ms: 1e3, s: 1 }[precision]!;
    const sym = `influx.v2.${precision}`;
    const r = await post(`${s.dataUrl}/api/v2/write?org=acme&bucket=market&precision=${precision}`, `${sym} price=2 ${T * mult}`, {
      'Content-Type': 'text/plain; charset=utf-8',
    });
    expect(r.status, r.text).toBe(204);
    expect(await rowsOf(sym)).toEqual([[T * 1e6, 2]]);
  });

  it('takes gzip bodies as influxdb-client sends them', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `influx.v2.gz price=${i} ${(T + i) * 1e9}`).join('\n');
    const r = await post(`${s.dataUrl}/api/v2/write?org=o&bucket=b`, new Uint8Array(gzipSync(lines)), { 'Content-Encoding': 'gzip' });
    expect(r.status, r.text).toBe(204);
    const q = await get<QueryAnswer>(`${s.dataUrl}/v1/query?symbol=influx.v2.gz&start=${T}&end=${T + 100}&fields=price`);
    expect(q.json.rows).toHaveLength(100);
  });

  it('errors are {"code": "invalid", "message"} with status 400', async () => {
    const r = await post(`${s.dataUrl}/api/v2/write?precision=s`, `ok price=1 ${T}\ninflux.v2.bad price=true ${T}`);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 'invalid', message: expect.stringMatching(/line 2/) });
    const p = await post(`${s.dataUrl}/api/v2/write?precision=minutes`, `x price=1`);
    expect(p.status).toBe(400);
    expect(p.json.code).toBe('invalid');
    expect(p.json.message).toMatch(/precision/);
  });
});

describe('/query', () => {
  it('accepts Telegraf\'s CREATE DATABASE as a no-op and refuses other InfluxQL', async () => {
    const ok = await post(`${s.dataUrl}/query`, 'q=CREATE+DATABASE+%22telegraf%22', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ results: [{ statement_id: 0 }] });
    const no = await get(`${s.dataUrl}/query?q=${encodeURIComponent('SELECT * FROM cpu')}`);
    expect(no.status).toBe(400);
    expect(no.json.error).toMatch(/\/v1\/query/);
  });
});
