import { describe, expect, it } from 'vitest';
import { DEFAULTS } from './defaults.ts';
import { parseConfigObject } from './load-config.ts';
import { type MachineInfo, tuneConfig } from './tune.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const machine = (m: Partial<MachineInfo>): MachineInfo => ({
  cores: 8, memoryBytes: 16 * GiB, freeDiskBytes: 500 * GiB, dataSizeBytes: null, ...m,
});

function tunedValues(config = DEFAULTS, m: Partial<MachineInfo> = {}): Record<string, number> {
  return Object.fromEntries(tuneConfig(config, machine(m)).changes.map((c) => [c.path, c.to]));
}

describe('tuneConfig()', () => {
  it('sizes every pool from RAM, workers from cores and the WAL from free disk on a 8-core 16GB machine', () => {
    expect(tunedValues()).toEqual({
      // worker_threads: 0 already means one per core, so unchanged
      'performance.memory_pool_size': 4 * GiB, // 25%
      'cache.max_size': 2304 * MiB, // 15% = 2457.6MB, rounded down to 256MB steps
      'storage.block_cache_size': 1536 * MiB, // 10% = 1638.4MB → 1.5GB
      'storage.max_wal_size': 4 * GiB, // 5% of 500GB = 25GB, capped at 4GB
      // write_buffer_size: 16GB/256 = 64MB = the default, so unchanged
    });
  });

  it('caps the pools on a large machine', () => {
    expect(tunedValues(DEFAULTS, { cores: 64, memoryBytes: 512 * GiB })).toEqual({
      // worker_threads: 0 means the 64 cores it is tuned to, so unchanged
      'performance.memory_pool_size': 8 * GiB,
      'cache.max_size': 8 * GiB,
      'storage.block_cache_size': 4 * GiB,
      'performance.write_buffer_size': 256 * MiB,
      'storage.max_wal_size': 4 * GiB,
    });
  });

  it('keeps floors on a tiny machine and says it is under the recommended RAM', () => {
    const r = tuneConfig(DEFAULTS, machine({ cores: 1, memoryBytes: 512 * MiB, freeDiskBytes: 200 * MiB }));
    expect(Object.fromEntries(r.changes.map((c) => [c.path, c.to]))).toEqual({
      'performance.memory_pool_size': 128 * MiB,
      'cache.max_size': 64 * MiB, // 76.8MB → 16MB steps
      'storage.block_cache_size': 51 * MiB, // 51.2MB → 1MB steps
      'performance.write_buffer_size': 16 * MiB,
      'storage.max_wal_size': 64 * MiB, // floor
    });
    expect(r.notes).toEqual([expect.stringMatching(/^RAM is 512MB, under the 8GB the deployment doc recommends/)]);
  });

  it('asks for 16GB in cluster mode', () => {
    const cluster = parseConfigObject({ cluster: { enabled: true, token: 't' } }, 'x').config;
    expect(tuneConfig(cluster, machine({ memoryBytes: 12 * GiB })).notes[0]).toMatch(/under the 16GB/);
  });

  it('leaves keys within 10% of the tuned value alone, so a second run changes nothing', () => {
    const first = tuneConfig(DEFAULTS, machine({}));
    const overrides: Record<string, Record<string, number>> = {};
    for (const c of first.changes) {
      const [s, k] = c.path.split('.') as [string, string];
      (overrides[s] ??= {})[k] = c.to;
    }
    const tuned = parseConfigObject({}, 'x', overrides).config;
    expect(tuneConfig(tuned, machine({})).changes).toEqual([]);
    const near = parseConfigObject({ performance: { memory_pool_size: '3900MB' } }, 'x').config;
    expect(tuneConfig(near, machine({})).changes.map((c) => c.path)).not.toContain('performance.memory_pool_size');
  });

  it('gives one worker per core, comparing worker_threads 0 against the cores it stands for', () => {
    expect(tunedValues(DEFAULTS, { cores: 4 })['performance.worker_threads']).toBeUndefined();
    const one = parseConfigObject({ performance: { worker_threads: 1 } }, 'x').config;
    expect(tunedValues(one, { cores: 4 })['performance.worker_threads']).toBe(4);
    expect(tunedValues(one, { cores: 1 })['performance.worker_threads']).toBeUndefined();
  });

  it('writes sizes as size strings and counts as numbers, each with a reason', () => {
    const one = parseConfigObject({ performance: { worker_threads: 1 } }, 'x').config;
    const changes = tuneConfig(one, machine({})).changes;
    expect(changes.map((c) => c.path)).toContain('performance.worker_threads');
    for (const c of changes) {
      expect(c.reason.length).toBeGreaterThan(20);
      expect(c.written).toEqual(c.path === 'performance.worker_threads' ? c.to : expect.stringMatching(/^\d+(MB|GB)$/));
    }
  });

  it('leaves max_wal_size alone when free disk is unknown, and warns about a disk fuller than the data', () => {
    const r = tuneConfig(DEFAULTS, machine({ freeDiskBytes: null }));
    expect(r.changes.map((c) => c.path)).not.toContain('storage.max_wal_size');
    expect(r.notes).toContain('free disk space unknown, storage.max_wal_size left as is');
    expect(tuneConfig(DEFAULTS, machine({ freeDiskBytes: 10 * GiB, dataSizeBytes: 20 * GiB })).notes[0]).toMatch(/compaction needs room/);
  });
});
