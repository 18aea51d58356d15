import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.ts';
import { DEFAULTS } from './defaults.ts';
import { parseConfigObject } from './load-config.ts';

const MiB = 1024 * 1024;

function problemsOf(raw: unknown): readonly string[] {
  try {
    parseConfigObject(raw, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfigObject() reports every problem at once', () => {
  it('lists each wrong key with its path, in schema order', () => {
    const problems = problemsOf({
      storage: { block_size: 'abc', compression_type: 'zstd', vnodes: 70000, max_wal_size: '12 parsecs' },
      performance: { memory_pool_size: -5, worker_threads: 1.5, batch_size: '1000' },
      cache: { enabled: 'yes', ttl: '5 minutes' },
      monitoring: { metrics_port: 99999, metrics_path: 'metrics', slow_query_ms: 'slow' },
      network: { bind_address: 'not a host!', max_body_size: '1b' },
      logging: { level: 'verbose' },
      auth: { tokens: [{ token: '', scopes: ['root'] }, 'abc'] },
      query: { default_timezone: 'Mars/Olympus', exchange_timezones: { SH: 'Asia/Shanghai', XX: 'Nowhere/City' }, max_rows: 0 },
      cluster: {
        node_id: 'bad id',
        advertise_address: 'host-without-port',
        service_discovery: { provider: 'zookeeper', servers: ['127.0.0.1:8500', 'nope'] },
        sharding: { strategy: 'range' },
        consistency: 'most',
      },
    });
    expect(problems).toEqual([
      'storage.block_size: expected a positive integer number of seconds up to 86400 (or a duration such as "30s"), got "abc"',
      'storage.compression_type: expected one of "lz4", "none", got "zstd"',
      'storage.vnodes: expected an integer from 1 to 65534, got 70000',
      'storage.max_wal_size: expected a positive size such as "512MB" (or a number of bytes), got "12 parsecs"',
      'performance.memory_pool_size: expected a positive size such as "512MB" (or a number of bytes), got -5',
      'performance.batch_size: expected an integer from 1 to 1000000, got "1000"',
      'performance.worker_threads: expected an integer from 0 (one per core) to 1024, got 1.5',
      'cache.enabled: expected true or false, got "yes"',
      'cache.ttl: expected a non-negative number of seconds (or a duration such as "30s"), got "5 minutes"',
      'monitoring.metrics_port: expected a port number from 0 to 65535, got 99999',
      'monitoring.metrics_path: expected a URL path starting with "/", got "metrics"',
      'monitoring.slow_query_ms: expected a non-negative number of milliseconds (or a duration such as "30s"), got "slow"',
      'network.bind_address: expected an IP address or host name, got "not a host!"',
      'network.max_body_size: expected a positive size such as "512MB" (or a number of bytes), got "1b"',
      'logging.level: expected one of "debug", "info", "warn", "error", got "verbose"',
      'auth.tokens[0].token: expected a non-empty string, got an empty string',
      'auth.tokens[0].scopes[0]: expected "read", "write" or "admin", got "root"',
      'auth.tokens[1]: expected { token = "...", scopes = { "read", ... } }, got "abc"',
      'query.default_timezone: expected an IANA time zone such as "Asia/Shanghai", got "Mars/Olympus"',
      'query.exchange_timezones.XX: expected an IANA time zone such as "Asia/Shanghai", got "Nowhere/City"',
      'query.max_rows: expected an integer from 1 to 1000000000, got 0',
      'cluster.node_id: expected a node id of letters, digits, ".", "_" or "-" (at most 63), got "bad id"',
      'cluster.advertise_address: expected an address "host:port", got "host-without-port"',
      'cluster.service_discovery.provider: expected one of "consul", "kubernetes", "static", got "zookeeper"',
      'cluster.service_discovery.servers[1]: expected an address "host:port", got "nope"',
      'cluster.sharding.strategy: expected one of "consistent_hashing", got "range"',
      'cluster.consistency: expected one of "one", "quorum", "all", got "most"',
    ]);
  });

  it('names the whole source and every problem in the message', () => {
    try {
      parseConfigObject({ storage: { block_size: 0 }, network: { port: -1 } }, 'config/x.yaml');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe(
        'config/x.yaml: 2 problems:\n' +
          '  - storage.block_size: expected a positive integer number of seconds up to 86400 (or a duration such as "30s"), got 0\n' +
          '  - network.port: expected a port number from 0 to 65535, got -1',
      );
    }
  });

  it.each([
    [null, 'null'],
    [[1, 2], 'a list'],
    ['storage', '"storage"'],
    [42, '42'],
  ])('rejects a top level of %j', (raw, got) => {
    expect(problemsOf(raw)).toEqual([`expected the config to be a table of sections (storage = {...}, ...), got ${got}`]);
  });

  it('rejects a section that is not a table', () => {
    expect(problemsOf({ storage: 'fast', cache: [1] })).toEqual([
      'storage: expected a table of keys, got "fast"',
      'cache: expected a table of keys, got a list',
    ]);
  });
});

describe('parseConfigObject() warnings', () => {
  it('warns about unknown keys with their path and a likely spelling, and still loads', () => {
    const { config, warnings } = parseConfigObject(
      { storage: { blocksize: 60, data_dir: '/d' }, colour: 'red', cache: { constructor: 1, max_szie: '1GB' } },
      'x',
    );
    expect(warnings).toEqual([
      'colour: unknown key, ignored',
      'storage.blocksize: unknown key, ignored (did you mean "block_size"?)',
      'cache.constructor: unknown key, ignored',
      'cache.max_szie: unknown key, ignored (did you mean "max_size"?)',
    ]);
    expect(config.storage.block_size).toBe(30);
    expect(config.storage.data_dir).toBe('/d');
  });

  it('accepts performance.enable_luajit_optimization and says it is ignored', () => {
    const { warnings } = parseConfigObject({ performance: { enable_luajit_optimization: true } }, 'x');
    expect(warnings).toEqual([expect.stringMatching(/^performance\.enable_luajit_optimization: accepted for compatibility .* ignored/)]);
  });

  it('warns about a token-less cluster advertising a wildcard address', () => {
    const { config, warnings } = parseConfigObject({ cluster: { enabled: true }, network: { bind_address: '0.0.0.0' } }, 'x');
    expect(config.cluster.advertise_address).toBe('127.0.0.1:6379');
    expect(warnings).toEqual([
      expect.stringMatching(/^cluster\.token: empty/),
      expect.stringMatching(/^cluster\.advertise_address: not set and network\.bind_address is 0\.0\.0\.0/),
    ]);
  });
});

describe('parseConfigObject() values', () => {
  it('parses sizes and durations in every accepted spelling', () => {
    const { config } = parseConfigObject(
      {
        storage: { block_size: '1m', head_idle_seal: '1.5s', max_wal_size: 1048576, block_cache_size: '64 MiB' },
        cache: { ttl: '5m', max_size: 0 },
        monitoring: { slow_query_ms: '1.1s', health_check_interval: 15 },
        performance: { memory_pool_size: '2gb' },
      },
      'x',
    );
    expect(config.storage).toMatchObject({ block_size: 60, head_idle_seal: 1.5, max_wal_size: MiB, block_cache_size: 64 * MiB });
    expect(config.cache).toMatchObject({ ttl: 300, max_size: 0 });
    expect(config.monitoring).toMatchObject({ slow_query_ms: 1100, health_check_interval: 15 });
    expect(config.performance.memory_pool_size).toBe(2048 * MiB);
  });

  it('takes a bare number in slow_query_ms as milliseconds', () => {
    expect(parseConfigObject({ monitoring: { slow_query_ms: 250 } }, 'x').config.monitoring.slow_query_ms).toBe(250);
    expect(parseConfigObject({ monitoring: { slow_query_ms: '250' } }, 'x').config.monitoring.slow_query_ms).toBe(250);
  });

  it('rejects a block size that is not whole seconds', () => {
    expect(problemsOf({ storage: { block_size: '1500ms' } })[0]).toMatch(/^storage\.block_size: expected a positive integer/);
  });

  it('matches enum words case-insensitively and returns the canonical spelling', () => {
    const { config } = parseConfigObject({ storage: { compression_type: 'LZ4', wal_sync: 'None' }, logging: { level: 'WARN' } }, 'x');
    expect(config.storage.compression_type).toBe('lz4');
    expect(config.storage.wal_sync).toBe('none');
    expect(config.logging.level).toBe('warn');
  });

  it('merges exchange time zones over the defaults, upper-casing codes', () => {
    const { config } = parseConfigObject({ query: { exchange_timezones: { lse: 'Europe/Dublin', mx: 'America/Mexico_City' } } }, 'x');
    expect(config.query.exchange_timezones).toMatchObject({ SH: 'Asia/Shanghai', LSE: 'Europe/Dublin', MX: 'America/Mexico_City' });
    expect(problemsOf({ query: { exchange_timezones: { sh: 'UTC', SH: 'UTC' } } })).toEqual([
      'query.exchange_timezones.SH: exchange SH is listed twice (codes are case-insensitive)',
    ]);
  });

  it('accepts an empty table where a list is expected (Lua cannot tell them apart)', () => {
    const { config } = parseConfigObject({ cluster: { service_discovery: { servers: {} } } }, 'x');
    expect(config.cluster.service_discovery.servers).toEqual([]);
  });

  it('accepts auth tokens with scopes and requires one when auth is on', () => {
    const { config } = parseConfigObject({ auth: { enabled: true, tokens: [{ token: 's3cret', scopes: ['read', 'WRITE', 'read'] }] } }, 'x');
    expect(config.auth.tokens).toEqual([{ token: 's3cret', scopes: ['read', 'write'] }]);
    expect(problemsOf({ auth: { enabled: true } })).toEqual([expect.stringMatching(/^auth\.tokens: auth\.enabled is true but no token/)]);
  });
});

describe('parseConfigObject() cross-key rules', () => {
  it('treats storage.vnodes and cluster.sharding.virtual_nodes as one setting', () => {
    expect(parseConfigObject({ cluster: { sharding: { virtual_nodes: 512 } } }, 'x').config.storage.vnodes).toBe(512);
    expect(parseConfigObject({ storage: { vnodes: 256 } }, 'x').config.cluster.sharding.virtual_nodes).toBe(256);
    expect(problemsOf({ storage: { vnodes: 256 }, cluster: { sharding: { virtual_nodes: 512 } } })).toEqual([
      'cluster.sharding.virtual_nodes: must equal storage.vnodes (512 vs 256); they are the same setting',
    ]);
  });

  it('accepts prometheus_port as metrics_port, and both when they agree', () => {
    expect(parseConfigObject({ monitoring: { prometheus_port: 9100 } }, 'x').config.monitoring.metrics_port).toBe(9100);
    expect(parseConfigObject({ monitoring: { prometheus_port: 9100, metrics_port: 9100 } }, 'x').warnings).toEqual([]);
    expect(problemsOf({ monitoring: { prometheus_port: 9100, metrics_port: 9200 } })).toEqual([
      'monitoring.prometheus_port: is another name for monitoring.metrics_port but differs from it (9100 vs 9200); give only one',
    ]);
    expect(problemsOf({ monitoring: { prometheus_port: 'x' } })).toEqual([
      'monitoring.prometheus_port: expected a port number from 0 to 65535, got "x"',
    ]);
  });

  it('requires different data and metrics ports, except 0 (both chosen by the OS)', () => {
    expect(problemsOf({ network: { port: 9090 } })).toEqual(['monitoring.metrics_port: must differ from network.port (both are 9090)']);
    expect(parseConfigObject({ network: { port: 0 }, monitoring: { metrics_port: 0 } }, 'x').config.network.port).toBe(0);
  });

  it('requires a Consul address for a consul-discovered cluster', () => {
    expect(problemsOf({ cluster: { enabled: true, token: 't', service_discovery: { provider: 'consul' } } })).toEqual([
      'cluster.service_discovery.servers: the consul provider needs at least one Consul agent address "host:port"',
    ]);
  });

  it('reads a static member list and reports bad, duplicate or missing members', () => {
    const members = [{ id: 'n1', address: '127.0.0.2:7001' }, { id: 'n2', address: '127.0.0.3:7001' }];
    const ok = parseConfigObject({ cluster: { enabled: true, token: 't', node_id: 'n2', members } }, 'x').config;
    expect(ok.cluster.members).toEqual(members);
    expect(parseConfigObject({}, 'x').config.cluster.members).toEqual([]);
    expect(problemsOf({ cluster: { members: [{ id: 'bad id', address: 'nope' }, 'x'] } })).toEqual([
      'cluster.members[0].id: expected a node id of letters, digits, ".", "_" or "-" (at most 63), got "bad id"',
      'cluster.members[0].address: expected an address "host:port" (the node\'s data port), got "nope"',
      'cluster.members[1]: expected { id = "node-1", address = "host:port" }, got "x"',
    ]);
    expect(problemsOf({ cluster: { members: [...members, { id: 'n1', address: '127.0.0.4:1' }, { id: 'n3', address: '127.0.0.3:7001' }] } })).toEqual([
      'cluster.members[2]: id "n1" is already used by cluster.members[0]',
      'cluster.members[3]: address "127.0.0.3:7001" is already used by cluster.members[1]',
    ]);
    expect(problemsOf({ cluster: { enabled: true, token: 't', node_id: 'n9', members } })).toEqual([
      'cluster.members: does not list this node (cluster.node_id "n9")',
    ]);
  });

  it('derives advertise_address from the bind address and port', () => {
    const cfg = (network: object) => parseConfigObject({ network }, 'x').config.cluster.advertise_address;
    expect(cfg({ bind_address: '10.0.0.5', port: 7000 })).toBe('10.0.0.5:7000');
    expect(cfg({ bind_address: '::1' })).toBe('[::1]:6379');
    expect(cfg({})).toBe('127.0.0.1:6379');
    expect(parseConfigObject({ cluster: { advertise_address: 'tsdb-0.tsdb:6379' } }, 'x').config.cluster.advertise_address).toBe('tsdb-0.tsdb:6379');
  });

  it('does not change DEFAULTS', () => {
    const before = JSON.stringify(DEFAULTS);
    parseConfigObject({ query: { exchange_timezones: { XX: 'UTC' } }, auth: { tokens: [{ token: 'a', scopes: ['read'] }] } }, 'x');
    expect(JSON.stringify(DEFAULTS)).toBe(before);
    expect(Object.isFrozen(DEFAULTS.query.exchange_timezones)).toBe(true);
  });
});
