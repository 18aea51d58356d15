import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.ts';
import { DEFAULTS } from './defaults.ts';
import { evalLuaConfig } from './eval-lua-config.ts';
import { loadConfig } from './load-config.ts';

const CONFIG_DIR = resolve(import.meta.dirname, '../../../config');
const MiB = 1024 * 1024;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsdb-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileWith(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

async function configErrorOf(p: Promise<unknown>): Promise<ConfigError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('loadConfig() on the original deployment doc files', () => {
  it('loads standalone_performance.lua unchanged with the doc values', async () => {
    const { config, warnings } = await loadConfig(join(CONFIG_DIR, 'standalone_performance.lua'));
    expect(config.storage).toMatchObject({
      engine: 'v3_rocksdb', data_dir: './data/standalone', block_size: 30, enable_compression: true, compression_type: 'lz4',
    });
    expect(config.performance).toMatchObject({ memory_pool_size: 1024 * MiB, write_buffer_size: 64 * MiB, batch_size: 1000 });
    expect(config.cache).toEqual({ enabled: true, max_size: 512 * MiB, ttl: 300 });
    expect(config.monitoring).toMatchObject({ enabled: true, metrics_port: 9090, health_check_interval: 30 });
    expect(config.network.port).toBe(6379);
    expect(config.cluster.enabled).toBe(false);
    expect(warnings).toEqual([expect.stringMatching(/^performance\.enable_luajit_optimization: accepted .* ignored/)]);
  });

  it('loads cluster_scalable.lua unchanged with the doc values', async () => {
    const { config, warnings } = await loadConfig(join(CONFIG_DIR, 'cluster_scalable.lua'));
    expect(config.cluster).toMatchObject({
      enabled: true,
      mode: 'distributed',
      node_id: 'node-1',
      service_discovery: { provider: 'consul', servers: ['127.0.0.1:8500'], health_check_interval: 30 },
      sharding: { enabled: true, strategy: 'consistent_hashing', virtual_nodes: 1000 },
    });
    expect(config.storage).toMatchObject({ engine: 'v3_integrated', data_dir: './data/cluster', replication_factor: 2, vnodes: 1000 });
    expect(config.network).toMatchObject({ bind_address: '0.0.0.0', port: 6379, max_connections: 10000 });
    // prometheus_port is the doc's other name of metrics_port
    expect(config.monitoring).toMatchObject({ enabled: true, metrics_port: 9090, metrics_path: '/metrics' });
    expect(warnings.every((w) => /^cluster\.(token|advertise_address): /.test(w))).toBe(true);
  });

  it('returns a deep-frozen config', async () => {
    const { config } = await loadConfig(join(CONFIG_DIR, 'cluster_scalable.lua'));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.cluster.service_discovery.servers)).toBe(true);
    expect(Object.isFrozen(config.query.exchange_timezones)).toBe(true);
    expect(() => {
      (config.network as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it.each(['standalone_performance', 'cluster_scalable'])('%s: the .yaml and .json twins load to the same config as the .lua', async (name) => {
    const lua = await loadConfig(join(CONFIG_DIR, `${name}.lua`));
    for (const ext of ['yaml', 'json']) {
      const twin = await loadConfig(join(CONFIG_DIR, `${name}.${ext}`));
      expect(twin.config).toStrictEqual(lua.config);
      expect(twin.warnings).toStrictEqual(lua.warnings);
    }
  });
});

describe('loadConfig() overrides', () => {
  it('lays overrides over the file and validates them', async () => {
    const { config } = await loadConfig(join(CONFIG_DIR, 'cluster_scalable.lua'), {
      network: { port: 0 },
      monitoring: { metrics_port: 0 }, // the file spells it prometheus_port: the override wins, no conflict
      cluster: { node_id: 'node-7' },
    });
    expect(config.network).toMatchObject({ port: 0, bind_address: '0.0.0.0' });
    expect(config.monitoring.metrics_port).toBe(0);
    expect(config.cluster.node_id).toBe('node-7');
    expect(config.cluster.service_discovery.servers).toEqual(['127.0.0.1:8500']);

    const err = await configErrorOf(loadConfig(join(CONFIG_DIR, 'standalone_performance.lua'), { network: { port: 70000 } }));
    expect(err.problems).toEqual([expect.stringMatching(/^network\.port: expected a port number/)]);
  });
});

describe('loadConfig() errors name the file and the line', () => {
  it('reports a Lua syntax error with file and line', async () => {
    const p = await fileWith('broken.lua', 'return {\n  storage = {\n    block_size = 30\n  \n');
    const err = await configErrorOf(loadConfig(p));
    expect(err.source).toBe(p);
    expect(err.message).toContain(p);
    expect(err.problems).toEqual([expect.stringMatching(/^Lua syntax error at line 5: '}' expected \(to close '{' at line 2\)/)]);
  });

  it('reports a Lua runtime error with its line', async () => {
    const p = await fileWith('runtime.lua', 'local x = nil\nreturn { storage = { data_dir = x.dir } }\n');
    const err = await configErrorOf(loadConfig(p));
    expect(err.problems).toEqual([expect.stringMatching(/^Lua error at line 2: attempt to index a nil value/)]);
  });

  it('reports a Lua file that returns nothing', async () => {
    const err = await configErrorOf(loadConfig(await fileWith('empty.lua', '-- nothing\n')));
    expect(err.problems[0]).toMatch(/returned nothing/);
  });

  it('reports a YAML syntax error with its line', async () => {
    const err = await configErrorOf(loadConfig(await fileWith('bad.yaml', 'storage:\n  block_size: 30\n  data_dir: [a\n')));
    expect(err.problems[0]).toMatch(/^YAML error at line \d+:/);
  });

  it('reports duplicate YAML keys', async () => {
    const err = await configErrorOf(loadConfig(await fileWith('dup.yaml', 'storage:\n  block_size: 30\n  block_size: 60\n')));
    expect(err.problems[0]).toMatch(/^YAML error at line 3:/);
  });

  it('reports a JSON syntax error', async () => {
    const err = await configErrorOf(loadConfig(await fileWith('bad.json', '{\n  "storage": {\n    "block_size": 30,\n  }\n}\n')));
    expect(err.problems[0]).toMatch(/^JSON syntax error/);
  });

  it('reports a missing file and an unknown extension', async () => {
    expect((await configErrorOf(loadConfig(join(dir, 'nope.lua')))).problems[0]).toMatch(/cannot read the file/);
    expect((await configErrorOf(loadConfig(await fileWith('x.toml', '')))).problems[0]).toMatch(/unsupported file extension/);
  });

  it('validates a Lua file like any other', async () => {
    const p = await fileWith('invalid.lua', 'return { storage = { block_size = "abc" }, cache = { ttl = -1 }, colour = "red" }\n');
    const err = await configErrorOf(loadConfig(p));
    expect(err.problems).toEqual([
      'storage.block_size: expected a positive integer number of seconds up to 86400 (or a duration such as "30s"), got "abc"',
      expect.stringMatching(/^cache\.ttl: expected a non-negative number of seconds/),
    ]);
  });
});

describe('evalLuaConfig()', () => {
  it('turns Lua lists into arrays and named tables into objects, keeping integers and floats', async () => {
    const { value } = await evalLuaConfig(
      'local common = { "a", "b" }\nreturn { list = common, again = common, n = 3, f = 1.25, big = 2^53, s = "x\\0y", nested = { t = true } }',
      'x.lua',
    );
    expect(value).toStrictEqual({ list: ['a', 'b'], again: ['a', 'b'], n: 3, f: 1.25, big: 2 ** 53, s: 'x\0y', nested: { t: true } });
  });

  it('evaluates real Lua: locals, functions, string and math libraries', async () => {
    const { value } = await evalLuaConfig(
      'local function mb(n) return n .. "MB" end\nlocal t = { size = mb(64), n = math.max(2, 3), up = string.upper("lz4") }\nreturn t',
      'x.lua',
    );
    expect(value).toEqual({ size: '64MB', n: 3, up: 'LZ4' });
  });

  it('returns what the file printed', async () => {
    const { printed } = await evalLuaConfig('print("hello", 1)\nprint("again")\nreturn {}', 'x.lua');
    expect(printed).toEqual(['hello\t1', 'again']);
  });

  it.each([
    ['return { f = function() end }', /^the returned table is not a valid config: f: is a function/],
    ['local t = {}\nt.self = t\nreturn { a = t }', /a\.self: contains itself \(a cycle\)/],
    ['return { a = { 1, nil, 3 } }', /a: is a list with holes/],
    ['return { a = { 1, b = 2 } }', /a: mixes list items with named keys/],
    ['return { a = 0/0 }', /a: is not a finite number/],
    ['return { [true] = 1 }', /the returned value: has the key true \(boolean\)/],
    ['return { a = { { f = print } } }', /a\[0\]\.f: is a function/],
  ])('rejects %j with the key path', async (src, message) => {
    const err = await configErrorOf(evalLuaConfig(src, 'x.lua'));
    expect(err.problems[0]).toMatch(message);
  });

  it('has no I/O, require or os.execute, and os.getenv sees nothing', async () => {
    for (const src of ['return io.open("/etc/passwd")', 'return require("os")', 'return os.execute("true")', 'return load("return 1")']) {
      const err = await configErrorOf(evalLuaConfig(src, 'x.lua'));
      expect(err.problems[0]).toMatch(/^Lua error at line 1: attempt to (index|call) a nil value/);
    }
    expect((await evalLuaConfig('return { home = os.getenv("HOME") or "none" }', 'x.lua')).value).toEqual({ home: 'none' });
  });

  it('stops an endless loop at the time limit', async () => {
    const err = await configErrorOf(evalLuaConfig('while true do end', 'loop.lua', { timeoutMs: 200 }));
    expect(err.problems[0]).toMatch(/did not finish within 200 ms/);
  });

  it('stops a file that allocates without bound', async () => {
    const err = await configErrorOf(evalLuaConfig('local t = {}\nfor i = 1, 1e9 do t[i] = string.rep("x", 1000) .. i end\nreturn t', 'mem.lua', { memoryMax: 8 * 1024 * 1024 }));
    expect(err.problems[0]).toMatch(/not enough memory/);
  });
});

describe('DEFAULTS', () => {
  it('is what a config without keys loads to (advertise_address derived)', async () => {
    const { config, warnings } = await loadConfig(await fileWith('empty.json', '{}'));
    expect(config).toStrictEqual({ ...DEFAULTS, cluster: { ...DEFAULTS.cluster, advertise_address: '127.0.0.1:6379' } });
    expect(warnings).toEqual([]);
  });
});
