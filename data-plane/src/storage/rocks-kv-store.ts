import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { StorageError } from '../errors.ts';
import type { KvEntry, KvIterator, KvOp, KvRange, KvStore } from './kv-store.ts';

const require = createRequire(import.meta.url);
// The `rocksdb` package is CommonJS with a prebuilt N-API binary (works under Node and Bun).
const rocksdb = require('rocksdb') as (location: string) => any;

export interface RocksOptions {
  /** memtable size in bytes (measured: 64 MB gives 2.2× the binding's default put rate) */
  writeBufferSize: number;
  /** RocksDB block cache in bytes */
  cacheSize: number;
}

/**
 * RocksDB through the `rocksdb` npm binding. Values we store are already compressed and
 * checksummed, so RocksDB's own compression is off; SST files are 64 MB instead of the
 * binding's 2 MB so that years of history do not become hundreds of thousands of files.
 * Concurrency: any number of concurrent calls; RocksDB groups concurrent synced writes into
 * one log fsync.
 */
export class RocksKvStore implements KvStore {
  private constructor(private readonly db: any, readonly location: string) {}

  /** Opens (creating if missing) the store at `location`. */
  static async open(location: string, opts: RocksOptions): Promise<RocksKvStore> {
    mkdirSync(location, { recursive: true });
    const db = rocksdb(location);
    await new Promise<void>((resolve, reject) =>
      db.open(
        {
          createIfMissing: true,
          compression: false,
          writeBufferSize: Math.min(opts.writeBufferSize, 0xffffffff),
          cacheSize: Math.min(opts.cacheSize, 0xffffffff),
          maxFileSize: 64 << 20,
          blockSize: 16 << 10,
          maxOpenFiles: 1000,
        },
        (err: Error | undefined) =>
          err ? reject(new StorageError(`open RocksDB at ${location}: ${err.message}`, { cause: err })) : resolve(),
      ),
    );
    return new RocksKvStore(db, location);
  }

  get(key: Uint8Array): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) =>
      this.db.get(toBuf(key), { asBuffer: true, fillCache: true }, (err: any, value: Buffer) => {
        if (err) {
          if (/NotFound/i.test(err.message ?? '') || err.code === 'LEVEL_NOT_FOUND') resolve(undefined);
          else reject(new StorageError(`get: ${err.message}`, { cause: err }));
        } else resolve(value);
      }),
    );
  }

  getMany(keys: Uint8Array[]): Promise<(Buffer | undefined)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    // The binding takes its snapshot in this call, on this thread (GetManyWorker's constructor).
    return new Promise((resolve, reject) =>
      this.db.getMany(keys.map(toBuf), { asBuffer: true, fillCache: true }, (err: any, values: (Buffer | undefined)[]) =>
        err ? reject(new StorageError(`get many: ${err.message}`, { cause: err })) : resolve(values),
      ),
    );
  }

  write(ops: KvOp[], opts: { sync?: boolean } = {}): Promise<void> {
    if (ops.length === 0) return Promise.resolve();
    const batch = ops.map((op) =>
      op.type === 'put'
        ? { type: 'put', key: toBuf(op.key), value: toBuf(op.value) }
        : { type: 'del', key: toBuf(op.key) },
    );
    return new Promise((resolve, reject) =>
      this.db.batch(batch, { sync: opts.sync === true }, (err: any) =>
        err ? reject(new StorageError(`write batch: ${err.message}`, { cause: err })) : resolve(),
      ),
    );
  }

  iterate(range: KvRange): KvIterator {
    const options: Record<string, unknown> = {
      keyAsBuffer: true,
      valueAsBuffer: true,
      reverse: range.reverse === true,
      limit: range.limit ?? -1,
      // measured: a 1 MB read-ahead scans at ~650 MB/s vs ~450 MB/s with the 16 KB default
      highWaterMark: 1 << 20,
      fillCache: true,
      values: range.keysOnly !== true,
    };
    if (range.gte) options.gte = toBuf(range.gte);
    if (range.gt) options.gt = toBuf(range.gt);
    if (range.lt) options.lt = toBuf(range.lt);
    if (range.lte) options.lte = toBuf(range.lte);
    return new RocksIterator(this.db.iterator(options));
  }

  clearRange(gte: Uint8Array, lt: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) =>
      this.db.clear({ gte: toBuf(gte), lt: toBuf(lt) }, (err: any) =>
        err ? reject(new StorageError(`clear range: ${err.message}`, { cause: err })) : resolve(),
      ),
    );
  }

  approximateSize(gte: Uint8Array, lt: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) =>
      this.db.approximateSize(toBuf(gte), toBuf(lt), (err: any, size: number) =>
        err ? reject(new StorageError(`approximate size: ${err.message}`, { cause: err })) : resolve(size),
      ),
    );
  }

  compactRange(gte: Uint8Array, lt: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) =>
      this.db.compactRange(toBuf(gte), toBuf(lt), (err: any) =>
        err ? reject(new StorageError(`compact range: ${err.message}`, { cause: err })) : resolve(),
      ),
    );
  }

  /** A RocksDB property such as `rocksdb.estimate-live-data-size` (undefined if unknown). */
  property(name: string): string | undefined {
    try {
      return this.db.getProperty(name);
    } catch {
      return undefined;
    }
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) =>
      this.db.close((err: any) => (err ? reject(new StorageError(`close: ${err.message}`, { cause: err })) : resolve())),
    );
  }
}

class RocksIterator implements KvIterator {
  private done = false;
  constructor(private readonly it: any) {}

  next(): Promise<KvEntry | undefined> {
    if (this.done) return Promise.resolve(undefined);
    return new Promise((resolve, reject) =>
      this.it.next((err: any, key: Buffer | undefined, value: Buffer | undefined) => {
        if (err) reject(new StorageError(`iterate: ${err.message}`, { cause: err }));
        else if (key === undefined) {
          resolve(undefined);
        } else resolve({ key, value: value as Buffer });
      }),
    );
  }

  close(): Promise<void> {
    if (this.done) return Promise.resolve();
    this.done = true;
    return new Promise((resolve) => this.it.end(() => resolve()));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<KvEntry> {
    try {
      for (let e = await this.next(); e; e = await this.next()) yield e;
    } finally {
      await this.close();
    }
  }
}

function toBuf(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
