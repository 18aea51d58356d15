import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startServer, type ServerProcess } from '../helpers/server-process.ts';

const ROWS = 100;
const SYMBOLS = 5;
const T0 = 1_700_000_000; // s

/** Batch k: ROWS rows of one symbol, timestamps unique to k, values derived from k. */
function batch(k: number): { symbol: string; rows: { timestamp: number; price: number; volume: number }[] } {
  const symbol = `bk.T.${k % SYMBOLS}`;
  const rows = Array.from({ length: ROWS }, (_, i) => ({ timestamp: T0 + i * 10_000 + Math.floor(k / SYMBOLS), price: 100 + k / 100, volume: k * 100 + i }));
  return { symbol, rows };
}

function script(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('bash', [join(REPO_ROOT, 'scripts/utils/backup_restore.sh'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) => resolve({ code, out }));
  });
}

describe('online backup under write load, then restore', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'backup-test-'));
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop().catch(() => {});
    for (const s of servers) s.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('restores exactly the batches acknowledged before the snapshot point', async () => {
    const a = await startServer({ config: { storage: { head_idle_seal: 1 } } });
    servers.push(a);
    let acked = 0;
    let stop = false;
    const writer = (async () => {
      for (let k = 0; !stop; k++) {
        const res = await fetch(`${a.dataUrl}/v1/write`, { method: 'POST', body: JSON.stringify(batch(k)) });
        expect(res.status).toBe(200);
        acked = k + 1;
        if (k === 30) await fetch(`${a.dataUrl}/admin/flush`, { method: 'POST' }); // some rows sealed, some in the WAL
      }
    })();
    while (acked < 60) await new Promise((r) => setTimeout(r, 20));
    const ackedAtStart = acked;
    const archive = join(tmp, 'backup.tar.gz');
    const backup = await script(['--backup', '--output', archive, '--host', a.host, '--port', String(a.dataPort)]);
    const ackedAtEnd = acked;
    expect(backup.code, backup.out).toBe(0);
    expect(backup.out).toMatch(/snapshot point/);
    while (acked < ackedAtEnd + 20) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await writer;
    await a.stop();

    const restored = join(tmp, 'restored');
    const restore = await script(['--restore', '--input', archive, '--data-dir', restored]);
    expect(restore.code, restore.out).toBe(0);
    const again = await script(['--restore', '--input', archive, '--data-dir', restored]);
    expect(again.code).not.toBe(0);
    expect(again.out).toMatch(/not empty/);

    const b = await startServer({ dataDir: restored });
    servers.push(b);
    const present = new Set<number>();
    for (let s = 0; s < SYMBOLS; s++) {
      const res = await fetch(`${b.dataUrl}/v1/query?symbol=bk.T.${s}&start=${T0}&end=${T0 + ROWS * 10_000}&fields=price,volume`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { rows: [number, number, number][] };
      const perBatch = new Map<number, number>();
      for (const [t, price, volume] of body.rows) {
        const k = SYMBOLS * ((t - T0) % 10_000) + s;
        const i = Math.floor((t - T0) / 10_000);
        expect([price, volume]).toEqual([100 + k / 100, k * 100 + i]);
        perBatch.set(k, (perBatch.get(k) ?? 0) + 1);
      }
      for (const [k, n] of perBatch) {
        expect(n, `batch ${k} is whole`).toBe(ROWS);
        present.add(k);
      }
    }
    // A prefix of the acknowledged batches, cut somewhere while the backup ran.
    const m = present.size;
    for (let k = 0; k < m; k++) expect(present.has(k), `batch ${k}`).toBe(true);
    expect(m).toBeGreaterThanOrEqual(ackedAtStart);
    expect(m).toBeLessThanOrEqual(ackedAtEnd);
  }, 120_000);
});
