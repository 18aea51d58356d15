import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onErrorHandler, type AppVariables } from '../../http/error-mapping.ts';
import type { SeriesRows } from '../../model.ts';
import { Engine } from '../../storage/engine.ts';
import { engineMetaKey } from '../../storage/keys.ts';
import { vnodeOf } from '../../storage/vnode-of.ts';
import { registerHandoffRoutes } from './handoff-routes.ts';
import { PullJobs } from './pull-jobs.ts';
import { verifyReplicas } from './verify-replicas.ts';

const S = 1e6;
const T0 = 1_700_000_000 * S;
const TOKEN = 'test-cluster-token';

function rows(symbol: string, start: number, n: number, seed: number): SeriesRows {
  const ts = Float64Array.from({ length: n }, (_, i) => start + i * S);
  const price = Float64Array.from({ length: n }, (_, i) => Math.round((100 + seed + i * 0.01) * 100) / 100);
  const volume = Float64Array.from({ length: n }, (_, i) => 100 * ((i + seed) % 30));
  return { symbol, ts, columns: new Map([['price', price], ['volume', volume]]) };
}

/** Serves a Hono app over real loopback HTTP from Node (Vitest's runtime). */
/** Breaks the next export stream after `n` bytes, once `until()` holds (if given). */
interface Breaker {
  n: number;
  until?: () => Promise<boolean>;
}

function serve(app: Hono<any>, breakAfterBytes: Breaker): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const init: RequestInit & { duplex?: string } = { method: req.method, headers: req.headers as Record<string, string> };
    if (req.method !== 'GET' && req.method !== 'HEAD') Object.assign(init, { body: Readable.toWeb(req), duplex: 'half' });
    const answer = await app.fetch(new Request(`http://127.0.0.1${req.url}`, init));
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    let sent = 0;
    if (answer.body) {
      for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>) {
        sent += chunk.length;
        // Simulates a source that dies mid-stream once (the receiver must resume, not restart).
        if (breakAfterBytes.n > 0 && sent > breakAfterBytes.n) {
          const keep = chunk.length - (sent - breakAfterBytes.n);
          const until = breakAfterBytes.until;
          breakAfterBytes.n = 0;
          breakAfterBytes.until = undefined;
          await new Promise<void>((done) => res.write(chunk.subarray(0, keep), () => done()));
          // Dies only once the receiver got that far (a broken connection may drop bytes the
          // receiver had not read yet, which would make "resumed, not restarted" a race).
          for (let k = 0; until && k < 500 && !(await until()); k++) await new Promise((r) => setTimeout(r, 10));
          res.destroy();
          return;
        }
        res.write(chunk);
      }
    }
    res.end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

describe('vnode handoff over HTTP (pull, resume, verify)', () => {
  const dirs: string[] = [];
  const engines: Engine[] = [];
  const servers: Server[] = [];
  let src: Engine;
  let dst: Engine;
  let jobs: PullJobs;
  let srcJobs: PullJobs;
  const urls: string[] = [];
  const breaker: Breaker = { n: 0 };

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'handoff-'));
      dirs.push(dataDir);
      engines.push(await Engine.open({ dataDir, workerThreads: 1, segmentMaxRows: 200, idleSealMs: 3_600_000 }));
    }
    [src, dst] = engines;
    const apps = engines.map((engine) => {
      const app = new Hono<{ Variables: AppVariables }>();
      app.onError(onErrorHandler({ logger: { error() {}, warn() {}, info() {} } as never }));
      const requireToken = async (c: any, next: () => Promise<void>) => {
        if (c.req.header('x-cluster-token') !== TOKEN) return c.json({ error: { code: 'unauthorized', message: 'cluster token' } }, 401);
        await next();
      };
      const j = new PullJobs(engine, { urlOf: (id) => urls[id === 'src' ? 0 : 1], headers: () => ({ 'x-cluster-token': TOKEN }) }, { bytesPerSecond: 0, maxAttempts: 5, batchBytes: 2048 });
      registerHandoffRoutes(app, { engine, jobs: j, requireInternal: requireToken, requireAdmin: async (_c, next) => next(), ownsOrReceives: () => false });
      return { app, jobs: j };
    });
    jobs = apps[1].jobs;
    srcJobs = apps[0].jobs;
    for (const a of apps) {
      const s = await serve(a.app, breaker);
      servers.push(s.server);
      urls.push(s.url);
    }
  });

  afterAll(async () => {
    for (const s of servers) s.close();
    for (const e of engines) await e.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('copies a vnode that keeps receiving dual writes, survives a broken stream, and ends with equal digests', async () => {
    // Several series in one vnode: take the first vnode that five generated symbols share.
    const symbols = Array.from({ length: 20_000 }, (_, i) => `stock.SZ.${String(i).padStart(6, '0')}`);
    const byVnode = new Map<number, string[]>();
    for (const s of symbols) byVnode.set(vnodeOf(s, 1000), [...(byVnode.get(vnodeOf(s, 1000)) ?? []), s]);
    const [vnode, inVnode] = [...byVnode].find(([, list]) => list.length >= 5)!;
    // Historical data on the source only (several segments per series).
    for (const s of inVnode) await src.write({ series: [rows(s, T0, 1500, 1)], rowCount: 1500 });
    for (const s of symbols.slice(0, 40)) await src.write({ series: [rows(s, T0, 50, 2)], rowCount: 50 });
    await src.flush();
    // The first export attempt breaks after ~15 KB, once the receiver has durably recorded the
    // last key of an imported batch (what a resumed stream starts after).
    breaker.n = 15_000;
    breaker.until = async () => {
      const p = await dst.kv.get(engineMetaKey(`handoff/${vnode}`));
      return p !== undefined && p !== null && (JSON.parse(p.toString()) as { after?: string }).after !== undefined;
    };
    jobs.start(vnode, 'src');
    // Dual writes while the copy runs: newer values for old timestamps and new rows, to both.
    for (const s of inVnode) {
      const upd = rows(s, T0 + 100 * S, 20, 7);
      await src.write({ series: [upd], rowCount: 20 });
      await dst.write({ series: [upd], rowCount: 20 });
    }
    const done = await jobs.wait(vnode);
    expect(done?.state, done?.error).toBe('done');
    expect(done!.attempts).toBeGreaterThanOrEqual(2); // resumed after the broken stream…
    expect(done!.resumedAfter).toMatch(/^[0-9a-f]+$/); // …after the last imported key, not from scratch
    expect(done!.verified!.receivedRows).toBe(done!.verified!.sentRows);
    await src.flush();
    await dst.flush();
    const a = await src.vnodes.digest(vnode);
    const b = await dst.vnodes.digest(vnode);
    expect(a.rows).toBe(inVnode.length * 1500);
    expect(b).toEqual(a);
    // The dual-written newer value won over the copied older one.
    const r = await dst.readRange({ symbol: inVnode[0], start: T0 + 100 * S, end: T0 + 101 * S, fields: ['price'] });
    expect(r.values[0][0]).toBe(rows(inVnode[0], T0 + 100 * S, 1, 7).columns.get('price')![0]);
  }, 60_000);

  it('copies many vnodes through shared streams; a cancelled one stops, the others finish with equal digests', async () => {
    const symbols = Array.from({ length: 60 }, (_, i) => `stock.SH.${String(610_000 + i)}`);
    for (const s of symbols) await src.write({ series: [rows(s, T0, 450, 9)], rowCount: 450 });
    await src.flush();
    const vnodes = [...new Set(symbols.map((s) => vnodeOf(s, 1000)))];
    let empty = 999;
    while ((await src.vnodes.digest(empty)).series > 0 || vnodes.includes(empty)) empty--;
    const started = jobs.startMany([...vnodes, empty], 'src');
    expect(started.map((j) => j.state)).toEqual([...vnodes, empty].map(() => 'running'));
    expect(() => jobs.startMany([vnodes[0]], 'elsewhere')).toThrow(/already being copied from src/);
    expect(await jobs.cancel(vnodes[1])).toBe(true);
    for (const v of [...vnodes, empty]) await jobs.wait(v);
    const byVnode = new Map(jobs.list().map((j) => [j.vnode, j]));
    expect(byVnode.get(vnodes[1])!.state).toBe('cancelled');
    expect(byVnode.get(empty)).toMatchObject({ state: 'done', rows: 0, verified: { sentRows: 0, receivedRows: 0 } });
    for (const v of vnodes.filter((_, i) => i !== 1)) {
      expect(byVnode.get(v)!.state, byVnode.get(v)!.error).toBe('done');
      expect(await dst.vnodes.digest(v)).toEqual(await src.vnodes.digest(v));
    }
    // Nothing left to resume: every finished or cancelled job cleared its progress record.
    expect(await jobs.resumeAll()).toBe(0);
  }, 60_000);

  it('rejects a pull without a source node: 400 naming `from`', async () => {
    const res = await fetch(`http://127.0.0.1:${(servers[1].address() as { port: number }).port}/admin/vnodes/1/pull`, {
      method: 'POST',
      body: JSON.stringify({}),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/from/);
  });

  it('verify: finds replicas that diverged and repairs them to the union of their rows', async () => {
    const symbol = 'stock.SH.688001';
    const vnode = vnodeOf(symbol, 1000);
    await src.write({ series: [rows(symbol, T0, 300, 3)], rowCount: 300 });
    await dst.write({ series: [rows(symbol, T0, 300, 3)], rowCount: 300 });
    // dst missed some writes (say it was down without hints); src missed others.
    await src.write({ series: [rows(symbol, T0 + 1000 * S, 40, 4)], rowCount: 40 });
    await dst.write({ series: [rows(symbol, T0 + 2000 * S, 25, 5)], rowCount: 25 });
    const owners = Array.from({ length: 1000 }, (_, v) => (v === vnode ? ['src', 'dst'] : []));
    const opts = { engine: src, self: 'src', owners, urlOf: (id: string) => urls[id === 'src' ? 0 : 1], headers: () => ({ 'x-cluster-token': TOKEN }), jobs: srcJobs };
    const found = await verifyReplicas({ ...opts, repair: false });
    expect(found.errors).toEqual([]);
    expect(found.vnodesChecked).toBe(1);
    expect(found.mismatches.map((m) => [m.vnode, m.peer, m.local.rows, m.remote.rows])).toEqual([[vnode, 'dst', 340, 325]]);
    const fixed = await verifyReplicas({ ...opts, repair: true });
    expect(fixed.mismatches[0].repaired).toBe(true);
    const again = await verifyReplicas({ ...opts, repair: false });
    expect(again.mismatches).toEqual([]);
    expect((await dst.vnodes.digest(vnode)).rows).toBe(365);
  }, 60_000);
});
