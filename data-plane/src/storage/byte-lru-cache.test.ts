import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteLruCache } from './byte-lru-cache.ts';

function cache(maxBytes: number, ttlMs = 0) {
  const clock = { t: 0 };
  const c = new ByteLruCache<string, number>({ maxBytes, ttlMs, now: () => clock.t });
  return { c, clock };
}

describe('ByteLruCache', () => {
  it('get() returns what set() stored and counts hits and misses', () => {
    const { c } = cache(100);
    expect(c.set('a', 1, 10)).toBe(true);
    expect(c.get('a')).toBe(1);
    expect(c.get('b')).toBeUndefined();
    expect(c.stats()).toMatchObject({ hits: 1, misses: 1, bytes: 10, entries: 1, evictions: 0 });
  });

  it('evicts the least recently used entry first', () => {
    const { c } = cache(30);
    c.set('a', 1, 10);
    c.set('b', 2, 10);
    c.set('c', 3, 10);
    c.get('a'); // a is now the most recent; b is the oldest
    c.set('d', 4, 10);
    expect(c.has('b')).toBe(false);
    expect(['a', 'c', 'd'].every((k) => c.has(k))).toBe(true);
    expect(c.stats()).toMatchObject({ evictions: 1, bytes: 30, entries: 3 });
  });

  it('has() changes neither use order nor counters', () => {
    const { c } = cache(20);
    c.set('a', 1, 10);
    c.set('b', 2, 10);
    expect(c.has('a')).toBe(true);
    c.set('c', 3, 10); // a is still the oldest
    expect(c.has('a')).toBe(false);
    expect(c.stats()).toMatchObject({ hits: 0, misses: 0 });
  });

  it('evicts as many entries as a big entry needs', () => {
    const { c } = cache(100);
    for (let i = 0; i < 10; i++) c.set(`k${i}`, i, 10);
    c.set('big', -1, 95);
    expect(c.stats()).toMatchObject({ entries: 1, bytes: 95, evictions: 10 });
  });

  it('does not cache an entry larger than the bound and drops the old value of its key', () => {
    const { c } = cache(50);
    c.set('a', 1, 10);
    c.set('x', 2, 10);
    expect(c.set('x', 3, 51)).toBe(false);
    expect(c.has('x')).toBe(false);
    expect(c.get('a')).toBe(1);
    expect(c.stats().bytes).toBe(10);
  });

  it('maxBytes 0 caches nothing', () => {
    const { c } = cache(0);
    expect(c.set('a', 1, 1)).toBe(false);
    expect(c.set('z', 1, 0)).toBe(true); // a zero-byte entry fits a zero bound
    expect(c.stats().bytes).toBe(0);
  });

  it('replacing a key adjusts the byte count', () => {
    const { c } = cache(100);
    c.set('a', 1, 40);
    c.set('a', 2, 25);
    expect(c.get('a')).toBe(2);
    expect(c.stats()).toMatchObject({ bytes: 25, entries: 1 });
  });

  it('entries expire ttlMs after set()', () => {
    const { c, clock } = cache(100, 1000);
    c.set('a', 1, 10);
    clock.t = 999;
    expect(c.get('a')).toBe(1); // a hit does not extend the lifetime
    clock.t = 1000;
    expect(c.get('a')).toBeUndefined();
    expect(c.has('a')).toBe(false);
    expect(c.stats()).toMatchObject({ bytes: 0, entries: 0, expirations: 1, misses: 1 });
  });

  it('ttlMs 0 never expires', () => {
    const { c, clock } = cache(100, 0);
    c.set('a', 1, 10);
    clock.t = 1e15;
    expect(c.get('a')).toBe(1);
  });

  it('pruneExpired() drops only expired entries', () => {
    const { c, clock } = cache(100, 100);
    c.set('a', 1, 10);
    clock.t = 50;
    c.set('b', 2, 10);
    clock.t = 120;
    expect(c.pruneExpired()).toBe(1);
    expect(c.has('b')).toBe(true);
    expect(c.stats()).toMatchObject({ bytes: 10, entries: 1, expirations: 1 });
  });

  it('deleteWhere() removes matching entries and their bytes', () => {
    const { c } = cache(100);
    c.set('s1/a', 1, 10);
    c.set('s2/a', 2, 10);
    c.set('s1/b', 3, 10);
    expect(c.deleteWhere((k) => k.startsWith('s1/'))).toBe(2);
    expect(c.has('s2/a')).toBe(true);
    expect(c.stats()).toMatchObject({ bytes: 10, entries: 1 });
    expect(c.delete('s2/a')).toBe(true);
    expect(c.delete('s2/a')).toBe(false);
  });

  it('rejects a negative or non-finite size as a bug', () => {
    const { c } = cache(100);
    expect(() => c.set('a', 1, -1)).toThrow(/BUG/);
    expect(() => c.set('a', 1, NaN)).toThrow(/BUG/);
  });

  it('matches a naive model under random operations (bound never exceeded)', () => {
    type Op = { op: 'set' | 'get' | 'del' | 'tick'; key: number; bytes: number };
    const op = fc.record({
      op: fc.constantFrom<Op['op']>('set', 'set', 'get', 'get', 'del', 'tick'),
      key: fc.integer({ min: 0, max: 7 }),
      bytes: fc.integer({ min: 0, max: 60 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 0, max: 100 }), fc.constantFrom(0, 5, 20), (ops, maxBytes, ttl) => {
        const clock = { t: 0 };
        const c = new ByteLruCache<number, number>({ maxBytes, ttlMs: ttl, now: () => clock.t });
        // model: array in use order (oldest first) of [key, bytes, expiresAt]
        let model: [number, number, number][] = [];
        for (const o of ops) {
          const now = clock.t;
          if (o.op === 'tick') clock.t += 3;
          else if (o.op === 'del') {
            model = model.filter(([k]) => k !== o.key);
            c.delete(o.key);
          } else if (o.op === 'get') {
            const i = model.findIndex(([k]) => k === o.key);
            const live = i >= 0 && (ttl === 0 || now < model[i][2]);
            if (i >= 0) {
              const [e] = model.splice(i, 1);
              if (live) model.push(e);
            }
            expect(c.get(o.key)).toBe(live ? model[model.length - 1][1] : undefined);
          } else {
            model = model.filter(([k]) => k !== o.key);
            if (o.bytes <= maxBytes) {
              let total = model.reduce((s, [, b]) => s + b, 0);
              while (total + o.bytes > maxBytes) total -= model.shift()![1];
              model.push([o.key, o.bytes, ttl ? now + ttl : Infinity]);
            }
            expect(c.set(o.key, o.bytes, o.bytes)).toBe(o.bytes <= maxBytes);
          }
          const s = c.stats();
          expect(s.bytes).toBeLessThanOrEqual(maxBytes);
          expect(s.bytes).toBe(model.reduce((sum, [, b]) => sum + b, 0));
          expect(s.entries).toBe(model.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
