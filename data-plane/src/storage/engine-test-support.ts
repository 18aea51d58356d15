/**
 * Test helpers shared by the engine tests (not used by production code): engines on temporary
 * data folders, closed and removed after each test, and a WriteBatch from series.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { SeriesRows, WriteBatch } from '../model.ts';
import { Engine } from './engine.ts';
import type { EngineOptions } from './engine-options.ts';
import { segmentPrefix, segmentPrefixEnd } from './keys.ts';
import { vnodeOf } from './vnode-of.ts';

/** A batch of the given series (rowCount summed). */
export const batchOf = (...series: SeriesRows[]): WriteBatch => ({ series, rowCount: series.reduce((n, s) => n + s.ts.length, 0) });

/**
 * Opens engines in fresh temporary folders (`prefix-*`) with `defaults` (2 workers, no idle
 * sealing unless overridden); every engine is closed and its folder removed after each test.
 * Call inside a describe block.
 */
export function tempEngines(prefix: string, defaults: Partial<EngineOptions> = {}) {
  const dirs: string[] = [];
  const engines: Engine[] = [];
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close().catch(() => {});
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const open = async (opts: Partial<EngineOptions> = {}, dir?: string): Promise<Engine> => {
    const dataDir = dir ?? mkdtempSync(join(tmpdir(), `${prefix}-`));
    if (!dir) dirs.push(dataDir);
    const e = await Engine.open({ dataDir, workerThreads: 2, idleSealMs: 3_600_000, ...defaults, ...opts });
    engines.push(e);
    return e;
  };
  /** Closes `e` cleanly and opens its folder again. */
  const reopen = async (e: Engine, opts: Partial<EngineOptions> = {}): Promise<Engine> => {
    await e.close();
    engines.splice(engines.indexOf(e), 1);
    return open(opts, e.opts.dataDir);
  };
  return { open, reopen };
}

/**
 * Flips a byte in the middle of `symbol`'s `nth` stored segment (0 = oldest) and empties the
 * decoded-segment cache, so the next read must meet the damage. The engine must have sealed it.
 */
export async function damageStoredSegment(e: Engine, symbol: string, nth = 0): Promise<void> {
  const prefix = segmentPrefix(vnodeOf(symbol, e.opts.vnodes), symbol);
  const it = e.kv.iterate({ gte: prefix, lt: segmentPrefixEnd(prefix) });
  let entry = await it.next();
  for (let k = 0; k < nth && entry; k++) entry = await it.next();
  await it.close();
  if (!entry) throw new Error(`test setup: ${symbol} has no stored segment ${nth}`);
  const damaged = Buffer.from(entry.value);
  damaged[Math.floor(damaged.length / 2)] ^= 0x5a;
  await e.kv.write([{ type: 'put', key: entry.key, value: damaged }]);
  // As a disk fault would find them: nothing of the segment in memory (the damage keeps the
  // value's trailing checksum and length, so a cached copy would still be served, correctly).
  e.cache?.clear();
  e.storedCache?.clear();
}
