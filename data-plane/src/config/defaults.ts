import { deepFreeze } from './deep-freeze.ts';
import type { StockTsdbConfig } from './types.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * Every setting's default, in the units the typed config uses: sizes in bytes, durations in
 * seconds (except `slow_query_ms`). Values marked "(doc)" come from the original deployment doc;
 * the rest are ours. Frozen; `validateConfig` copies from it, never mutates it.
 *
 * What 0 means, where 0 is allowed: `worker_threads` 0 = one per core; `port`/`metrics_port`
 * 0 = the OS picks a free port; `cache.ttl` 0 = no time limit; `cache.max_size` 0 = cache
 * nothing; `slow_query_ms` 0 = every query is slow; `logging.max_files` 0 = keep no rotated file.
 * Elsewhere 0 is rejected (a zero-sized pool or queue is a misconfiguration, not a mode).
 */
export const DEFAULTS: StockTsdbConfig = deepFreeze<StockTsdbConfig>({
  storage: {
    engine: 'v3_rocksdb', // (doc) informational
    data_dir: './data', // relative paths resolve against the process's working directory
    block_size: 30, // (doc) seconds per block
    enable_compression: true, // (doc)
    compression_type: 'lz4', // (doc)
    replication_factor: 2, // (doc) owners per vnode, cluster only
    wal_sync: 'always', // fsync before acknowledging: an acked write survives power loss
    segment_max_rows: 4096, // rows per stored segment before it is split
    vnodes: 1000, // (doc) virtual_nodes
    block_cache_size: 64 * MiB, // RocksDB block cache
    head_idle_seal: 60, // seconds a head may idle before it is sealed
    max_wal_size: 256 * MiB, // WAL bytes before the oldest heads are sealed
  },
  performance: {
    memory_pool_size: 1 * GiB, // (doc) bytes of unsealed rows in memory
    write_buffer_size: 64 * MiB, // (doc) RocksDB memtable
    batch_size: 1000, // (doc) rows per batch
    worker_threads: 0, // 0 = one per usable core (a cgroup CPU quota counts: util/usable-cores.ts)
    max_queue: 1024, // codec tasks queued before callers get 503
  },
  cache: {
    enabled: true, // (doc)
    max_size: 512 * MiB, // (doc) decoded-segment cache
    ttl: 300, // (doc) seconds
  },
  monitoring: {
    enabled: true, // (doc)
    metrics_port: 9090, // (doc) /metrics and /health
    metrics_path: '/metrics', // (doc)
    health_check_interval: 30, // (doc) seconds
    slow_query_ms: 100, // milliseconds
  },
  network: {
    // Loopback by default: auth is off by default, so the quick start must not expose an open
    // database on every interface; the cluster file sets "0.0.0.0" explicitly, as the doc does.
    bind_address: '127.0.0.1',
    port: 6379, // (doc) data API (HTTP)
    max_connections: 10000, // (doc)
    max_body_size: 64 * MiB,
  },
  logging: {
    dir: './logs', // (doc) error.log, performance.log, system.log
    level: 'info',
    max_file_size: 64 * MiB,
    max_files: 5,
  },
  auth: {
    enabled: false,
    tokens: [],
  },
  query: {
    default_timezone: 'UTC',
    exchange_timezones: {
      // Mainland China (SS is Yahoo's code for Shanghai, BJ the Beijing Stock Exchange)
      SH: 'Asia/Shanghai', SZ: 'Asia/Shanghai', SS: 'Asia/Shanghai', BJ: 'Asia/Shanghai',
      HK: 'Asia/Hong_Kong',
      TW: 'Asia/Taipei',
      JP: 'Asia/Tokyo', TSE: 'Asia/Tokyo',
      KS: 'Asia/Seoul', KRX: 'Asia/Seoul',
      SG: 'Asia/Singapore', SGX: 'Asia/Singapore',
      NSE: 'Asia/Kolkata', BSE: 'Asia/Kolkata',
      US: 'America/New_York', NYSE: 'America/New_York', NASDAQ: 'America/New_York',
      AMEX: 'America/New_York',
      CME: 'America/Chicago',
      TSX: 'America/Toronto',
      LSE: 'Europe/London',
      XETRA: 'Europe/Berlin',
      ASX: 'Australia/Sydney',
    },
    max_rows: 1_000_000,
  },
  cluster: {
    enabled: false, // standalone unless the config says otherwise
    mode: 'distributed', // (doc) informational
    node_id: 'node-1', // (doc)
    advertise_address: '', // '' = derived from network.bind_address:port at load time
    service_discovery: {
      provider: 'static',
      servers: [],
      health_check_interval: 30, // (doc) seconds
    },
    sharding: { enabled: true, strategy: 'consistent_hashing', virtual_nodes: 1000 }, // (doc)
    consistency: 'quorum',
    token: '', // '' = node-to-node traffic unauthenticated (warned about when the cluster is on)
    members: [], // static membership; [] = the ring is pushed with PUT /admin/ring
    name: 'default', // Consul KV prefix stock-tsdb/<name>/ and service meta: several clusters can share one Consul
    handoff_bytes_per_sec: 0, // bytes/s all of a node's vnode copies may read together; 0 = unthrottled
    rebalance_max_moves: 64, // vnode replicas copied per rebalance step
  },
});
