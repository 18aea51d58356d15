/**
 * `kill -9` during HTTP ingest: two writer loops POST batches to /v1/write and record every
 * batch acknowledged with 200; the server is SIGKILLed at a random moment, restarted on the same
 * data dir, and every acknowledged row must be there with its values. Three rounds. Batches are
 * also checked for atomicity: a batch is either wholly present or absent. Batches alternate
 * between JSON (`POST /v1/write`) and line protocol (`POST /write`), and are big enough to be
 * parsed and WAL-encoded in the worker pool (ingest/write-parser.ts), the path bulk loads take.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { get, type QueryAnswer } from '../helpers/http-calls.ts';
import { sleep, startServer, type ServerProcess } from '../helpers/server-process.ts';

const T = 1633046400;
const ROWS = 1000;
const SYMBOLS = 5;

/** Batch k as line protocol (seconds precision). */
function lineProtocol(k: number): string {
  const b = batch(k);
  return b.rows.map((r) => `bars,symbol=${b.symbol} price=${r.price},volume=${r.volume}i ${r.timestamp}\n`).join('');
}

/** Batch k: ROWS rows of symbol crash.s{k % SYMBOLS} on its own seconds. */
function batch(k: number) {
  return {
    symbol: `crash.s${k % SYMBOLS}`,
    rows: Array.from({ length: ROWS }, (_, i) => ({ timestamp: T + k * ROWS + i, price: k + i / 1000, volume: i })),
  };
}

let server: ServerProcess | undefined;
let dataDir: string | undefined;
const dirs: string[] = [];
afterAll(async () => {
  await server?.kill9();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Writes until the server dies; returns the acknowledged batch numbers. */
async function ingestUntilKilled(s: ServerProcess, first: number, killAfterMs: number): Promise<{ acked: number[]; next: number }> {
  const acked: number[] = [];
  let next = first;
  let dead = false;
  const loop = async () => {
    while (!dead) {
      const k = next++;
      try {
        if (k % 2 === 0) {
          const json = JSON.stringify(batch(k));
          const r = await fetch(`${s.dataUrl}/v1/write`, { method: 'POST', body: json, headers: { 'Content-Type': 'application/json' } });
          const body = (await r.json()) as { written?: number };
          if (r.status === 200 && body.written === ROWS) acked.push(k);
        } else {
          const r = await fetch(`${s.dataUrl}/write?precision=s`, { method: 'POST', body: lineProtocol(k) });
          await r.arrayBuffer();
          if (r.status === 204) acked.push(k);
        }
      } catch {
        // connection refused/reset: the server is gone
      }
    }
  };
  const loops = [loop(), loop()];
  await sleep(killAfterMs);
  await s.kill9();
  dead = true;
  await Promise.all(loops);
  return { acked, next };
}

describe('kill -9 during HTTP ingest', () => {
  it('every 200-acknowledged batch is there after a restart, 3 times', async () => {
    const acked: number[] = [];
    let next = 0;
    for (let round = 0; round < 3; round++) {
      server = await startServer(dataDir ? { dataDir } : {});
      dirs.push(server.dir);
      dataDir ??= server.dataDir;
      const killAfter = 300 + Math.floor(Math.random() * 1200);
      const r = await ingestUntilKilled(server, next, killAfter);
      expect(r.acked.length, `round ${round} (kill after ${killAfter} ms) acknowledged nothing`).toBeGreaterThan(0);
      acked.push(...r.acked);
      console.log(`round ${round}: killed after ${killAfter} ms, ${r.acked.length} batches (${r.acked.length * ROWS} rows) acknowledged`);
      next = r.next;
      server = undefined;
    }
    server = await startServer({ dataDir });
    dirs.push(server.dir);
    const ackedSet = new Set(acked);
    for (let sym = 0; sym < SYMBOLS; sym++) {
      const q = await get<QueryAnswer>(`${server.dataUrl}/v1/query?symbol=crash.s${sym}&start=${T}&end=${T + next * ROWS}&fields=price,volume`);
      expect(q.status, q.text).toBe(200);
      const perBatch = new Map<number, number>();
      for (const [t, price, volume] of q.json.rows as number[][]) {
        const k = Math.floor((t! - T) / ROWS);
        const i = (t! - T) % ROWS;
        expect([price, volume]).toEqual([k + i / 1000, i]);
        perBatch.set(k, (perBatch.get(k) ?? 0) + 1);
      }
      for (const [k, n] of perBatch) expect(n, `batch ${k} is partial`).toBe(ROWS);
      for (const k of ackedSet) if (k % SYMBOLS === sym) expect(perBatch.get(k), `acknowledged batch ${k} lost`).toBe(ROWS);
    }
    const stopped = await server.stop();
    server = undefined;
    expect(stopped.code).toBe(0);
  }, 180_000);
});
