import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../data-plane/src/storage/engine.ts';
import { CRASH_ROWS, crashBatch } from '../fixtures/crash-batch.ts';

const BUN = join(process.cwd(), 'node_modules/.bin/bun');

/** Runs the writer until a random moment, SIGKILLs it, returns the acknowledged batch ids. */
async function runAndKill(dir: string, first: number, killAfterMs: number): Promise<number[]> {
  const child = spawn(BUN, ['test/fixtures/crash-writer.ts', dir, String(first)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked: number[] = [];
  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  lines.on('line', (line) => {
    if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    else if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
  });
  await exited;
  return acked;
}

describe('engine crash safety (kill -9 while ingesting and sealing)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every acknowledged row is readable after each of several SIGKILLs', async () => {
    const acked: number[] = [];
    let next = 0;
    // Deterministic "random" kill moments, different each round.
    for (const killAfter of [700, 1300, 450, 1000]) {
      const got = await runAndKill(dir, next, killAfter);
      expect(got.length).toBeGreaterThan(0);
      acked.push(...got);
      next = Math.max(...got) + 10; // skip the batches that may have been in flight
    }
    const engine = await Engine.open({ dataDir: dir, workerThreads: 1 });
    try {
      // Read each symbol once, then check every acknowledged batch's rows in it.
      const stored = new Map<string, Map<number, [number, number]>>();
      for (const k of acked) {
        const b = crashBatch(k).series[0];
        if (stored.has(b.symbol)) continue;
        const got = await engine.readRange({ symbol: b.symbol, start: 0, end: 2 ** 52, fields: ['price', 'volume'] });
        stored.set(b.symbol, new Map(Array.from(got.ts, (t, i) => [t, [got.values[0][i], got.values[1][i]]])));
      }
      let checked = 0;
      for (const k of acked) {
        const b = crashBatch(k).series[0];
        const rows = stored.get(b.symbol)!;
        for (let i = 0; i < CRASH_ROWS; i++) {
          const want = [b.columns.get('price')![i], b.columns.get('volume')![i]];
          expect(rows.get(b.ts[i]), `batch ${k} row ${i}`).toEqual(want);
          checked++;
        }
      }
      expect(checked).toBe(acked.length * CRASH_ROWS);
    } finally {
      await engine.close();
    }
  }, 120_000);
});
