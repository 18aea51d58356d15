/**
 * The client SDK against a real server: the original Lua client's calls (connect, write, query
 * with aggregation, batch_query) and their camelCase aliases, latest, symbols, line protocol,
 * typed errors, and retries on 503 honoring Retry-After.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, toRecords, TsdbClientError, type TsdbClient } from '../../data-plane/src/client/index.ts';
import { sleep, startServer, type ServerProcess } from '../helpers/server-process.ts';

const T = 1633046400; // the original doc's example timestamp
let s: ServerProcess;
let client: TsdbClient;
beforeAll(async () => {
  s = await startServer({ config: { network: { max_connections: 1 } } });
  client = connect(s.host, s.dataPort);
});
afterAll(async () => {
  await s?.stop();
  s?.cleanup();
});

describe('client SDK', () => {
  it('write() one row as in the original doc, then query() it back', async () => {
    const r = await client.write('stock.SH.000001', { timestamp: T, open: 10.5, high: 11.2, low: 10.3, close: 10.8, volume: 1000000 });
    expect(r).toEqual({ written: 1 });
    const q = await client.query('stock.SH.000001', { start_time: T, end_time: T + 86400, fields: ['open', 'close'] });
    expect(q).toEqual({ symbol: 'stock.SH.000001', interval: null, columns: ['timestamp', 'open', 'close'], rows: [[T, 10.5, 10.8]] });
    expect(toRecords(q)).toEqual([{ timestamp: T, open: 10.5, close: 10.8 }]);
  });

  it('write() many rows (split into batches), query() with aggregation "1h"', async () => {
    const small = connect(s.host, s.dataPort, { batchSize: 100 });
    const rows = Array.from({ length: 250 }, (_, i) => ({ timestamp: T + i * 60, price: 100 + i, volume: 1 }));
    expect(await small.write('stock.SZ.000001', rows)).toEqual({ written: 250 });
    const q = await client.query('stock.SZ.000001', { start_time: T, end_time: T + 86400, aggregation: '1h' });
    expect(q.interval).toBe('1h');
    expect(q.columns).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume']);
    expect(q.rows[0]).toEqual([T, 100, 159, 100, 159, 60]);
    expect(q.rows.reduce((n, r) => n + (r[5] as number), 0)).toBe(250);
  });

  it('batch_query() and batchQuery() answer per symbol in order', async () => {
    const symbols = ['stock.SH.000001', 'stock.SZ.000001', 'stock.SH.600519'];
    const range = { start_time: T, end_time: T + 86400 };
    const a = await client.batch_query(symbols, range);
    const b = await client.batchQuery(symbols, { startTime: T, endTime: T + 86400 });
    expect(a).toEqual(b);
    expect(a.map((r) => [r.symbol, r.rows.length])).toEqual([
      ['stock.SH.000001', 1],
      ['stock.SZ.000001', 250],
      ['stock.SH.600519', 0],
    ]);
  });

  it('latest(), symbols(), writeLineProtocol()', async () => {
    const [l] = await client.latest(['stock.SZ.000001']);
    expect(l!.rows).toEqual([[T + 249 * 60, 349, 1]]);
    await client.writeLineProtocol(`stock.SH.600519 price=1700 ${T}000000000`);
    expect(await client.symbols('stock.SH.')).toEqual(['stock.SH.000001', 'stock.SH.600519']);
  });

  it('errors are TsdbClientError with status, code and the server message', async () => {
    const err = await client.query('bad symbol', { start_time: T, end_time: T + 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(TsdbClientError);
    expect(err).toMatchObject({ status: 400, code: expect.any(String) });
    expect(err.message).toMatch(/"symbol"/);
    const down = await connect(s.host, 1, { maxRetries: 0 }).symbols().catch((e) => e);
    expect(down).toMatchObject({ status: 0, code: 'network_error' });
  });

  it('retries a 503 (max_connections) after Retry-After and then succeeds', async () => {
    // Hold the server's only request slot for ~1.5 s with a slowly streamed write.
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        if (i === 10) return ctrl.close();
        await sleep(150);
        ctrl.enqueue(new TextEncoder().encode(JSON.stringify({ symbol: 'stock.SH.hold', timestamp: T + i++, price: 1 }) + '\n'));
      },
    });
    const held = fetch(`${s.dataUrl}/v1/write`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson' }, duplex: 'half' } as RequestInit);
    await sleep(200);
    const noRetry = await connect(s.host, s.dataPort, { maxRetries: 0 }).symbols().catch((e) => e);
    expect(noRetry).toMatchObject({ status: 503, code: 'too_many_connections', retryAfterSec: 1 });
    const t0 = Date.now();
    const syms = await connect(s.host, s.dataPort, { maxRetries: 5 }).symbols('stock.SH.hold');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect((await held).status).toBe(200);
    expect(syms).toEqual(['stock.SH.hold']);
  });
});
