import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KvStore } from './kv-store.ts';
import { MemoryKvStore } from './memory-kv-store.ts';
import { RocksKvStore } from './rocks-kv-store.ts';

// The contract every KvStore implementation passes (real RocksDB and the in-memory one).
const implementations: [string, () => Promise<{ store: KvStore; cleanup: () => void }>][] = [
  ['MemoryKvStore', async () => ({ store: new MemoryKvStore(), cleanup: () => {} })],
  [
    'RocksKvStore',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kv-case-'));
      const store = await RocksKvStore.open(dir, { writeBufferSize: 4 << 20, cacheSize: 8 << 20 });
      return { store, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
];

const b = (...xs: number[]) => Buffer.from(xs);

async function collect(store: KvStore, range: Parameters<KvStore['iterate']>[0]): Promise<string[]> {
  const out: string[] = [];
  for await (const e of store.iterate(range)) out.push(`${e.key.toString('hex')}=${e.value.toString()}`);
  return out;
}

for (const [name, make] of implementations) {
  describe(`${name} (KvStore contract)`, () => {
    let store: KvStore;
    let cleanup: () => void;
    afterEach(async () => {
      await store.close();
      cleanup();
    });

    it('get() returns what write() put and undefined for missing keys', async () => {
      ({ store, cleanup } = await make());
      await store.write([{ type: 'put', key: b(1, 2), value: Buffer.from('x') }], { sync: true });
      expect((await store.get(b(1, 2)))?.toString()).toBe('x');
      expect(await store.get(b(1, 3))).toBeUndefined();
    });

    it('write() applies puts and deletes atomically and in order', async () => {
      ({ store, cleanup } = await make());
      await store.write([
        { type: 'put', key: b(1), value: Buffer.from('a') },
        { type: 'put', key: b(2), value: Buffer.from('b') },
        { type: 'del', key: b(1) },
        { type: 'put', key: b(2), value: Buffer.from('c') },
      ]);
      expect(await store.get(b(1))).toBeUndefined();
      expect((await store.get(b(2)))?.toString()).toBe('c');
    });

    it('iterate() honours gte/lt/gt/lte, reverse and limit in bytewise order', async () => {
      ({ store, cleanup } = await make());
      await store.write([0, 1, 2, 0xff, 3].map((k) => ({ type: 'put' as const, key: b(k, 0), value: Buffer.from(String(k)) })));
      expect(await collect(store, { gte: b(1), lt: b(3) })).toEqual(['0100=1', '0200=2']);
      expect(await collect(store, { gt: b(1, 0), lte: b(3, 0) })).toEqual(['0200=2', '0300=3']);
      expect(await collect(store, { reverse: true, limit: 2 })).toEqual(['ff00=255', '0300=3']);
      expect(await collect(store, { lt: b(2, 0), reverse: true, limit: 1 })).toEqual(['0100=1']);
    });

    it('an iterator sees a snapshot: writes after its creation are invisible to it', async () => {
      ({ store, cleanup } = await make());
      await store.write([{ type: 'put', key: b(1), value: Buffer.from('old') }]);
      const it = store.iterate({});
      await store.write([
        { type: 'put', key: b(1), value: Buffer.from('new') },
        { type: 'put', key: b(2), value: Buffer.from('added') },
      ]);
      const seen: string[] = [];
      for await (const e of it) seen.push(e.value.toString());
      expect(seen).toEqual(['old']);
    });

    it('getMany() answers in key order with undefined for missing keys, from a snapshot taken at the call', async () => {
      ({ store, cleanup } = await make());
      await store.write([1, 3].map((k) => ({ type: 'put' as const, key: b(k), value: Buffer.from(`v${k}`) })));
      const pending = store.getMany([b(3), b(2), b(1)]);
      await store.write([
        { type: 'put', key: b(2), value: Buffer.from('late') },
        { type: 'del', key: b(3) },
      ]);
      expect((await pending).map((v) => v?.toString())).toEqual(['v3', undefined, 'v1']);
      expect((await store.getMany([b(3), b(2)])).map((v) => v?.toString())).toEqual([undefined, 'late']);
      expect(await store.getMany([])).toEqual([]);
    });

    it('iterate({ keysOnly }) yields every key of the range', async () => {
      ({ store, cleanup } = await make());
      await store.write([1, 2, 3].map((k) => ({ type: 'put' as const, key: b(k), value: Buffer.alloc(100, k) })));
      const keys: string[] = [];
      for await (const e of store.iterate({ gte: b(2), keysOnly: true })) keys.push(e.key.toString('hex'));
      expect(keys).toEqual(['02', '03']);
    });

    it('clearRange() deletes exactly [gte, lt)', async () => {
      ({ store, cleanup } = await make());
      await store.write([1, 2, 3, 4].map((k) => ({ type: 'put' as const, key: b(k), value: b(k) })));
      await store.clearRange(b(2), b(4));
      expect((await collect(store, {})).map((s) => s.slice(0, 2))).toEqual(['01', '04']);
    });

    it('approximateSize() is a non-negative number', async () => {
      ({ store, cleanup } = await make());
      await store.write([{ type: 'put', key: b(1), value: Buffer.alloc(1000) }]);
      expect(await store.approximateSize(b(0), b(2))).toBeGreaterThanOrEqual(0);
    });
  });
}
