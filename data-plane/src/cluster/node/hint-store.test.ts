import { describe, expect, it } from 'vitest';
import { wrapValue } from '../../encoding/envelope.ts';
import { MemoryKvStore } from '../../storage/memory-kv-store.ts';
import { walKey } from '../../storage/keys.ts';
import { allHintsRange, hintKey, hintRange, parseHintKey } from './hint-keys.ts';
import { HintStore } from './hint-store.ts';

const rec = (n: number) => Uint8Array.from([n, n, n]);

describe('hint keys', () => {
  it('lay out 0xFFFF "H" len target seq(u64 BE), sorting by target then append order', () => {
    expect(hintKey('n1', 258).toString('hex')).toBe('ffff48' + '02' + '6e31' + '0000000000000102');
    expect(parseHintKey(hintKey('node-7', 2 ** 40 + 5))).toEqual({ target: 'node-7', seq: 2 ** 40 + 5 });
    const keys = [hintKey('b', 1), hintKey('a', 300), hintKey('a', 2)].sort(Buffer.compare);
    expect(keys.map((k) => parseHintKey(k))).toEqual([{ target: 'a', seq: 2 }, { target: 'a', seq: 300 }, { target: 'b', seq: 1 }]);
    // inside the system range, outside the WAL's
    const { gte, lt } = allHintsRange();
    expect(Buffer.compare(keys[0]!, gte) >= 0 && Buffer.compare(keys[2]!, lt) < 0).toBe(true);
    expect(Buffer.compare(walKey(1), gte) < 0 || Buffer.compare(walKey(1), lt) >= 0).toBe(true);
    // one target's range does not contain another's whose id extends it
    const r = hintRange('n1');
    expect(Buffer.compare(hintKey('n10', 1), r.gte) >= 0 && Buffer.compare(hintKey('n10', 1), r.lt) < 0).toBe(false);
  });
});

describe('HintStore over MemoryKvStore', () => {
  it('keeps per-target queues in append order, removes delivered hints, and reloads counts', async () => {
    const kv = new MemoryKvStore();
    const appended: string[] = [];
    const s = await HintStore.open(kv, { onAppended: (t) => appended.push(t) });
    for (let i = 1; i <= 5; i++) await s.append(i % 2 ? 'n1' : 'n2', rec(i), 1);
    expect([s.pending('n1'), s.pending('n2'), s.pending('n3'), s.total()]).toEqual([3, 2, 0, 5]);
    expect(appended).toEqual(['n1', 'n2', 'n1', 'n2', 'n1']);
    const first = await s.peek('n1', 2);
    expect(first.map((h) => [...h.record!])).toEqual([[1, 1, 1], [3, 3, 3]]);
    await s.remove('n1', first);
    expect(s.pending('n1')).toBe(1);
    expect((await s.peek('n1', 10)).map((h) => h.record![0])).toEqual([5]);

    const again = await HintStore.open(kv);
    expect([again.pending('n1'), again.pending('n2'), again.targets().sort()]).toEqual([1, 2, ['n1', 'n2']]);
    await again.append('n1', rec(9), 1);
    const all = await again.peek('n1', 10);
    // the sequence continues after the highest stored one, so new hints queue behind old ones
    expect(all.map((h) => h.record![0])).toEqual([5, 9]);
    expect(all[1]!.seq).toBeGreaterThan(all[0]!.seq);
  });

  it('counts an append from its first step, and forgets it when the store fails', async () => {
    const kv = new MemoryKvStore();
    const s = await HintStore.open(kv);
    const p = s.append('n1', rec(1), 1);
    expect(s.pending('n1')).toBe(1); // before the write resolved: a direct write must not overtake it
    await p;
    const failing = Object.assign(Object.create(kv), { write: async () => Promise.reject(new Error('disk full')) });
    const f = await HintStore.open(failing);
    await expect(f.append('n2', rec(2), 1)).rejects.toThrow('disk full');
    expect(f.pending('n2')).toBe(0);
  });

  it('hands out only the prefix below the oldest append still in flight', async () => {
    const kv = new MemoryKvStore();
    const slow = new Set<number>();
    // A store whose write of hint 2 takes until the test releases it, so hint 3 is durable first.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const delayed = Object.assign(Object.create(kv), {
      write: async (ops: Parameters<MemoryKvStore['write']>[0]) => {
        if (ops.some((op) => op.type === 'put' && parseHintKey(op.key).seq === 2)) (slow.add(2), await gate);
        return kv.write(ops);
      },
    });
    const s = await HintStore.open(delayed);
    await s.append('n1', rec(1), 1);
    const second = s.append('n1', rec(2), 1);
    await s.append('n1', rec(3), 1);
    expect(slow.has(2)).toBe(true);
    expect((await s.peek('n1', 10)).map((h) => h.record![0])).toEqual([1]);
    release();
    await second;
    expect((await s.peek('n1', 10)).map((h) => h.record![0])).toEqual([1, 2, 3]);
  });

  it('keeps the ring epoch each hint was routed by, and reads hints stored without one', async () => {
    const kv = new MemoryKvStore();
    const s = await HintStore.open(kv);
    await s.append('n1', rec(1), 7);
    await s.append('n1', rec(2), 2 ** 40 + 3); // past 32 bits
    await kv.write([{ type: 'put', key: hintKey('n1', 50), value: Buffer.from(wrapValue('hint', rec(3))) }]); // an older version's hint
    const got = await s.peek('n1', 10);
    expect(got.map((h) => [[...h.record!], h.epoch])).toEqual([
      [[1, 1, 1], 7],
      [[2, 2, 2], 2 ** 40 + 3],
      [[3, 3, 3], undefined],
    ]);
    // a routed hint too short to hold its epoch is reported, not misread
    await kv.write([{ type: 'put', key: hintKey('n1', 60), value: Buffer.from(wrapValue('routed-hint', Uint8Array.of(1, 2))) }]);
    expect((await s.peek('n1', 10))[3]!.error?.message).toMatch(/has no epoch/);
  });

  it('reports a corrupt hint instead of its record', async () => {
    const kv = new MemoryKvStore();
    const s = await HintStore.open(kv);
    await s.append('n1', rec(1), 1);
    const bad = Buffer.from(wrapValue('hint', rec(2)));
    bad[9] ^= 0xff;
    await kv.write([{ type: 'put', key: hintKey('n1', 99), value: bad }]);
    const got = await s.peek('n1', 10);
    expect(got[0]!.record).toBeDefined();
    expect(got[1]!.record).toBeUndefined();
    expect(got[1]!.error?.message).toMatch(/checksum.*hint\/n1\/99/);
  });
});
