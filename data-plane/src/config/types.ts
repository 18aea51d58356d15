/**
 * The typed, validated configuration every component receives (frozen; read once at start).
 * Units are in the names' comments; sizes are bytes after parsing strings like "512MB".
 * Key names follow the original deployment doc's Lua files (config/*.lua) so they load unchanged.
 */
export interface StockTsdbConfig {
  storage: {
    /** informational: the original doc's engine name ("v3_rocksdb", "v3_integrated") */
    engine: string;
    /** RocksDB + WAL directory */
    data_dir: string;
    /** logical block length in seconds (default 30) */
    block_size: number;
    /** compress sealed segments when it makes them smaller */
    enable_compression: boolean;
    compression_type: 'lz4' | 'none';
    /** cluster only: owners per vnode (default 2) */
    replication_factor: number;
    /** WAL durability: 'always' = fsync before every acknowledgement (default, safe);
     *  'none' = rely on the OS page cache (loses acknowledged writes on power loss, not on kill -9) */
    wal_sync: 'always' | 'none';
    /** most rows one stored segment holds before it is split (default 4096) */
    segment_max_rows: number;
    /** number of vnodes the key space is divided into (default 1000, at most 65534: keys hold it
     *  in a u16 and 0xFFFF is the system prefix); cluster.sharding.virtual_nodes is the same number */
    vnodes: number;
    /** RocksDB block cache in bytes (default 64MB) */
    block_cache_size: number;
    /** a head series idle this long (s) is sealed to a segment (default 60) */
    head_idle_seal: number;
    /** the WAL may hold this many bytes before the oldest heads are sealed (default 256MB) */
    max_wal_size: number;
  };
  performance: {
    /** bytes of in-memory head (unsealed rows); past it writers get 503 + Retry-After (default 1GB) */
    memory_pool_size: number;
    /** RocksDB write buffer (memtable) in bytes (default 64MB) */
    write_buffer_size: number;
    /** rows per batch for client SDK and internal batching (default 1000) */
    batch_size: number;
    /** worker threads of the codec pool (0 = number of cores) */
    worker_threads: number;
    /** most tasks queued in the worker pool before callers get 503 (default 1024) */
    max_queue: number;
  };
  cache: {
    enabled: boolean;
    /** decoded-segment cache bound in bytes (default 512MB; 0 = cache nothing) */
    max_size: number;
    /** seconds an entry may live (default 300; 0 = no time limit, only the size bound evicts) */
    ttl: number;
  };
  monitoring: {
    enabled: boolean;
    /** port of /metrics and /health (default 9090; 0 = the OS picks a free port); the cluster
     *  file's prometheus_port is an alias */
    metrics_port: number;
    metrics_path: string;
    /** seconds between health self-checks (default 30) */
    health_check_interval: number;
    /** queries slower than this many ms are logged as slow_query in performance.log
     *  (default 100; 0 = log every query) */
    slow_query_ms: number;
  };
  network: {
    bind_address: string;
    /** data API port (default 6379; 0 = the OS picks a free port, for tests) */
    port: number;
    /** concurrent HTTP connections before new ones are refused (default 10000) */
    max_connections: number;
    /** largest request body in bytes (default 64MB) */
    max_body_size: number;
  };
  logging: {
    /** directory of error.log, performance.log, system.log (default "./logs") */
    dir: string;
    level: 'debug' | 'info' | 'warn' | 'error';
    /** a log file is rotated past this many bytes (default 64MB) */
    max_file_size: number;
    /** rotated files kept per log (default 5; 0 = keep none, the current file is truncated) */
    max_files: number;
  };
  auth: {
    /** off by default for the standalone quick start */
    enabled: boolean;
    tokens: { token: string; scopes: ('read' | 'write' | 'admin')[] }[];
  };
  query: {
    /** default bucket time zone when the symbol's exchange has none configured */
    default_timezone: string;
    /** exchange code (the middle part of kind.EXCHANGE.code) → IANA zone; keys are upper-case
     *  (look up with `exchange.toUpperCase()`); a config's entries are merged over the defaults */
    exchange_timezones: Record<string, string>;
    /** most rows one raw query may return (default 1,000,000) */
    max_rows: number;
  };
  cluster: {
    enabled: boolean;
    mode: string;
    node_id: string;
    /** address other nodes use to reach this node's data port, host:port (default bind:port;
     *  a wildcard bind 0.0.0.0 / :: advertises 127.0.0.1, with a warning when the cluster is on) */
    advertise_address: string;
    service_discovery: {
      provider: 'consul' | 'kubernetes' | 'static';
      servers: string[];
      health_check_interval: number;
    };
    sharding: { enabled: boolean; strategy: string; virtual_nodes: number };
    /** write acknowledgement: one | quorum | all (default quorum) */
    consistency: 'one' | 'quorum' | 'all';
    /** shared secret of node-to-node traffic */
    token: string;
    /** static membership (provider "static"): every node's id and data address "host:port";
     *  when non-empty, every node computes the same initial ring from it (default [] = the ring
     *  is pushed with PUT /admin/ring) */
    members: { id: string; address: string }[];
    /** cluster name: Consul KV prefix `stock-tsdb/<name>/` and service meta (default "default") */
    name: string;
    /** bytes per second one vnode copy may read during handoff (0 = unthrottled) */
    handoff_bytes_per_sec: number;
    /** vnode replicas copied per rebalance step (default 64) */
    rebalance_max_moves: number;
  };
}

/**
 * Every key optional at every depth: the shape of config overrides (CLI flags, the operator's
 * per-node settings). Arrays are replaced whole, not merged.
 */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
