/**
 * Bad input on every data route → a 4xx whose JSON message names what is wrong (parameter, row,
 * field, line), never a stack trace; and a query afterwards proves that nothing of a rejected
 * write was stored (every write case uses symbols under the `bad.` prefix, most with a valid row
 * before the bad one).
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, get, post, type QueryAnswer } from '../helpers/http-calls.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const MAX_BODY = 64 * 1024;
const T = 1633046400;

let s: ServerProcess;
beforeAll(async () => {
  s = await startServer({ config: { network: { max_body_size: MAX_BODY } } });
  // One good series so that query errors are not just "no data".
  const ok = await post(`${s.dataUrl}/v1/write`, { symbol: 'good.one', rows: [{ timestamp: T, price: 1, volume: 1 }] });
  expect(ok.status).toBe(200);
});
afterAll(async () => {
  await s?.stop();
  s?.cleanup();
});

/** A JSON row of symbol `sym`. */
const row = (sym: string, extra: Record<string, unknown> = {}) => ({ symbol: sym, timestamp: T, open: 1, close: 2, volume: 3, ...extra });

interface Case {
  name: string;
  path: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
  status: number;
  /** every pattern must match the error message */
  says: RegExp[];
  /** symbols that must have no data afterwards */
  symbols: string[];
}

const json = (v: unknown) => JSON.stringify(v);

const writeCases: Case[] = [
  { name: 'malformed JSON', path: '/v1/write', body: '{"symbol": "bad.j1", "rows": [', status: 400, says: [/json/i], symbols: ['bad.j1'] },
  {
    name: 'a string as a field value (row 2)',
    path: '/v1/write',
    body: json([row('bad.j2'), row('bad.j2', { timestamp: T + 1, open: '10.5' })]),
    status: 400,
    says: [/open/, /row/i],
    symbols: ['bad.j2'],
  },
  {
    name: 'a boolean as a field value',
    path: '/v1/write',
    body: json({ symbol: 'bad.j3', rows: [{ timestamp: T, price: 1 }, { timestamp: T + 1, price: true }] }),
    status: 400,
    says: [/price/, /row/i],
    symbols: ['bad.j3'],
  },
  {
    name: 'a missing timestamp',
    path: '/v1/write',
    body: json({ symbol: 'bad.j4', rows: [{ timestamp: T, price: 1 }, { price: 2 }] }),
    status: 400,
    says: [/timestamp/],
    symbols: ['bad.j4'],
  },
  {
    name: 'an infinite number (1e999)',
    path: '/v1/write',
    body: `[{"symbol":"bad.j5","timestamp":${T},"price":1},{"symbol":"bad.j5","timestamp":${T + 1},"price":1e999}]`,
    status: 400,
    says: [/price/],
    symbols: ['bad.j5'],
  },
  { name: 'NaN (not JSON)', path: '/v1/write', body: `[{"symbol":"bad.j6","timestamp":${T},"price":NaN}]`, status: 400, says: [/json/i], symbols: ['bad.j6'] },
  {
    name: 'a timestamp that is not a number',
    path: '/v1/write',
    body: json([row('bad.j7'), row('bad.j7', { timestamp: 'yesterday' })]),
    status: 400,
    says: [/timestamp/],
    symbols: ['bad.j7'],
  },
  {
    name: 'a timestamp far outside the storable range (ms sent as s)',
    path: '/v1/write',
    body: json([row('bad.j8'), row('bad.j8', { timestamp: T * 1e6 })]),
    status: 400,
    says: [/timestamp/],
    symbols: ['bad.j8'],
  },
  { name: 'an unknown precision', path: '/v1/write?precision=h', body: json([row('bad.j9')]), status: 400, says: [/precision/], symbols: ['bad.j9'] },
  {
    name: 'a symbol outside the charset',
    path: '/v1/write',
    body: json([row('bad.j10'), row('bad j10/x')]),
    status: 400,
    says: [/symbol/],
    symbols: ['bad.j10'],
  },
  { name: 'a missing symbol', path: '/v1/write', body: json({ rows: [{ timestamp: T, price: 1 }] }), status: 400, says: [/symbol/], symbols: [] },
  {
    name: 'a field name outside the charset',
    path: '/v1/write',
    body: json([row('bad.j11'), row('bad.j11', { 'bad field': 1 })]),
    status: 400,
    says: [/bad field/],
    symbols: ['bad.j11'],
  },
  {
    name: 'a body over network.max_body_size (Content-Length)',
    path: '/v1/write',
    body: json([row('bad.j12'), ...Array.from({ length: 2000 }, (_, i) => row('bad.j12', { timestamp: T + i + 1 }))]),
    status: 413,
    says: [/max_body_size/],
    symbols: ['bad.j12'],
  },
  {
    name: 'a gzip body that inflates past network.max_body_size',
    path: '/write',
    body: gzipSync(Buffer.from(Array.from({ length: 5000 }, (_, i) => `bad.l9 price=1 ${T + i}000000000`).join('\n'))),
    headers: { 'Content-Encoding': 'gzip' },
    status: 413,
    says: [/max_body_size/],
    symbols: ['bad.l9'],
  },
  { name: 'line protocol: no fields', path: '/write', body: `bad.l1 price=1 ${T}000000000\nbad.l1,host=a`, status: 400, says: [/line 2/], symbols: ['bad.l1'] },
  {
    name: 'line protocol: a string field',
    path: '/api/v2/write',
    body: `bad.l2 price=1 ${T}000000000\nbad.l2 price="abc" ${T + 1}000000000`,
    status: 400,
    says: [/line 2/, /string/i],
    symbols: ['bad.l2'],
  },
  { name: 'line protocol: a boolean field', path: '/write', body: `bad.l3 price=1\nbad.l3 price=t`, status: 400, says: [/line 2/, /bool/i], symbols: ['bad.l3'] },
  { name: 'line protocol: a bad timestamp', path: '/write', body: `bad.l4 price=1 ${T}000000000\nbad.l4 price=2 12abc`, status: 400, says: [/line 2/, /timestamp/i], symbols: ['bad.l4'] },
  { name: 'line protocol: NaN', path: '/write', body: `bad.l5 price=1\nbad.l5 price=NaN`, status: 400, says: [/line 2/], symbols: ['bad.l5'] },
  { name: 'line protocol: an unknown precision', path: '/write?precision=h', body: `bad.l6 price=1 ${T}`, status: 400, says: [/precision/], symbols: ['bad.l6'] },
  {
    name: 'line protocol: a symbol tag outside the charset',
    path: '/api/v2/write',
    body: `m,symbol=bad.l7 price=1 ${T}000000000\nm,symbol=bad/l7 price=1 ${T}000000000`,
    status: 400,
    says: [/line 2/, /symbol/],
    symbols: ['bad.l7'],
  },
];

describe('rejected writes', () => {
  it.each(writeCases)('$name → $status naming it, nothing stored', async (c) => {
    const r = await call(`${s.dataUrl}${c.path}`, {
      method: 'POST',
      body: c.body,
      headers: { 'Content-Type': c.path === '/v1/write' ? 'application/json' : 'text/plain', ...c.headers },
    });
    expect(r.status, r.text).toBe(c.status);
    const message = messageOf(c.path, r.json);
    for (const re of c.says) expect(message, r.text).toMatch(re);
    expect(r.text).not.toMatch(/\n\s+at /); // no stack traces
    for (const sym of c.symbols) {
      const q = await get<QueryAnswer>(`${s.dataUrl}/v1/query?symbol=${sym}&start=${T - 10}&end=${T + 100_000}`);
      expect(q.json.rows, sym).toEqual([]);
    }
  });

  it('a chunked body (no Content-Length) over max_body_size → 413, nothing stored', async () => {
    const line = new TextEncoder().encode(JSON.stringify(row('bad.c1')) + '\n');
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        // NDJSON rows; far more than MAX_BODY in total. Stops early if the server hangs up.
        if (sent > MAX_BODY * 4) return ctrl.close();
        sent += line.length;
        ctrl.enqueue(line);
      },
    });
    let status = 0;
    let text = '';
    try {
      const r = await fetch(`${s.dataUrl}/v1/write`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson' }, duplex: 'half' } as RequestInit);
      status = r.status;
      text = await r.text();
    } catch (err) {
      // The server may close the connection while the client is still sending; that is a refusal too.
      status = -1;
      text = String(err);
    }
    if (status !== -1) {
      expect(status, text).toBe(413);
      expect(JSON.parse(text).error.message).toMatch(/max_body_size/);
    }
    const q = await get<QueryAnswer>(`${s.dataUrl}/v1/query?symbol=bad.c1&start=${T - 10}&end=${T + 10}`);
    expect(q.json.rows).toEqual([]);
  });

  it('nothing under the bad. prefix was stored by any rejected request', async () => {
    const r = await get<{ symbols: string[] }>(`${s.dataUrl}/v1/symbols?prefix=bad.`);
    expect(r.json.symbols).toEqual([]);
  });
});

const q = (params: string) => `/v1/query?${params}`;
const queryCases: [string, string, RegExp][] = [
  ['missing symbol', q(`start=${T}&end=${T + 1}`), /"symbol"/],
  ['symbol outside the charset', q(`symbol=bad%20sym&start=${T}&end=${T + 1}`), /"symbol"/],
  ['missing start', q(`symbol=good.one&end=${T + 1}`), /"start"/],
  ['start not a number', q(`symbol=good.one&start=abc&end=${T + 1}`), /"start"/],
  ['end before start', q(`symbol=good.one&start=${T}&end=${T - 1}`), /"end"/],
  ['bad interval', q(`symbol=good.one&start=${T}&end=${T + 1}&interval=7x`), /interval/],
  ['zero interval', q(`symbol=good.one&start=${T}&end=${T + 1}&interval=0m`), /interval/],
  ['unknown tz', q(`symbol=good.one&start=${T}&end=${T + 1}&interval=1h&tz=Mars/Olympus`), /tz|time zone/],
  ['bad fill', q(`symbol=good.one&start=${T}&end=${T + 1}&interval=1h&fill=zero`), /"fill"/],
  ['fill without interval', q(`symbol=good.one&start=${T}&end=${T + 1}&fill=null`), /"fill"/],
  ['bad format', q(`symbol=good.one&start=${T}&end=${T + 1}&format=xml`), /"format"/],
  ['bad precision', q(`symbol=good.one&start=${T}&end=${T + 1}&precision=h`), /precision/],
  ['bad fields', q(`symbol=good.one&start=${T}&end=${T + 1}&fields=a,,b`), /"fields"/],
  ['latest without symbols', '/v1/latest', /"symbols"/],
  ['latest with a bad symbol', '/v1/latest?symbols=good.one,bad%20x', /symbols\[1\]/],
  ['symbols with a bad prefix', '/v1/symbols?prefix=a%20b', /"prefix"/],
];

describe('rejected queries', () => {
  it.each(queryCases)('%s → 400 naming it', async (_name, path, says) => {
    const r = await get(`${s.dataUrl}${path}`);
    expect(r.status, r.text).toBe(400);
    expect(r.json.error.code).toBeTypeOf('string');
    expect(r.json.error.message).toMatch(says);
  });

  it.each([
    ['malformed JSON', '{"symbols": [', /JSON/],
    ['symbols not a list', json({ symbols: 'good.one', start: T, end: T + 1 }), /"symbols/],
    ['missing start', json({ symbols: ['good.one'], end: T + 1 }), /"start"/],
    ['a bad symbol in the list', json({ symbols: ['good.one', 'x y'], start: T, end: T + 1 }), /symbols\[1\]/],
    ['bad interval', json({ symbols: ['good.one'], start: T, end: T + 1, interval: 'hourly' }), /interval/],
  ])('batch: %s → 400 naming it', async (_name, body, says) => {
    const r = await post(`${s.dataUrl}/v1/query/batch`, body, { 'Content-Type': 'application/json' });
    expect(r.status, r.text).toBe(400);
    expect(r.json.error.message).toMatch(says);
  });
});

/** The error message in our shape or an Influx shape (by path). */
function messageOf(path: string, body: any): string {
  if (path.startsWith('/api/v2/')) {
    expect(body.code).toBeTypeOf('string');
    return body.message;
  }
  if (path.startsWith('/write')) return body.error;
  expect(body.error.code).toBeTypeOf('string');
  return body.error.message;
}
