import type { KvEntry, KvIterator, KvOp, KvRange, KvStore } from './kv-store.ts';
import { compareKeys } from './kv-store.ts';

/**
 * An in-memory KvStore over a sorted array, for unit tests of the layers above storage.
 * Iterators snapshot the array (copy-on-write: writers replace it, never mutate it).
 */
export class MemoryKvStore implements KvStore {
  private entries: KvEntry[] = [];
  private closed = false;

  async get(key: Uint8Array): Promise<Buffer | undefined> {
    this.check();
    const i = this.find(key);
    return i < this.entries.length && compareKeys(this.entries[i].key, key) === 0 ? this.entries[i].value : undefined;
  }

  getMany(keys: Uint8Array[]): Promise<(Buffer | undefined)[]> {
    this.check();
    // The array is replaced, never mutated, by writers: holding it now is the snapshot.
    const snapshot = this.entries;
    return Promise.resolve().then(() =>
      keys.map((key) => {
        const i = lowerBound(snapshot, key);
        return i < snapshot.length && compareKeys(snapshot[i].key, key) === 0 ? snapshot[i].value : undefined;
      }),
    );
  }

  async write(ops: KvOp[]): Promise<void> {
    this.check();
    const next = this.entries.slice();
    for (const op of ops) {
      const key = Buffer.from(op.key);
      const i = lowerBound(next, key);
      const exists = i < next.length && compareKeys(next[i].key, key) === 0;
      if (op.type === 'put') {
        const entry = { key, value: Buffer.from(op.value) };
        if (exists) next[i] = entry;
        else next.splice(i, 0, entry);
      } else if (exists) next.splice(i, 1);
    }
    this.entries = next;
  }

  iterate(range: KvRange): KvIterator {
    this.check();
    const snapshot = this.entries.filter((e) => inRange(e.key, range));
    if (range.reverse) snapshot.reverse();
    const limited = range.limit !== undefined && range.limit >= 0 ? snapshot.slice(0, range.limit) : snapshot;
    let i = 0;
    let done = false;
    const it: KvIterator = {
      next: async () => (done || i >= limited.length ? undefined : limited[i++]),
      close: async () => {
        done = true;
      },
      async *[Symbol.asyncIterator]() {
        try {
          for (let e = await it.next(); e; e = await it.next()) yield e;
        } finally {
          await it.close();
        }
      },
    };
    return it;
  }

  async clearRange(gte: Uint8Array, lt: Uint8Array): Promise<void> {
    this.check();
    this.entries = this.entries.filter((e) => !(compareKeys(e.key, gte) >= 0 && compareKeys(e.key, lt) < 0));
  }

  async approximateSize(gte: Uint8Array, lt: Uint8Array): Promise<number> {
    let n = 0;
    for (const e of this.entries) if (compareKeys(e.key, gte) >= 0 && compareKeys(e.key, lt) < 0) n += e.key.length + e.value.length;
    return n;
  }

  async compactRange(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }

  private find(key: Uint8Array): number {
    return lowerBound(this.entries, key);
  }

  private check(): void {
    if (this.closed) throw new Error('MemoryKvStore is closed');
  }
}

function lowerBound(arr: KvEntry[], key: Uint8Array): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(arr[mid].key, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function inRange(key: Buffer, r: KvRange): boolean {
  if (r.gte && compareKeys(key, r.gte) < 0) return false;
  if (r.gt && compareKeys(key, r.gt) <= 0) return false;
  if (r.lt && compareKeys(key, r.lt) >= 0) return false;
  if (r.lte && compareKeys(key, r.lte) > 0) return false;
  return true;
}
