/**
 * Pure tuning rules of scripts/optimize_performance.sh: given a validated config and a
 * description of the machine, which keys to change and why. No I/O (see optimize-cli.ts).
 *
 * Memory split: the four pools below take about half of RAM in total (25% head + 15% decoded
 * cache + 10% RocksDB block cache + memtables), leaving the rest to the OS page cache (which
 * serves RocksDB's compressed blocks), the JS heaps of the event loop and the codec workers.
 */
import { formatSize } from './format-size.ts';
import type { StockTsdbConfig } from './types.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** What tuning needs to know about the machine. */
export interface MachineInfo {
  /** CPU cores this process may use (after affinity and cgroup quota) */
  cores: number;
  /** bytes of RAM this process may use (after the cgroup limit) */
  memoryBytes: number;
  /** free bytes on the file system of storage.data_dir; null when unknown */
  freeDiskBytes: number | null;
  /** bytes currently under storage.data_dir; null when it does not exist yet */
  dataSizeBytes: number | null;
}

/** One changed key: canonical dotted path, old and new typed values, and the value to write. */
export interface TuneChange {
  path: 'performance.worker_threads' | 'performance.memory_pool_size' | 'performance.write_buffer_size' |
    'cache.max_size' | 'storage.block_cache_size' | 'storage.max_wal_size';
  from: number;
  to: number;
  /** as written in the tuned file: sizes as "4GB"-style strings, counts as numbers */
  written: number | string;
  reason: string;
}

/** The tuning decisions: changes to apply and notes that need a human (not automatic changes). */
export interface TuneResult {
  changes: TuneChange[];
  notes: string[];
}

/** Differences under this fraction are left alone, so re-running the tuner does not churn the file. */
const MIN_RELATIVE_CHANGE = 0.1;

/**
 * Decides the tuned values of the memory pools, the worker count and the WAL bound for
 * `machine`; keys already within 10% of the tuned value are not changed.
 */
export function tuneConfig(config: StockTsdbConfig, machine: MachineInfo): TuneResult {
  const changes: TuneChange[] = [];
  const ram = machine.memoryBytes;
  const propose = (path: TuneChange['path'], from: number, to: number, reason: string, isSize = true) => {
    if (Math.abs(to - from) <= MIN_RELATIVE_CHANGE * Math.max(from, 1)) return;
    changes.push({ path, from, to, written: isSize ? formatSize(to) : to, reason });
  };

  const workers = Math.max(1, machine.cores);
  propose('performance.worker_threads', effectiveWorkers(config, machine), workers,
    `${machine.cores} core${machine.cores === 1 ? '' : 's'}, one worker each: parsing big write bodies, WAL encoding, sealing and decoding run in the workers while the event loop needs about a third of a core per 1M rows/s ingested (on 2 cores, 2 workers ingested 1.26M rows/s over HTTP, 1 worker 1.12M); more threads than cores only adds switching`,
    false);

  const pool = share(ram, 0.25, 64 * MiB, 8 * GiB);
  propose('performance.memory_pool_size', config.performance.memory_pool_size, pool,
    `25% of ${human(ram)} RAM for unsealed rows, between 64MB and 8GB: a larger head lengthens WAL replay after a crash`);

  const cache = share(ram, 0.15, 64 * MiB, 8 * GiB);
  propose('cache.max_size', config.cache.max_size, cache,
    `15% of ${human(ram)} RAM for decoded segments, between 64MB and 8GB`);

  const blockCache = share(ram, 0.1, 32 * MiB, 4 * GiB);
  propose('storage.block_cache_size', config.storage.block_cache_size, blockCache,
    `10% of ${human(ram)} RAM for RocksDB's block cache, between 32MB and 4GB; the OS page cache holds more of the files`);

  const writeBuffer = powerOfTwoBelow(clamp(ram / 256, 16 * MiB, 256 * MiB));
  propose('performance.write_buffer_size', config.performance.write_buffer_size, writeBuffer,
    `RAM/256 as a power of two, between 16MB and 256MB: RocksDB keeps two memtables of this size; larger ones mean fewer L0 files but longer flushes`);

  if (machine.freeDiskBytes !== null) {
    const wal = roundSize(clamp(Math.min(machine.freeDiskBytes * 0.05, 4 * GiB), 64 * MiB, Infinity));
    propose('storage.max_wal_size', config.storage.max_wal_size, wal,
      `5% of ${human(machine.freeDiskBytes)} free disk, between 64MB and 4GB: the WAL is replayed on restart, so it stays small`);
  }
  return { changes, notes: notesFor(config, machine) };
}

/** worker_threads 0 means one per core; compare against what it means on this machine. */
function effectiveWorkers(config: StockTsdbConfig, machine: MachineInfo): number {
  return config.performance.worker_threads === 0 ? machine.cores : config.performance.worker_threads;
}

function notesFor(config: StockTsdbConfig, machine: MachineInfo): string[] {
  const notes: string[] = [];
  // The deployment doc's minimums: standalone ≥ 8GB RAM, cluster ≥ 16GB recommended.
  const minRam = config.cluster.enabled ? 16 * GiB : 8 * GiB;
  if (machine.memoryBytes < minRam) {
    notes.push(`RAM is ${human(machine.memoryBytes)}, under the ${human(minRam)} the deployment doc recommends for this mode`);
  }
  const { freeDiskBytes: free, dataSizeBytes: data } = machine;
  if (free !== null && data !== null && free < data) {
    notes.push(`free disk (${human(free)}) is less than the data size (${human(data)}); RocksDB compaction needs room to rewrite files`);
  }
  if (free === null) notes.push('free disk space unknown, storage.max_wal_size left as is');
  if (config.storage.wal_sync === 'none') {
    notes.push('storage.wal_sync is "none": acknowledged writes can be lost on power failure (left as is)');
  }
  return notes;
}

function share(total: number, fraction: number, min: number, max: number): number {
  return roundSize(clamp(total * fraction, min, max));
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, v));
}

/** Rounds down to a size people write: 256MB steps from 1GB, 16MB steps from 64MB, else 1MB. */
function roundSize(bytes: number): number {
  const step = bytes >= GiB ? 256 * MiB : bytes >= 64 * MiB ? 16 * MiB : MiB;
  return Math.max(step, Math.floor(bytes / step) * step);
}

function powerOfTwoBelow(bytes: number): number {
  return 2 ** Math.floor(Math.log2(bytes));
}

/** Approximate size for reasons and notes ("15.6GB"), not for values. */
function human(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1).replace(/\.0$/, '')}GB`;
  return `${Math.round(bytes / MiB)}MB`;
}
