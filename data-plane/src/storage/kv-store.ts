/**
 * The small key-value interface the engine needs from its storage. The real implementation is
 * RocksDB (`RocksKvStore`); `MemoryKvStore` exists for fast unit tests of the layers above.
 * Both pass `kv-store.case.test.ts`. Keys and values are bytes; keys sort bytewise.
 */
export interface KvStore {
  get(key: Uint8Array): Promise<Buffer | undefined>;
  /**
   * Values of many keys (undefined where missing), all from one consistent snapshot taken
   * synchronously when this method is called, in one trip through the store's thread pool.
   */
  getMany(keys: Uint8Array[]): Promise<(Buffer | undefined)[]>;
  /** Applies all ops atomically, in order. `sync` = fsync the store's log before resolving. */
  write(ops: KvOp[], opts?: { sync?: boolean }): Promise<void>;
  /**
   * Iterates a key range. The view is a consistent snapshot taken synchronously when this
   * method returns, so writes that complete later are not seen.
   */
  iterate(range: KvRange): KvIterator;
  /** Deletes every key in [gte, lt). */
  clearRange(gte: Uint8Array, lt: Uint8Array): Promise<void>;
  /** Approximate stored bytes of [gte, lt) (0 when unknown). */
  approximateSize(gte: Uint8Array, lt: Uint8Array): Promise<number>;
  /** Compacts [gte, lt) (frees space of deleted and overwritten values). */
  compactRange(gte: Uint8Array, lt: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export type KvOp =
  | { type: 'put'; key: Uint8Array; value: Uint8Array }
  | { type: 'del'; key: Uint8Array };

export interface KvRange {
  gte?: Uint8Array;
  gt?: Uint8Array;
  lt?: Uint8Array;
  lte?: Uint8Array;
  reverse?: boolean;
  /** most entries returned (default unlimited) */
  limit?: number;
  /** values are not needed: a store may return them empty */
  keysOnly?: boolean;
}

export interface KvEntry {
  key: Buffer;
  value: Buffer;
}

/** A forward or reverse cursor; always `close()` it (also when abandoning it early). */
export interface KvIterator extends AsyncIterable<KvEntry> {
  next(): Promise<KvEntry | undefined>;
  close(): Promise<void>;
}

/** Bytewise comparison of keys (RocksDB's default comparator). */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
