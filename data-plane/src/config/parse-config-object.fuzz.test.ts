import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.ts';
import { parseConfigObject } from './load-config.ts';
import { SCHEMA, type Section } from './schema.ts';

/** Every key path of the schema, so random values land on real keys, not only unknown ones. */
function keyPaths(sec: Section<unknown>, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  const keys = [...Object.keys(sec.fields), ...Object.keys(sec.aliases ?? {}), ...Object.keys(sec.ignored ?? {})];
  for (const key of keys) {
    const node = (sec.fields as Record<string, unknown>)[key];
    out.push([...prefix, key]);
    if (node && typeof node === 'object') out.push(...keyPaths(node as Section<unknown>, [...prefix, key]));
  }
  return out;
}

const PATHS = keyPaths(SCHEMA as Section<unknown>);

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur: Record<string, unknown> = obj;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

/** Values near what configs hold: sizes, durations, ports, zones, and junk. */
const plausible = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom('1GB', '64 MiB', '30s', '5m', '0', '', 'lz4', 'Asia/Shanghai', '127.0.0.1:8500', '/metrics', true, false, 0, -1, 65536, 1e300, {}, []),
  fc.array(fc.constantFrom('127.0.0.1:8500', 'x', 1, { token: 't', scopes: ['read'] })),
  fc.dictionary(fc.constantFrom('SH', 'sh', 'token', 'scopes', '__proto__', 'constructor'), fc.jsonValue()),
);

function onlyConfigErrors(raw: unknown): void {
  try {
    const { config, warnings } = parseConfigObject(raw, 'fuzz');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Array.isArray(warnings)).toBe(true);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.problems.length).toBeGreaterThan(0);
  }
}

describe('parseConfigObject() on random input', () => {
  it('throws nothing but ConfigError on any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), onlyConfigErrors), { numRuns: 2000 });
  });

  it('throws nothing but ConfigError when random values sit at real key paths', () => {
    const raw = fc.array(fc.tuple(fc.constantFrom(...PATHS), plausible), { maxLength: 12 }).map((entries) => {
      const obj: Record<string, unknown> = {};
      for (const [path, value] of entries) setPath(obj, path, value);
      return obj;
    });
    fc.assert(fc.property(raw, onlyConfigErrors), { numRuns: 3000 });
  });

  it('survives JSON with "__proto__" keys', () => {
    onlyConfigErrors(JSON.parse('{"__proto__": {"storage": 1}, "query": {"exchange_timezones": {"__proto__": "UTC"}}}'));
    expect(({} as Record<string, unknown>).storage).toBeUndefined();
  });
});
