import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsulAgent, type ConsulAgent } from '../tools/consul/consul-agent.ts';
import { freePort, startServer, type ServerProcess } from '../helpers/server-process.ts';

const TOKEN = 'rebalance-test-token';
const ROWS = 50;
const T0 = 1_700_000_000;
const SYMBOLS = 40;

interface Ring {
  epoch: number;
  pending: unknown[];
  /** compact form: owners are indexes into nodes */
  placement: { nodes: string[]; owners: number[][] } | null;
}

/** Vnode replicas each node holds in a ring answer. */
function replicasPerNode(r: Ring): Map<string, number> {
  const out = new Map<string, number>();
  for (const os of r.placement!.owners) for (const i of os) out.set(r.placement!.nodes[i], (out.get(r.placement!.nodes[i]) ?? 0) + 1);
  return out;
}

/** Batch k: ROWS rows of symbol k % SYMBOLS at timestamps unique to k. */
function batch(k: number) {
  return {
    symbol: `stock.SH.${600000 + (k % SYMBOLS)}`,
    rows: Array.from({ length: ROWS }, (_, i) => ({ timestamp: T0 + i * 1000 + Math.floor(k / SYMBOLS), close: 10 + (k % 997) / 100, volume: 100 * (k + 1) })),
  };
}

describe('cluster membership from Consul: grow 3 → 5 and shrink 5 → 3 while writing', () => {
  let consul: ConsulAgent;
  const nodes = new Map<string, ServerProcess>();

  async function startNode(i: number, o: { cluster?: string; hostBase?: number; dataDir?: string; port?: number; handoffBps?: number } = {}): Promise<ServerProcess> {
    const host = `127.0.0.${(o.hostBase ?? 10) + i}`;
    const port = o.port ?? (await freePort(host));
    const s = await startServer({
      host,
      port,
      dataDir: o.dataDir,
      config: {
        storage: { vnodes: 64, replication_factor: 2, head_idle_seal: 1 },
        cluster: {
          enabled: true,
          node_id: `node-${i}`,
          advertise_address: `${host}:${port}`,
          token: TOKEN,
          name: o.cluster ?? 'it',
          consistency: 'quorum',
          rebalance_max_moves: 16,
          handoff_bytes_per_sec: o.handoffBps ?? 0,
          service_discovery: { provider: 'consul', servers: [consul.address], health_check_interval: 5 },
        },
      },
    });
    nodes.set(`node-${i}`, s);
    return s;
  }

  async function ring(s: ServerProcess): Promise<Ring> {
    const r = await fetch(`${s.dataUrl}/admin/ring`, { headers: { 'X-Cluster-Token': TOKEN } });
    return (await r.json()) as Ring;
  }

  async function waitForRing(want: string[], timeoutMs = 90_000): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      const views = await Promise.all([...nodes.values()].map(ring));
      // Settled = nothing pending, every node on the same epoch, and the wanted nodes (only they)
      // hold the replicas evenly (between steps the ring lists every node already).
      const ok = views.every((v) => {
        if (!v.placement || v.pending.length !== 0 || v.epoch !== views[0].epoch) return false;
        const per = replicasPerNode(v);
        const counts = want.map((id) => per.get(id) ?? 0);
        return [...per.keys()].sort().join() === want.join() && Math.max(...counts) - Math.min(...counts) <= 1;
      });
      if (ok) return;
      if (Date.now() - t0 > timeoutMs) throw new Error(`ring did not settle on ${want}: ${JSON.stringify(views.map((v) => [v.epoch, v.placement?.nodes, v.pending.length]))}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  beforeAll(async () => {
    consul = await startConsulAgent();
  }, 600_000);

  afterAll(async () => {
    stopLoad();
    await new Promise((r) => setTimeout(r, 200));
    for (const s of nodes.values()) await s.stop().catch(() => {});
    for (const s of nodes.values()) s.cleanup();
    await consul?.stop();
    for (const f of laterCleanups) f();
  });

  let stopLoad = () => {};
  const laterCleanups: (() => void)[] = [];
  it('keeps every acknowledged row readable and every read answered', async () => {
    for (const i of [1, 2, 3]) await startNode(i);
    await waitForRing(['node-1', 'node-2', 'node-3']);
    const healthy = await (await fetch(`${consul.httpUrl}/v1/health/service/stock-tsdb?passing`)).json();
    expect((healthy as unknown[]).length).toBe(3);

    let acked = 0;
    let failedReads = 0;
    let stop = false;
    stopLoad = () => (stop = true);
    const coordinators = () => [...nodes.values()].slice(0, 3); // nodes 1–3 stay throughout
    const writer = (async () => {
      for (let k = 0; !stop; k++) {
        const s = coordinators()[k % 3];
        const res = await fetch(`${s.dataUrl}/v1/write`, { method: 'POST', body: JSON.stringify(batch(k)) });
        if (res.status === 200) acked = k + 1;
        else throw new Error(`write ${k} → ${res.status} ${await res.text()}`);
      }
    })();
    const reader = (async () => {
      for (let k = 0; !stop; k++) {
        const s = coordinators()[k % 3];
        const res = await fetch(`${s.dataUrl}/v1/query?symbol=stock.SH.${600000 + (k % SYMBOLS)}&start=${T0}&end=${T0 + ROWS * 1000}`);
        if (res.status !== 200) failedReads++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    while (acked < 100) await new Promise((r) => setTimeout(r, 50));
    await startNode(4);
    await startNode(5);
    await waitForRing(['node-1', 'node-2', 'node-3', 'node-4', 'node-5']);
    // The new nodes now hold their share of the 64 × 2 replicas (25 or 26 each).
    const grown = replicasPerNode(await ring(nodes.get('node-1')!));
    for (const id of ['node-4', 'node-5']) expect(grown.get(id), id).toBeGreaterThanOrEqual(25);
    // …and /metrics reports the copies they received (handoff progress).
    for (const id of ['node-4', 'node-5']) {
      const text = await (await fetch(`${nodes.get(id)!.metricsUrl}/metrics`)).text();
      const copied = Number(/^stock_tsdb_handoff_vnodes_copied_total (\d+)/m.exec(text)?.[1]);
      expect(copied, id).toBeGreaterThanOrEqual(25);
      expect(text).toMatch(/^stock_tsdb_handoff_received_bytes_total [1-9]/m);
    }
    const grownAt = acked;
    while (acked < grownAt + 50) await new Promise((r) => setTimeout(r, 50));
    for (const id of ['node-4', 'node-5']) {
      const res = await fetch(`${nodes.get(id)!.dataUrl}/admin/leave`, { method: 'POST', headers: { 'X-Cluster-Token': TOKEN } });
      expect(res.status).toBe(200);
    }
    await waitForRing(['node-1', 'node-2', 'node-3']);
    while (acked < grownAt + 100) await new Promise((r) => setTimeout(r, 50));
    stop = true;
    await Promise.all([writer, reader]);
    for (const id of ['node-4', 'node-5']) {
      await nodes.get(id)!.stop();
      nodes.get(id)!.cleanup();
      nodes.delete(id);
    }

    expect(failedReads).toBe(0);
    // Every acknowledged batch, through every remaining node.
    for (const s of nodes.values()) {
      const seen = new Map<number, number>();
      for (let sym = 0; sym < SYMBOLS; sym++) {
        const res = await fetch(`${s.dataUrl}/v1/query?symbol=stock.SH.${600000 + sym}&start=${T0}&end=${T0 + ROWS * 1000}&fields=volume`);
        const body = (await res.json()) as { rows: [number, number][] };
        for (const [, volume] of body.rows) seen.set(volume / 100 - 1, (seen.get(volume / 100 - 1) ?? 0) + 1);
      }
      for (let k = 0; k < acked; k++) expect(seen.get(k), `batch ${k} via ${s.host}`).toBe(ROWS);
    }
    // The replicas agree vnode by vnode (counts and checksums), as the admin command reports.
    for (const s of nodes.values()) {
      const res = await fetch(`${s.dataUrl}/admin/verify`, { method: 'POST', headers: { 'X-Cluster-Token': TOKEN } });
      const report = (await res.json()) as { vnodesChecked: number; mismatches: unknown[]; errors: string[] };
      expect(report.errors, s.host).toEqual([]);
      expect(report.mismatches, s.host).toEqual([]);
      expect(report.vnodesChecked).toBeGreaterThan(30);
    }
  }, 300_000);

  it('a join interrupted by killing the receiver mid-copy resumes after its restart and loses nothing', async () => {
    for (const s of nodes.values()) await s.stop().catch(() => {});
    for (const s of nodes.values()) s.cleanup();
    nodes.clear();
    // A second cluster on the same Consul; copies throttled so the kill lands mid-copy.
    const opts = { cluster: 'it2', hostBase: 30, handoffBps: 4000 };
    for (const i of [1, 2, 3]) await startNode(i, opts);
    await waitForRing(['node-1', 'node-2', 'node-3']);
    let acked = 0;
    for (let k = 0; k < 120; k++) {
      const res = await fetch(`${nodes.get(`node-${1 + (k % 3)}`)!.dataUrl}/v1/write`, { method: 'POST', body: JSON.stringify(batch(k)) });
      expect(res.status).toBe(200);
      acked = k + 1;
    }
    const joiner = await startNode(4, opts);
    // Wait until node-4 is copying (a job with bytes), then kill it.
    for (let t = 0; ; t++) {
      const res = await fetch(`${joiner.dataUrl}/admin/handoff`, { headers: { 'X-Cluster-Token': TOKEN } });
      const { jobs } = (await res.json()) as { jobs: { state: string; bytes: number }[] };
      if (jobs.some((j) => j.state === 'running' && j.bytes > 0)) break;
      if (t > 600) throw new Error('node-4 never started copying');
      await new Promise((r) => setTimeout(r, 50));
    }
    await joiner.kill9();
    nodes.delete('node-4');
    laterCleanups.push(() => joiner.cleanup()); // its temp dir holds the data dir the restart reuses
    // Writes go on while the receiver is down.
    for (let k = 120; k < 160; k++) {
      const res = await fetch(`${nodes.get(`node-${1 + (k % 3)}`)!.dataUrl}/v1/write`, { method: 'POST', body: JSON.stringify(batch(k)) });
      expect(res.status).toBe(200);
      acked = k + 1;
    }
    const restarted = await startNode(4, { ...opts, dataDir: joiner.dataDir, port: joiner.dataPort });
    await waitForRing(['node-1', 'node-2', 'node-3', 'node-4'], 120_000);
    for (const s of nodes.values()) {
      for (let sym = 0; sym < SYMBOLS; sym++) {
        const res = await fetch(`${s.dataUrl}/v1/query?symbol=stock.SH.${600000 + sym}&start=${T0}&end=${T0 + ROWS * 1000}&fields=volume`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { rows: [number, number][] };
        const batches = new Set(body.rows.map(([, v]) => v / 100 - 1));
        for (let k = sym; k < acked; k += SYMBOLS) expect(batches.has(k), `batch ${k} via ${s.host}`).toBe(true);
      }
      const report = (await (await fetch(`${s.dataUrl}/admin/verify`, { method: 'POST', headers: { 'X-Cluster-Token': TOKEN } })).json()) as { mismatches: unknown[]; errors: string[] };
      expect(report.errors, s.host).toEqual([]);
      expect(report.mismatches, s.host).toEqual([]);
    }
    expect(restarted.dataDir).toBe(joiner.dataDir);
  }, 300_000);
});
