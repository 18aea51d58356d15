/**
 * The config schema: for every key of StockTsdbConfig, the check its value must pass, plus the
 * aliases and the accepted-but-ignored keys of the original deployment doc's Lua files.
 * The `Section` type makes the compiler insist that every typed key has a check.
 */
import {
  type Check, anyString, bool, duration, host, hostPort, int, list, oneOf, port, size, str, timeZone,
} from './checks.ts';
import { authTokens, clusterMembers, NODE_ID_RE, zoneMap } from './compound-checks.ts';
import type { StockTsdbConfig } from './types.ts';

/** A table of keys: a check or a nested section per key. */
export interface Section<T> {
  readonly kind: 'section';
  readonly fields: { readonly [K in keyof T]-?: SchemaNode<T[K]> };
  /** other spelling → canonical key of this section (both may be given if they agree) */
  readonly aliases?: Readonly<Record<string, keyof T & string>>;
  /** keys accepted for compatibility but without effect → the note given in warnings */
  readonly ignored?: Readonly<Record<string, string>>;
}

/** A node of the schema: a nested section or a leaf check. */
export type SchemaNode<T> = Section<T> | Check<T>;

function section<T>(fields: Section<T>['fields'], extra: Omit<Section<T>, 'kind' | 'fields'> = {}): Section<T> {
  return { kind: 'section', fields, ...extra };
}

const MiB = 1024 * 1024;

/**
 * Upper bound of storage.vnodes: storage keys hold the vnode in a u16 and 0xFFFF is the system
 * key prefix (see storage/keys.ts MAX_VNODES); repeated here so config does not import storage.
 */
export const MAX_VNODES = 0xfffe;

/** "" (derive from bind address, see cross-check.ts) or "host:port". */
const optionalHostPort: Check<string> = (v, ctx) => (v === '' ? '' : hostPort(v, ctx));

const seconds = (min = 1) => duration({ unit: 's', min });

/** The whole schema, section by section, in the order of StockTsdbConfig. */
export const SCHEMA: Section<StockTsdbConfig> = section<StockTsdbConfig>({
  storage: section({
    engine: str(),
    data_dir: str('a directory path'),
    // A block is held in memory until sealed, so more than a day per block is a mistake.
    block_size: duration({ unit: 's', min: 1, max: 86400, integer: true }),
    enable_compression: bool,
    compression_type: oneOf('lz4', 'none'),
    replication_factor: int(1, 16),
    wal_sync: oneOf('always', 'none'),
    segment_max_rows: int(16, 1 << 20),
    vnodes: int(1, MAX_VNODES),
    block_cache_size: size(1),
    head_idle_seal: seconds(),
    max_wal_size: size(MiB),
  }),
  performance: section(
    {
      memory_pool_size: size(MiB),
      write_buffer_size: size(64 * 1024),
      batch_size: int(1, 1_000_000),
      worker_threads: int(0, 1024, 'an integer from 0 (one per core) to 1024'),
      max_queue: int(1, 1 << 24),
    },
    {
      ignored: {
        enable_luajit_optimization:
          'accepted for compatibility with the original Lua deployment and ignored: this server runs on Bun, ' +
          'whose JIT is always on',
      },
    },
  ),
  cache: section({
    enabled: bool,
    max_size: size(0),
    ttl: seconds(0),
  }),
  monitoring: section(
    {
      enabled: bool,
      metrics_port: port,
      metrics_path: str('a URL path starting with "/"', /^\/[^\s?#]*$/),
      health_check_interval: seconds(),
      slow_query_ms: duration({ unit: 'ms', min: 0 }),
    },
    // The doc's cluster file says prometheus_port for the same port.
    { aliases: { prometheus_port: 'metrics_port' } },
  ),
  network: section({
    bind_address: host,
    port,
    max_connections: int(1, 1_000_000),
    max_body_size: size(1024),
  }),
  logging: section({
    dir: str('a directory path'),
    level: oneOf('debug', 'info', 'warn', 'error'),
    max_file_size: size(64 * 1024),
    max_files: int(0, 1000),
  }),
  auth: section({
    enabled: bool,
    tokens: authTokens,
  }),
  query: section({
    default_timezone: timeZone,
    exchange_timezones: zoneMap,
    max_rows: int(1, 1_000_000_000),
  }),
  cluster: section({
    enabled: bool,
    mode: str(),
    node_id: str('a node id of letters, digits, ".", "_" or "-" (at most 63)', NODE_ID_RE),
    advertise_address: optionalHostPort,
    service_discovery: section({
      provider: oneOf('consul', 'kubernetes', 'static'),
      servers: list(hostPort),
      health_check_interval: seconds(),
    }),
    sharding: section({
      enabled: bool,
      strategy: oneOf<string>('consistent_hashing'), // the only one: placement is vnodes on a ring
      virtual_nodes: int(1, MAX_VNODES),
    }),
    consistency: oneOf('one', 'quorum', 'all'),
    token: anyString,
    members: clusterMembers,
    name: str('a cluster name of letters, digits, ".", "_" or "-" (at most 63)', NODE_ID_RE),
    handoff_bytes_per_sec: size(0),
    rebalance_max_moves: int(1, 65534),
  }),
});
