/**
 * Cluster failover with REAL node processes (DESIGN.md §8, §9; issue 4): three data nodes on
 * 127.0.0.2–4 at RF 2, consistency quorum, plus a coordinator-only node on 127.0.0.5 with
 * consistency all (a member of the ring that owns no vnode). The ring (planPlacement over the
 * three) is pushed with PUT /admin/ring to each.
 *
 * Two writer loops write continuously through the data nodes in turn and record every batch
 * acknowledged with 200; a reader loop queries through them. Then n3 is killed with SIGKILL,
 * writes continue (acknowledged thanks to hints on the coordinators), an `all` write fails
 * clearly, n3 comes back on the same data dir and port, the hints drain, and then every
 * acknowledged row must be readable through every node, n3's own engine must hold the rows of
 * its vnodes, and no read and no write through a live node may have failed during the run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planPlacement } from '../../data-plane/src/cluster/planner.ts';
import { vnodeOf } from '../../data-plane/src/storage/vnode-of.ts';
import { get, post, type QueryAnswer } from '../helpers/http-calls.ts';
import { sleep, startServer, stopAll, type ServerProcess } from '../helpers/server-process.ts';

const TOKEN = 'cluster-failover-secret';
const AUTH = { 'X-Cluster-Token': TOKEN };
const VNODES = 1000;
const SYMBOLS = Array.from({ length: 40 }, (_, i) => `clu.SH.${600000 + i}`);
const PER_BATCH = 8; // symbols per batch
const JSON_ROWS = 25; // rows per symbol of a JSON batch (even k)
// rows per symbol of a line-protocol batch (odd k): 640 lines, ~38 KB, past the size parsed in
// the codec workers, whose fast path writes the version-2 record the coordinator forwards
// slices of (to peers, and as hints while n3 is down, replayed to it after its restart)
const LP_ROWS = 80;
const T0 = 1_700_000_000; // seconds

interface Row {
  symbol: string;
  timestamp: number;
  price: number;
  volume: number;
}

/** Batch k: rows for PER_BATCH symbols, on timestamps no other batch uses. */
function batch(k: number): Row[] {
  const out = [];
  const rows = k % 2 === 0 ? JSON_ROWS : LP_ROWS;
  for (let j = 0; j < PER_BATCH; j++) {
    const symbol = SYMBOLS[(k * PER_BATCH + j) % SYMBOLS.length]!;
    for (let i = 0; i < rows; i++) out.push({ symbol, timestamp: T0 + k * LP_ROWS + i, price: Number(`${k}.${String(i).padStart(3, '0')}`), volume: i + 1 });
  }
  return out;
}

/** Batch k as the request that writes it: JSON rows, or line protocol (seconds). */
function writeRequest(k: number): { path: string; body: Row[] | string } {
  const rows = batch(k);
  if (k % 2 === 0) return { path: '/v1/write?precision=s', body: rows };
  return { path: '/write?precision=s', body: rows.map((r) => `bars,symbol=${r.symbol} price=${r.price},volume=${r.volume}i ${r.timestamp}`).join('\n') };
}

const dirs: ServerProcess[] = [];
afterAll(async () => {
  await stopAll();
  for (const s of dirs) s.cleanup();
});

function nodeConfig(id: string, consistency: 'quorum' | 'all') {
  return {
    cluster: { enabled: true, node_id: id, token: TOKEN, consistency },
    storage: { replication_factor: 2, vnodes: VNODES },
  };
}

async function startNode(id: string, host: string, consistency: 'quorum' | 'all', reuse?: ServerProcess): Promise<ServerProcess> {
  const s = await startServer({ host, config: nodeConfig(id, consistency), dataDir: reuse?.dataDir, port: reuse?.dataPort });
  dirs.push(s);
  return s;
}

describe('cluster failover (3 real nodes, RF 2, quorum; kill -9 one node)', () => {
  it('keeps acknowledging writes, never fails a read, and every acknowledged row is readable everywhere afterwards', async () => {
    const ids = ['n1', 'n2', 'n3'];
    const [n1, n2, n3first, c4] = await Promise.all([
      startNode('n1', '127.0.0.2', 'quorum'),
      startNode('n2', '127.0.0.3', 'quorum'),
      startNode('n3', '127.0.0.4', 'quorum'),
      startNode('c4', '127.0.0.5', 'all'),
    ]);
    let n3 = n3first;
    const placement = planPlacement(null, ids, { vnodes: VNODES, replicationFactor: 2 });
    const members = [n1, n2, n3, c4].map((s, i) => ({ id: [...ids, 'c4'][i]!, address: `${s.host}:${s.dataPort}` }));
    for (const s of [n1, n2, n3, c4]) {
      const r = await call('PUT', `${s.dataUrl}/admin/ring`, { placement, pending: [], members });
      expect(r.status, r.text).toBe(200);
    }
    // a stale epoch is refused
    expect((await call('PUT', `${n1.dataUrl}/admin/ring`, { placement, pending: [], members })).status).toBe(409);
    const ownersOf = (symbol: string) => placement.owners[vnodeOf(symbol, VNODES)]!;

    // ---- continuous load ------------------------------------------------------------------
    const live = new Map<string, ServerProcess>([['n1', n1], ['n2', n2], ['n3', n3]]);
    const inFlight = new Map<string, number>();
    const acked: number[] = [];
    const writeFailures: string[] = [];
    const readFailures: string[] = [];
    let reads = 0;
    let nextBatch = 0;
    let running = true;
    let turn = 0;
    const pick = () => {
      const nodes = [...live.entries()];
      return nodes[turn++ % nodes.length]!;
    };
    const tracked = async <T>(id: string, f: () => Promise<T>): Promise<T> => {
      inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
      try {
        return await f();
      } finally {
        inFlight.set(id, inFlight.get(id)! - 1);
      }
    };
    const writer = async () => {
      while (running) {
        const k = nextBatch++;
        const [id, s] = pick();
        const { path, body } = writeRequest(k);
        const r = await tracked(id, () => post(`${s.dataUrl}${path}`, body)).catch((e: Error) => ({ status: 0, text: e.message }));
        if (r.status === 200 || r.status === 204) acked.push(k);
        else writeFailures.push(`batch ${k} via ${id}: ${r.status} ${r.text}`);
      }
    };
    const reader = async () => {
      while (running) {
        const [id, s] = pick();
        const symbol = SYMBOLS[reads % SYMBOLS.length]!;
        const url = reads % 5 === 4 ? `${s.dataUrl}/v1/latest?symbols=${SYMBOLS.slice(0, 10).join(',')}` : `${s.dataUrl}/v1/query?symbol=${symbol}&start=0&end=${T0 * 2}`;
        reads++;
        const r = await tracked(id, () => get(url)).catch((e: Error) => ({ status: 0, text: e.message }));
        if (r.status !== 200) readFailures.push(`${url} via ${id}: ${r.status} ${r.text}`);
        await sleep(5);
      }
    };
    const loops = [writer(), writer(), reader()];
    const ackedAt = (n: number) => until(`${n} acknowledged batches`, () => acked.length >= n, 20_000);

    await ackedAt(15);
    // ---- kill -9 n3 (after its in-flight client requests, so every outcome is known) ----------
    live.delete('n3');
    await until('n3 idle', () => (inFlight.get('n3') ?? 0) === 0, 10_000);
    await n3.kill9();
    const beforeKill = acked.length;
    // Writes keep being acknowledged while n3 is down: first through refused connections, then,
    // once the coordinators' health checks mark n3 down, straight into hints.
    await until('n1 and n2 see n3 down', async () => {
      const views = await Promise.all([n1, n2].map(async (s) => (await get(`${s.dataUrl}/admin/ring`, AUTH)).json.peers));
      return views.every((peers) => peers.find((p: { id: string }) => p.id === 'n3')?.up === false);
    }, 15_000);
    await Promise.all([ackedAt(acked.length + 30), sleep(2500)]);
    const whileDown = acked.length - beforeKill;

    // consistency all (coordinator c4) fails clearly for a vnode n3 owns, works for one it does not
    const onN3 = SYMBOLS.find((s) => ownersOf(s).includes('n3'))!;
    const offN3 = SYMBOLS.find((s) => !ownersOf(s).includes('n3'))!;
    const all = await post(`${c4.dataUrl}/v1/write?precision=s`, { symbol: onN3, rows: [{ timestamp: T0 - 10, price: 1 }] });
    expect(all.status, all.text).toBe(503);
    expect(all.headers.get('retry-after')).toBeTruthy();
    expect(all.json.error.message).toContain(`vnode ${vnodeOf(onN3, VNODES)}`);
    expect(all.json.error.message).toMatch(/unreachable: n3 /);
    const allOk = await post(`${c4.dataUrl}/v1/write?precision=s`, { symbol: offN3, rows: [{ timestamp: T0 - 10, price: 1 }] });
    expect(allOk.status, allOk.text).toBe(200);
    const hintsOnN1 = (await get(`${n1.dataUrl}/internal/v1/hints?target=n3`, AUTH)).json.pending;
    expect(hintsOnN1).toBeGreaterThan(0);

    // ---- n3 comes back on the same data dir and port ---------------------------------------
    n3 = await startNode('n3', '127.0.0.4', 'quorum', n3);
    const readyAtStart = (await get(`${n3.dataUrl}/admin/ring`, AUTH)).json.ready;
    live.set('n3', n3);
    await until('hints for n3 drained and n3 caught up', async () => {
      const pending = await Promise.all([n1, n2, c4].map(async (s) => (await get(`${s.dataUrl}/internal/v1/hints?target=n3`, AUTH)).json.pending));
      const ring = await get(`${n3.dataUrl}/admin/ring`, AUTH);
      return pending.every((p) => p === 0) && ring.json.ready === true;
    }, 30_000);
    await Promise.all([ackedAt(acked.length + 30), sleep(1000)]);
    running = false;
    await Promise.all(loops);

    // ---- verification ----------------------------------------------------------------------
    expect(writeFailures).toEqual([]);
    expect(readFailures).toEqual([]);
    expect(reads).toBeGreaterThan(20);
    const expected = new Map<string, Map<number, number>>(SYMBOLS.map((s) => [s, new Map()]));
    for (const k of acked) for (const r of batch(k)) expected.get(r.symbol)!.set(r.timestamp, r.price);
    for (const s of [n1, n2, n3, c4]) {
      for (const symbol of SYMBOLS) {
        const r = await get<QueryAnswer>(`${s.dataUrl}/v1/query?symbol=${symbol}&start=${T0}&end=${T0 * 2}&fields=price`);
        expect(r.status, r.text).toBe(200);
        const got = new Map(r.json.rows.map((row) => [row[0] as number, row[1] as number]));
        const missing = [...expected.get(symbol)!].filter(([t, p]) => got.get(t) !== p);
        expect(missing.length, `${symbol} via ${s.host}: ${missing.length} acknowledged rows missing or wrong, e.g. ${JSON.stringify(missing.slice(0, 3))}`).toBe(0);
      }
    }
    // n3's own engine holds its vnodes' rows: the hints were delivered, not just read elsewhere
    for (const symbol of SYMBOLS.filter((x) => ownersOf(x).includes('n3'))) {
      const r = await call('POST', `${n3.dataUrl}/internal/v1/read`, { op: 'range', query: { symbol, start: T0 * 1e6, end: T0 * 2e6 } });
      expect(r.status, r.text).toBe(200);
      const ts = Buffer.from(r.json.data.ts, 'base64');
      expect(ts.length / 8, `${symbol} on n3's engine`).toBeGreaterThanOrEqual(expected.get(symbol)!.size);
    }
    const metrics = (await get(`${n1.metricsUrl}/metrics`)).text;
    // the line-protocol batches took the fast path, and their parts went to peers (and into hints
    // for n3) as version-2 slices: every node announces that it takes them
    expect(Number(/^stock_tsdb_line_protocol_bodies_total\{parser="fast"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(Number(/^stock_tsdb_cluster_peer_write_parts_total\{record_version="2"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect((await get(`${n2.dataUrl}/internal/v1/ping`, AUTH)).json.wal_record_versions).toEqual([1, 2]);
    expect(metrics).toMatch(/^stock_tsdb_cluster_ring_epoch 1$/m);
    expect(metrics).toMatch(/^stock_tsdb_cluster_hints_pending\{target="n3"\} 0$/m);
    expect(metrics).toMatch(/^stock_tsdb_cluster_peers_healthy 3$/m);
    expect(Number(/^stock_tsdb_cluster_hints_replayed_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    for (const s of [n1, n2, n3, c4]) {
      const errors = readLog(join(s.logDir, 'error.log'));
      expect(errors.filter((l) => /hint (dropped|replay failed)|unhandled|uncaught/.test(l)), s.host).toEqual([]);
    }
    const ackedRows = acked.reduce((sum, k) => sum + batch(k).length, 0);
    console.log(`cluster failover: ${acked.length} batches (${ackedRows} rows) acknowledged, ${whileDown} of them while n3 was down; ${reads} reads; n1 held ${hintsOnN1} hints for n3 when checked; n3 ready right after its restart: ${readyAtStart}`);
  }, 120_000);
});

function readLog(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

async function call(method: string, url: string, body: unknown) {
  const r = await fetch(url, { method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...AUTH } });
  const text = await r.text();
  return { status: r.status, text, json: text ? JSON.parse(text) : undefined };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}
