/** Options of a ByteLruCache. */
export interface ByteLruCacheOptions {
  /** bound on the sum of entry sizes, in bytes (0 = cache nothing) */
  maxBytes: number;
  /** entry lifetime in ms from its `set` (0 = no time limit, as `cache.ttl` 0 in the config) */
  ttlMs: number;
  /** clock in ms; default `performance.now()` (monotonic). Injectable for tests. */
  now?: () => number;
}

/** Counters and gauges of a ByteLruCache (for /metrics). */
export interface ByteLruCacheStats {
  hits: number;
  misses: number;
  /** entries dropped to make room (not counting expiry, delete or replacement) */
  evictions: number;
  /** entries found expired and dropped */
  expirations: number;
  bytes: number;
  entries: number;
  maxBytes: number;
}

interface Entry<V> {
  value: V;
  bytes: number;
  expiresAt: number;
}

/**
 * A least-recently-used cache bounded by total bytes (the caller states each entry's size),
 * with a time-to-live. O(1) get/set/delete: a Map keeps entries in use order (a hit is
 * re-inserted at the end), so the first key is always the least recently used.
 * An entry larger than `maxBytes` is not cached. Expired entries are dropped when touched,
 * when they reach the LRU end during eviction, or by `pruneExpired`.
 *
 * Concurrency: single-threaded (one event loop); not shared between workers.
 */
export class ByteLruCache<K, V> {
  private readonly map = new Map<K, Entry<V>>();
  private readonly maxBytes: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private expirations = 0;

  constructor(opts: ByteLruCacheOptions) {
    if (!(opts.maxBytes >= 0) || !(opts.ttlMs >= 0)) throw new Error(`BUG: ByteLruCache maxBytes/ttlMs must be >= 0`);
    this.maxBytes = opts.maxBytes;
    this.ttlMs = opts.ttlMs;
    this.now = opts.now ?? (() => performance.now());
  }

  /** The value for `key` (marking it most recently used), or undefined; counts a hit or miss. */
  get(key: K): V | undefined {
    const e = this.live(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  /** Whether `key` is cached and not expired; touches neither use order nor hit/miss counts. */
  has(key: K): boolean {
    return this.live(key) !== undefined;
  }

  /**
   * Caches `value` as `bytes` bytes (replacing any entry for `key`), evicting least recently
   * used entries to stay within `maxBytes`. Returns false (and caches nothing, dropping any
   * old entry for the key) when `bytes` alone exceeds the bound.
   */
  set(key: K, value: V, bytes: number): boolean {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new Error(`BUG: ByteLruCache entry size ${bytes}`);
    this.delete(key);
    if (bytes > this.maxBytes) return false;
    const now = this.now();
    for (const [k, e] of this.map) {
      if (this.bytes + bytes <= this.maxBytes) break;
      this.drop(k, e);
      if (this.expired(e, now)) this.expirations++;
      else this.evictions++;
    }
    this.map.set(key, { value, bytes, expiresAt: this.ttlMs > 0 ? now + this.ttlMs : Infinity });
    this.bytes += bytes;
    return true;
  }

  /** Removes `key`; returns whether it was cached. */
  delete(key: K): boolean {
    const e = this.map.get(key);
    if (!e) return false;
    this.drop(key, e);
    return true;
  }

  /** Removes every entry for which `pred` is true (e.g. a series' segments); returns how many. */
  deleteWhere(pred: (key: K, value: V) => boolean): number {
    let n = 0;
    for (const [k, e] of this.map) {
      if (pred(k, e.value)) {
        this.drop(k, e);
        n++;
      }
    }
    return n;
  }

  /** Drops every expired entry (O(entries)); returns how many. */
  pruneExpired(): number {
    const now = this.now();
    let n = 0;
    for (const [k, e] of this.map) {
      if (this.expired(e, now)) {
        this.drop(k, e);
        n++;
      }
    }
    this.expirations += n;
    return n;
  }

  /** Removes everything (counters are kept). */
  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }

  /** Current counters and sizes. */
  stats(): ByteLruCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      expirations: this.expirations,
      bytes: this.bytes,
      entries: this.map.size,
      maxBytes: this.maxBytes,
    };
  }

  /** The entry for `key` if present and not expired; drops it if expired. */
  private live(key: K): Entry<V> | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (this.expired(e, this.now())) {
      this.drop(key, e);
      this.expirations++;
      return undefined;
    }
    return e;
  }

  private expired(e: Entry<V>, now: number): boolean {
    return now >= e.expiresAt;
  }

  private drop(key: K, e: Entry<V>): void {
    this.map.delete(key);
    this.bytes -= e.bytes;
  }
}
