/**
 * Runtime smoke under Bun itself (`bun test`), for what Vitest's Node workers cannot show:
 * Bun.serve answering through a Hono app, the RocksDB N-API binding, and a Piscina pool.
 */
import { afterAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { Piscina } from 'piscina';

const dir = mkdtempSync(join(tmpdir(), 'stsdb-bun-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Bun runtime', () => {
  it('Bun.serve answers through a Hono app', async () => {
    const app = new Hono();
    app.get('/hello/:name', (c) => c.json({ hello: c.req.param('name') }));
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: app.fetch });
    try {
      const r = await fetch(`http://127.0.0.1:${server.port}/hello/bun`);
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ hello: 'bun' });
    } finally {
      await server.stop(true);
    }
  });

  it('the rocksdb binding opens, puts and gets', async () => {
    const rocksdb = createRequire(import.meta.url)('rocksdb') as (location: string) => any;
    const db = rocksdb(join(dir, 'rocks'));
    const cb = <T>(f: (done: (err: Error | null, v?: T) => void) => void) =>
      new Promise<T>((resolve, reject) => f((err, v) => (err ? reject(err) : resolve(v as T))));
    await cb((d) => db.open({ createIfMissing: true }, d));
    try {
      await cb((d) => db.put(Buffer.from('k1'), Buffer.from('v1'), { sync: true }, d));
      const v = await cb<Buffer>((d) => db.get(Buffer.from('k1'), { asBuffer: true }, d));
      expect(v.toString()).toBe('v1');
    } finally {
      await cb((d) => db.close(d));
    }
  });

  it('a Piscina pool runs a task on a worker thread', async () => {
    const worker = join(dir, 'double.mjs');
    writeFileSync(worker, "import { isMainThread } from 'node:worker_threads';\nexport default (x) => ({ doubled: x * 2, isMainThread });\n");
    const pool = new Piscina({ filename: worker, minThreads: 1, maxThreads: 1 });
    try {
      expect(await pool.run(21)).toEqual({ doubled: 42, isMainThread: false });
    } finally {
      await pool.destroy();
    }
  });
});
