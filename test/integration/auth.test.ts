/**
 * Auth scopes (config.auth): read routes need read, write routes write, admin implies both;
 * 401 without or with an unknown token, 403 without the scope; Influx clients' `Token`,
 * Basic and `u`/`p` credentials work; /ping and the metrics port stay open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post } from '../helpers/http-calls.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const T = 1633046400;
let s: ServerProcess;
beforeAll(async () => {
  s = await startServer({
    config: {
      auth: {
        enabled: true,
        tokens: [
          { token: 'r-token', scopes: ['read'] },
          { token: 'w-token', scopes: ['write'] },
          { token: 'a-token', scopes: ['admin'] },
        ],
      },
    },
  });
});
afterAll(async () => {
  await s?.stop();
  s?.cleanup();
});

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const write = (headers: Record<string, string>) =>
  post(`${s.dataUrl}/v1/write`, { symbol: 'auth.s', rows: [{ timestamp: T, price: 1 }] }, headers);
const query = (headers: Record<string, string>) => get(`${s.dataUrl}/v1/query?symbol=auth.s&start=${T}&end=${T + 1}`, headers);

describe('auth', () => {
  it('401 without a token or with an unknown one, with a JSON error and WWW-Authenticate', async () => {
    for (const headers of [{}, bearer('nope')]) {
      const r = await query(headers);
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe('unauthorized');
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('write routes need write, read routes need read (403 otherwise); admin does both', async () => {
    expect((await write(bearer('r-token'))).status).toBe(403);
    expect((await write(bearer('w-token'))).status).toBe(200);
    expect((await write(bearer('a-token'))).status).toBe(200);
    const denied = await query(bearer('w-token'));
    expect(denied.status).toBe(403);
    expect(denied.json.error).toEqual({ code: 'forbidden', message: 'token lacks the "read" scope needed here' });
    expect((await query(bearer('r-token'))).status).toBe(200);
    expect((await query(bearer('a-token'))).status).toBe(200);
    expect((await get(`${s.dataUrl}/v1/symbols`, bearer('r-token'))).json).toEqual({ symbols: ['auth.s'] });
  });

  it('Influx credentials: Token header (v2), u/p parameters and Basic (v1)', async () => {
    const lp = `auth.lp price=1 ${T}000000000`;
    expect((await post(`${s.dataUrl}/api/v2/write?org=o&bucket=b`, lp, { Authorization: 'Token w-token' })).status).toBe(204);
    expect((await post(`${s.dataUrl}/write?db=x&u=me&p=w-token`, lp)).status).toBe(204);
    const basic = `Basic ${Buffer.from('me:w-token').toString('base64')}`;
    expect((await post(`${s.dataUrl}/write?db=x`, lp, { Authorization: basic })).status).toBe(204);
    const v2 = await post(`${s.dataUrl}/api/v2/write`, lp);
    expect(v2.status).toBe(401);
    expect(v2.json).toEqual({ code: 'unauthorized', message: expect.stringMatching(/credentials/) });
    const v1 = await post(`${s.dataUrl}/write?u=me&p=r-token`, lp);
    expect(v1.status).toBe(403);
    expect(v1.json).toEqual({ error: expect.stringMatching(/"write" scope/) });
  });

  it('/ping, /health and /metrics need no token', async () => {
    expect((await get(`${s.dataUrl}/ping`)).status).toBe(204);
    expect((await get(`${s.metricsUrl}/health`)).status).toBe(200);
    expect((await get(`${s.metricsUrl}/metrics`)).status).toBe(200);
  });
});
