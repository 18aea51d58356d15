import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT } from '../helpers/server-process.ts';

function sh(args: string[]): { code: number | null; out: string } {
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts/deploy_cluster.sh'), ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('scripts/deploy_cluster.sh (the original quick start)', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'deploy-cluster-'));
  afterAll(() => {
    sh(['--stop', '--run-dir', runDir]);
    rmSync(runDir, { recursive: true, force: true });
  });

  it('starts Consul and 2 nodes, which register and agree on a ring; --stop stops them all', async () => {
    const consulPort = await freePort();
    // Fixed ports below the kernel's ephemeral range (32768+ here): the other test files' listeners
    // and connections take ephemeral ports, which a base up to 40000 could collide with.
    const base = 20000 + (process.pid % 1000) * 10;
    const up = sh(['--nodes', '2', '--consul', `127.0.0.1:${consulPort}`, '--run-dir', runDir, '--base-port', String(base)]);
    expect(up.code, up.out).toBe(0);
    expect(up.out).toContain('node-2: data 127.0.0.1');
    const healthy = (await (await fetch(`http://127.0.0.1:${consulPort}/v1/health/service/stock-tsdb?passing`)).json()) as { Service: { ID: string } }[];
    expect(healthy.map((e) => e.Service.ID).sort()).toEqual(['node-1', 'node-2']);
    const token = /token='?([0-9a-f]+)/.exec(readFileSync(join(runDir, 'cluster.env'), 'utf8'))![1];
    let nodes: string[] = [];
    for (let i = 0; i < 100 && nodes.length < 2; i++) {
      const ring = (await (await fetch(`http://127.0.0.1:${base + 2}/admin/ring`, { headers: { 'X-Cluster-Token': token } })).json()) as { placement: { nodes: string[] } | null };
      nodes = ring.placement?.nodes ?? [];
      if (nodes.length < 2) await new Promise((r) => setTimeout(r, 200));
    }
    expect(nodes).toEqual(['node-1', 'node-2']);
    // The two nodes share this machine's cores instead of each taking a worker per core.
    const workers = Math.max(1, Math.floor(availableParallelism() / 2));
    for (const n of ['node-1', 'node-2']) {
      const config = JSON.parse(readFileSync(join(runDir, n, 'config.json'), 'utf8')) as { performance: { worker_threads: number } };
      expect(config.performance.worker_threads, n).toBe(workers);
    }
    const down = sh(['--stop', '--run-dir', runDir]);
    expect(down.code, down.out).toBe(0);
    const gone = await fetch(`http://127.0.0.1:${base + 3}/health`).then(() => 'answered', () => 'refused');
    expect(gone).toBe('refused');
  }, 300_000);
});
