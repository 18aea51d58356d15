/**
 * Request bounds: network.max_connections (past the limit of requests in progress the server
 * answers 503 with Retry-After, counts the refusal, and recovers once they finish) and
 * query.max_rows (an answer, also a whole batch answer, is never larger).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post } from '../helpers/http-calls.ts';
import { sleep, startServer, type ServerProcess } from '../helpers/server-process.ts';

const T = 1633046400;
let s: ServerProcess;
beforeAll(async () => {
  s = await startServer({ config: { network: { max_connections: 2 }, query: { max_rows: 15 } } });
});
afterAll(async () => {
  await s?.stop();
  s?.cleanup();
});

/** A write whose body trickles in for ~`ms`, holding one request slot meanwhile. */
function slowWrite(symbol: string, ms: number): Promise<Response> {
  const steps = 10;
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      if (i === steps) return ctrl.close();
      await sleep(ms / steps);
      ctrl.enqueue(new TextEncoder().encode(JSON.stringify({ symbol, timestamp: T + i++, price: 1 }) + '\n'));
    },
  });
  return fetch(`${s.dataUrl}/v1/write`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson' }, duplex: 'half' } as RequestInit);
}

describe('network.max_connections', () => {
  it('answers 503 + Retry-After past the limit, then recovers', async () => {
    const held = [slowWrite('lim.a', 1500), slowWrite('lim.b', 1500)];
    await sleep(400);
    const refused = await get(`${s.dataUrl}/v1/symbols`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.json.error.code).toBe('too_many_connections');
    expect(refused.json.error.message).toMatch(/max_connections \(2\)/);
    for (const r of await Promise.all(held)) expect(r.status).toBe(200);
    const after = await get(`${s.dataUrl}/v1/symbols`);
    expect(after.status).toBe(200);
    expect(after.json.symbols).toEqual(['lim.a', 'lim.b']);
    const metrics = await (await fetch(`${s.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/stock_tsdb_http_requests_rejected_total\{reason="connections"\} 1/);
  });
});

describe('query.max_rows', () => {
  it('refuses a raw answer or a batch answer over the bound with a 400 naming it', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ timestamp: T + i, price: i }));
    for (const symbol of ['rows.a', 'rows.b']) expect((await post(`${s.dataUrl}/v1/write`, { symbol, rows })).status).toBe(200);
    expect((await get(`${s.dataUrl}/v1/query?symbol=rows.a&start=${T}&end=${T + 10}`)).json.rows).toHaveLength(10);
    const batch = await post(`${s.dataUrl}/v1/query/batch`, { symbols: ['rows.a', 'rows.b'], start: T, end: T + 10 });
    expect(batch.status).toBe(400);
    expect(batch.json.error).toMatchObject({ code: 'too_many_result_rows', message: expect.stringMatching(/query\.max_rows/) });
    const candles = await post(`${s.dataUrl}/v1/query/batch`, { symbols: ['rows.a', 'rows.b'], start: T, end: T + 10, interval: '5s' });
    expect(candles.status).toBe(200);
  });
});
