import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from './engine.ts';
import { batchOf } from './engine-test-support.ts';
import { engineMetaKey, KIND_SEGMENT, segmentKey, segmentKeyTs, segmentPrefix } from './keys.ts';
import type { KvOp } from './kv-store.ts';
import { RocksKvStore } from './rocks-kv-store.ts';

const MAX = Number.MAX_SAFE_INTEGER;

describe('segment keys', () => {
  const prefix = segmentPrefix(7, 'stock.SH.600519');

  it('give back exactly the timestamp they were made from, for every integer µs timestamp', () => {
    fc.assert(
      fc.property(fc.integer({ min: -MAX, max: MAX }), (ts) => {
        expect(segmentKeyTs(segmentKey(prefix, ts))).toBe(ts);
      }),
    );
    for (const ts of [0, -1, 1, 2 ** 32 - 1, 2 ** 32, -(2 ** 32), 1_704_159_059_000_001, -MAX, MAX]) expect(segmentKeyTs(segmentKey(prefix, ts))).toBe(ts);
  });

  it('as seek bounds, out-of-range numbers become the nearest limit instead of throwing', () => {
    for (const [t, limit] of [[Infinity, MAX], [1e20, MAX], [-Infinity, -MAX], [-1e20, -MAX]]) {
      expect(segmentKeyTs(segmentKey(prefix, t))).toBe(limit);
    }
    expect(Buffer.compare(segmentKey(prefix, Infinity), segmentKey(prefix, MAX - 1))).toBe(1);
    expect(Buffer.compare(segmentKey(prefix, -Infinity), segmentKey(prefix, -MAX + 1))).toBe(-1);
  });

  it('sort bytewise in timestamp order, also 1 µs apart and across zero', () => {
    fc.assert(
      fc.property(fc.integer({ min: -MAX, max: MAX - 1 }), fc.integer({ min: 1, max: 5000 }), (a, d) => {
        const b = Math.min(MAX, a + d);
        expect(Buffer.compare(segmentKey(prefix, a), segmentKey(prefix, b))).toBe(-1);
      }),
    );
  });
});

// Format 1 computed the key as (ts + 2^63) in a double: rounded to 2048 µs.
function format1Key(prefixBytes: Buffer, ts: number): Buffer {
  const b = Buffer.allocUnsafe(prefixBytes.length + 8);
  prefixBytes.copy(b, 0);
  const v = ts + 2 ** 63;
  const hi = Math.floor(v / 2 ** 32);
  b.writeUInt32BE(hi >>> 0, prefixBytes.length);
  b.writeUInt32BE((v - hi * 2 ** 32) >>> 0, prefixBytes.length + 4);
  return b;
}

const T0 = 1_704_159_000_000_000;

/**
 * A store in format 1: series T with `ts` (and price = row index) written and sealed in 64-row
 * segments by this build, then its off-grid keys rewritten the way format 1 wrote them and the
 * format marker set to 1. With `damageOne`, the first re-keyed segment also gets a flipped byte.
 */
async function format1Store(dataDir: string, ts: number[], damageOne = false): Promise<{ opts: Parameters<typeof Engine.open>[0]; offGrid: number; damaged: Buffer | null }> {
  const opts = { dataDir, workerThreads: 1, idleSealMs: 3_600_000, segmentMaxRows: 64, cacheBytes: 0 };
  const e = await Engine.open(opts);
  await e.write(batchOf({ symbol: 'T', ts: Float64Array.from(ts), columns: new Map([['price', Float64Array.from(ts, (_, i) => i)]]) }));
  await e.flush();
  await e.close();
  const kv = await RocksKvStore.open(dataDir, { writeBufferSize: 4 << 20, cacheSize: 8 << 20 });
  const prefix = segmentPrefix(e.seriesState('T')!.vnode, 'T');
  const ops: KvOp[] = [];
  let offGrid = 0;
  let damaged: Buffer | null = null;
  for await (const x of kv.iterate({ gte: prefix, lt: Buffer.concat([prefix, Buffer.alloc(9, 0xff)]) })) {
    expect(x.key[2]).toBe(KIND_SEGMENT);
    const old = format1Key(prefix, segmentKeyTs(x.key));
    if (old.equals(x.key)) continue;
    offGrid++;
    const value = Buffer.from(x.value);
    if (damageOne && !damaged) (value[value.length >> 1] ^= 0xff), (damaged = old);
    ops.push({ type: 'del', key: x.key }, { type: 'put', key: old, value });
  }
  ops.push({ type: 'put', key: engineMetaKey('format'), value: Buffer.from('1') });
  await kv.write(ops, { sync: true });
  await kv.close();
  return { opts, offGrid, damaged };
}

describe('storage format 1 → 2 migration (real RocksDB)', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tempDir = (name: string) => {
    const d = mkdtempSync(join(tmpdir(), name));
    dirs.push(d);
    return d;
  };

  it('re-keys format-1 segments exactly, once, and reads every row, also at the edges format 1 lost', async () => {
    // Tick-like timestamps 300 µs apart: many segment ends fall off format 1's 2048 µs grid.
    const ts = Array.from({ length: 2000 }, (_, i) => T0 + i * 300 + (i % 7));
    const { opts, offGrid } = await format1Store(tempDir('fmt1-'), ts);
    expect(offGrid).toBeGreaterThan(20);

    const logs: Record<string, unknown>[] = [];
    const e2 = await Engine.open(opts, { log: (_l, msg, extra) => msg.includes('segment keys made exact') && logs.push(extra ?? {}) });
    try {
      expect(logs).toEqual([expect.objectContaining({ rewritten: offGrid })]);
      const all = await e2.readRange({ symbol: 'T', start: T0, end: T0 + 10_000_000 });
      expect(Array.from(all.ts)).toEqual(ts);
      // Ranges ending just after a segment's last row: format 1 could stop one segment early here.
      for (let i = 63; i < ts.length; i += 64) {
        const r = await e2.readRange({ symbol: 'T', start: ts[i - 10], end: ts[i + 1] + 1 });
        expect(Array.from(r.ts)).toEqual(ts.slice(i - 10, i + 2));
      }
      expect(e2.reader.directoryMisses).toBe(0);
    } finally {
      await e2.close();
    }
    // Format 2 recorded: the next open migrates nothing.
    const again: unknown[] = [];
    const e3 = await Engine.open(opts, { log: (_l, msg) => msg.includes('format 1') && again.push(msg) });
    await e3.close();
    expect(again).toEqual([]);
  });

  it('opens a format-1 store with a damaged segment: that one keeps its key, the rest are migrated', async () => {
    const ts = Array.from({ length: 640 }, (_, i) => T0 + i * 300 + (i % 7));
    const { opts, damaged } = await format1Store(tempDir('fmt1-bad-'), ts, true);
    expect(damaged).not.toBeNull();

    const logs: { level: string; extra: Record<string, unknown> }[] = [];
    const e2 = await Engine.open(opts, { log: (level, msg, extra) => msg.includes('format 1') && logs.push({ level, extra: extra ?? {} }) });
    try {
      expect(logs.find((l) => l.level === 'error')?.extra).toMatchObject({ unreadable: 1 });
      expect(logs.find((l) => l.level === 'info' && 'ms' in l.extra)?.extra).toMatchObject({ unreadable: 1 });
      // The damaged segment is still there under its old key (its reads fail as corrupt).
      expect(await e2.kv.get(damaged!)).toBeDefined();
      await expect(e2.readRange({ symbol: 'T', start: T0, end: T0 + 10_000_000 })).rejects.toThrow(/checksum|corrupt/i);
    } finally {
      await e2.close();
    }
  });
});
