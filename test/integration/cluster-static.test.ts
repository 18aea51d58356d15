/**
 * Static membership with REAL node processes: two nodes whose config lists both
 * (`cluster.service_discovery.provider = "static"`, `cluster.members`) compute the same epoch-1
 * ring without any push, replicate writes at RF 2, and guard the internal API with the cluster
 * token.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { call, get, post, type QueryAnswer } from '../helpers/http-calls.ts';
import { encodeWalRecord } from '../../data-plane/src/encoding/wal-record.ts';
import { vnodeOf } from '../../data-plane/src/storage/vnode-of.ts';
import { freePort, startServer, stopAll, type ServerProcess } from '../helpers/server-process.ts';

const TOKEN = 'static-secret';
const started: ServerProcess[] = [];
afterAll(async () => {
  await stopAll();
  for (const s of started) s.cleanup();
});

/** Starts one node per host (ids `<prefix>1`, `<prefix>2`, …), each listing all as cluster.members, RF 2. */
async function startStaticCluster(hosts: string[], prefix: string): Promise<ServerProcess[]> {
  const ports = await Promise.all(hosts.map((h) => freePort(h)));
  const members = hosts.map((h, i) => ({ id: `${prefix}${i + 1}`, address: `${h}:${ports[i]}` }));
  const nodes = await Promise.all(
    members.map((m, i) =>
      startServer({
        host: hosts[i],
        port: ports[i],
        config: { cluster: { enabled: true, node_id: m.id, token: TOKEN, members, service_discovery: { provider: 'static' } }, storage: { replication_factor: 2, vnodes: 64 } },
      }),
    ),
  );
  started.push(...nodes);
  return nodes;
}

describe('cluster with static membership (2 real nodes, RF 2)', () => {
  it('routes by the ring computed from cluster.members on every node, and refuses internal calls without the token', async () => {
    const nodes = await startStaticCluster(['127.0.0.6', '127.0.0.7'], 's');
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const rings = await Promise.all(nodes.map(async (s) => (await get(`${s.dataUrl}/admin/ring`, { 'X-Cluster-Token': TOKEN })).json));
    expect(rings.map((r) => [r.node_id, r.epoch])).toEqual([['s1', 1], ['s2', 1]]);
    expect(rings[0].placement).toEqual(rings[1].placement);
    expect(rings[0].placement.owners.every((os: number[]) => os.length === 2)).toBe(true);

    const w = await post(`${a.dataUrl}/v1/write`, { symbol: 'st.SZ.000001', rows: [{ timestamp: 1700000000, price: 10.5, volume: 100 }] });
    expect(w.status, w.text).toBe(200);
    for (const s of nodes) {
      // both nodes own every vnode at RF 2 with 2 nodes: each one's own engine has the row
      const local = await post(`${s.dataUrl}/internal/v1/read`, { op: 'range', query: { symbol: 'st.SZ.000001', start: 0, end: 2e15 } }, { 'X-Cluster-Token': TOKEN });
      expect(local.status, local.text).toBe(200);
      expect(Buffer.from(local.json.data.ts, 'base64').length).toBe(8);
    }
    const q = await get<QueryAnswer>(`${b.dataUrl}/v1/query?symbol=st.SZ.000001&start=0&end=2000000000`);
    expect(q.json.rows).toEqual([[1700000000, 10.5, 100]]);

    const noToken = await post(`${a.dataUrl}/internal/v1/read`, { op: 'latest', query: { symbols: ['x'] } });
    expect(noToken.status).toBe(401);
    expect((await get(`${a.dataUrl}/internal/v1/hints?target=s2`, { 'X-Cluster-Token': 'wrong' })).status).toBe(401);
    // Fencing: a read or write routed by an older ring epoch than the node's is refused (409
    // stale_ring, nothing done) so its coordinator fetches the newer ring and routes again.
    const auth = { 'X-Cluster-Token': TOKEN };
    const staleRead = await post(`${a.dataUrl}/internal/v1/read`, { op: 'range', epoch: 0, query: { symbol: 'st.SZ.000001', start: 0, end: 2e15 } }, auth);
    expect(staleRead.status, staleRead.text).toBe(409);
    expect(staleRead.json.error).toMatchObject({ code: 'stale_ring' });
    expect(staleRead.json.error.message).toContain('routed by ring epoch 0, but node s1 has applied epoch 1');
    expect((await post(`${a.dataUrl}/internal/v1/read`, { op: 'range', epoch: 1, query: { symbol: 'st.SZ.000001', start: 0, end: 2e15 } }, auth)).status).toBe(200);
    expect((await post(`${a.dataUrl}/internal/v1/read`, { op: 'range', epoch: -1, query: { symbol: 'st.SZ.000001', start: 0, end: 2e15 } }, auth)).status).toBe(400);
    const staleWrite = await fetch(`${a.dataUrl}/internal/v1/write`, { method: 'POST', headers: { ...auth, 'X-Ring-Epoch': '0' }, body: new Uint8Array(8) });
    expect(staleWrite.status).toBe(409);
    expect(((await staleWrite.json()) as { error: { code: string } }).error.code).toBe('stale_ring');
    const badEpoch = await fetch(`${a.dataUrl}/internal/v1/write`, { method: 'POST', headers: { ...auth, 'X-Ring-Epoch': 'one' }, body: new Uint8Array(8) });
    expect(badEpoch.status).toBe(400);
    expect(await badEpoch.text()).toContain('X-Ring-Epoch');
    // A vnode this node holds cannot be dropped by hand (with RF 2 over 2 nodes, that is every one).
    const drop = await call(`${a.dataUrl}/admin/vnodes/3`, { method: 'DELETE' });
    expect(drop.status, drop.text).toBe(409);
    expect(drop.text).toContain('vnode 3 is owned by or being copied to this node');
    const ring = await get(`${b.dataUrl}/internal/v1/ring`, auth);
    expect(ring.json.ring.placement.epoch).toBe(1);
    expect(ring.json.ring.members.map((m: { id: string }) => m.id)).toEqual(['s1', 's2']);
    expect((await get(`${b.dataUrl}/internal/v1/ring`)).status).toBe(401);
    // caught up once the peer answered that it holds no hints for it (a poll every 250 ms)
    for (let t0 = Date.now(); !(await get(`${a.dataUrl}/admin/ring`, { 'X-Cluster-Token': TOKEN })).json.ready; ) {
      if (Date.now() - t0 > 10_000) throw new Error('s1 never caught up');
      await new Promise((r) => setTimeout(r, 50));
    }
    const metrics = (await get(`${a.metricsUrl}/metrics`)).text;
    expect(metrics).toMatch(/^stock_tsdb_cluster_vnodes_owned 64$/m);
    expect(metrics).toMatch(/^stock_tsdb_cluster_ready 1$/m);
  });

  it('a node that missed a ring change does not acknowledge a write on the old owners: it is fenced and routes again', async () => {
    const nodes = await startStaticCluster(['127.0.0.16', '127.0.0.17', '127.0.0.18'], 'f');
    const [f1, f2, f3] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const auth = { 'X-Cluster-Token': TOKEN };
    const ring = (await get(`${f1.dataUrl}/admin/ring`, auth)).json;
    const idx = (id: string) => ring.placement.nodes.indexOf(id);
    // A symbol owned by f1 and f3 in epoch 1; epoch 2 moves f3's replica to f2.
    let symbol = '';
    for (let i = 0; !symbol; i++) {
      const s = `st.SH.${600000 + i}`;
      const os = [...ring.placement.owners[vnodeOf(s, 64)]].sort();
      if (os[0] === idx('f1') && os[1] === idx('f3')) symbol = s;
    }
    const owners = ring.placement.owners.map((o: number[], v: number) => (v === vnodeOf(symbol, 64) ? [idx('f1'), idx('f2')] : o));
    const next = { placement: { ...ring.placement, epoch: 2, owners }, pending: [], members: ring.members };
    for (const n of [f1, f2]) {
      const r = await call(`${n.dataUrl}/admin/ring`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(next) });
      expect(r.status, r.text).toBeLessThan(300);
    }
    // f3 was not told: it still routes by epoch 1, where it and f1 own the symbol.
    const w = await post(`${f3.dataUrl}/v1/write`, { symbol, rows: [{ timestamp: 1700000000, price: 1.5 }] });
    expect(w.status, w.text).toBe(200);
    const onF2 = await post(`${f2.dataUrl}/internal/v1/read`, { op: 'range', query: { symbol, start: 0, end: 2e15 } }, auth);
    expect(Buffer.from(onF2.json.data.ts, 'base64').length, 'the new owner f2 has the row').toBe(8);
    expect((await get(`${f3.dataUrl}/admin/ring`, auth)).json.epoch).toBe(2);

    // A hint replay routed by epoch 1 reaches f3 late: f3 stores the rows of vnodes it still holds
    // and declines those of the vnode that moved to f2 (orphans a later handoff back could prefer).
    let kept = '';
    for (let i = 0; !kept; i++) {
      const s = `st.SZ.${i}`;
      if (ring.placement.owners[vnodeOf(s, 64)].includes(idx('f3')) && vnodeOf(s, 64) !== vnodeOf(symbol, 64)) kept = s;
    }
    const series = (sym: string) => ({ symbol: sym, ts: Float64Array.of(1700000100e6), columns: new Map([['price', Float64Array.of(2.5)]]) });
    const record = encodeWalRecord({ series: [series(symbol), series(kept)], rowCount: 2 });
    const replay = (epoch: string) => fetch(`${f3.dataUrl}/internal/v1/write`, { method: 'POST', headers: { ...auth, 'X-Hint-Epoch': epoch }, body: record });
    const bad = await replay('1.5');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('X-Hint-Epoch');
    expect((await replay('1')).status).toBe(204);
    const localTs = async (sym: string) => {
      const r = await post(`${f3.dataUrl}/internal/v1/read`, { op: 'range', query: { symbol: sym, start: 0, end: 2e15 } }, auth);
      const b = Buffer.from(r.json.data.ts, 'base64');
      return [...new Float64Array(b.buffer, b.byteOffset, b.length / 8)];
    };
    expect(await localTs(kept)).toEqual([1700000100e6]);
    expect(await localTs(symbol)).not.toContain(1700000100e6);
    expect((await get(`${f3.metricsUrl}/metrics`)).text).toMatch(/^stock_tsdb_cluster_hint_rows_declined_total 1$/m);
    // f3 stored its own part of the stale write before the fence sent the write elsewhere; once
    // the grace period after epoch 2 (5 s) has passed it drops that vnode, orphan row and all.
    for (const t0 = Date.now(); (await localTs(symbol)).length > 0; await new Promise((r) => setTimeout(r, 200))) {
      if (Date.now() - t0 > 15_000) throw new Error(`f3 still holds ${symbol}, a vnode epoch 2 took from it`);
    }
    expect(await localTs(kept)).toEqual([1700000100e6]);
    const drop = await call(`${f3.dataUrl}/admin/vnodes/${vnodeOf(symbol, 64)}`, { method: 'DELETE' });
    expect(drop.status, drop.text).toBe(200); // no longer held: droppable (nothing left to drop)
  });
});
