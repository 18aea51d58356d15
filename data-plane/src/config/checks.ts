/**
 * Leaf checks of the config schema: each takes the raw value found at a key and returns the
 * typed value, or reports why it is wrong and returns INVALID. Messages read
 * `<path>: expected <what>, got <value>` so every problem names its key.
 */
import { isIP } from 'node:net';
import { parseDuration } from './parse-duration.ts';
import { parseSize } from './parse-size.ts';

/** Marker a check returns after reporting a problem; the validator then keeps the default. */
export const INVALID: unique symbol = Symbol('invalid');

/** What a check may do besides returning: report problems and notes against key paths. */
export interface CheckContext<T> {
  /** dotted key path of the value, e.g. "storage.block_size" */
  readonly path: string;
  /** the default at this path (record checks merge over it) */
  readonly fallback: T;
  error(path: string, message: string): void;
  warn(path: string, message: string): void;
}

/** A leaf check of the schema. Must not throw: problems go through `ctx.error`. */
export type Check<T> = (value: unknown, ctx: CheckContext<T>) => T | typeof INVALID;

/** Short rendering of a bad value for messages (strings quoted and truncated). */
export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v;
}

/** A plain key/value object (a Lua table with string keys, a YAML mapping, a JSON object). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Builds a check from a parser that returns undefined (or throws RangeError) when `v` is wrong. */
function expecting<T>(expected: string, parse: (v: unknown) => T | undefined): Check<T> {
  return (v, ctx) => {
    let out: T | undefined;
    try {
      out = parse(v);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
    }
    if (out === undefined) {
      ctx.error(ctx.path, `expected ${expected}, got ${describe(v)}`);
      return INVALID;
    }
    return out;
  };
}

/** true or false (no "yes"/"on": YAML 1.2 and Lua both have real booleans). */
export const bool: Check<boolean> = expecting('true or false', (v) => (typeof v === 'boolean' ? v : undefined));

/** An integer within [min, max]; `what` names it in messages ("a port number"). */
export function int(min: number, max: number, what = `an integer from ${min} to ${max}`): Check<number> {
  return expecting(what, (v) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : undefined));
}

/** A TCP port; 0 lets the OS choose (tests start servers on port 0). */
export const port = int(0, 65535, 'a port number from 0 to 65535');

/** A byte size: number of bytes or "512MB"-style string; at least `min` bytes. */
export function size(min: number): Check<number> {
  const what = min > 0 ? 'a positive size such as "512MB" (or a number of bytes)' : 'a size such as "512MB" (or a number of bytes)';
  return expecting(what, (v) => {
    const n = parseSize(v);
    return n >= min ? n : undefined;
  });
}

/** Options of `duration`: the result's unit and bounds, in that unit. */
export interface DurationOptions {
  unit: 's' | 'ms';
  min: number;
  max?: number;
  integer?: boolean;
}

/** A duration: number in `unit` or a string like "30s", "5m"; result in `unit`. */
export function duration(o: DurationOptions): Check<number> {
  const unitName = o.unit === 's' ? 'seconds' : 'milliseconds';
  const what = `${o.min > 0 ? 'a positive' : 'a non-negative'} ${o.integer ? 'integer ' : ''}number of ${unitName}` +
    `${o.max !== undefined ? ` up to ${o.max}` : ''} (or a duration such as "30s")`;
  return expecting(what, (v) => {
    const n = inUnit(v, o.unit);
    if (n < o.min || (o.max !== undefined && n > o.max)) return undefined;
    if (o.integer && !Number.isInteger(n)) return undefined;
    return n;
  });
}

/** A bare number (or digit string) is already in the field's unit; only "30s"-style strings carry their own. */
function inUnit(v: unknown, unit: 's' | 'ms'): number {
  const bare = typeof v === 'number' || (typeof v === 'string' && /^\s*\d+(?:\.\d+)?\s*$/.test(v));
  if (bare || unit === 's') return parseDuration(v);
  // Rounded to whole microseconds so "1.1s" gives 1100 ms, not 1100.0000000000002.
  return Math.round(parseDuration(v) * 1e6) / 1e3;
}

/** A string; `pattern` restricts it, `what` describes the pattern for messages. */
export function str(what = 'a non-empty string', pattern: RegExp = /^[\s\S]+$/): Check<string> {
  return expecting(what, (v) => (typeof v === 'string' && pattern.test(v) ? v : undefined));
}

/** Any string, including empty (e.g. a token that may be unset). */
export const anyString: Check<string> = expecting('a string', (v) => (typeof v === 'string' ? v : undefined));

/** One of fixed words, matched case-insensitively and returned in the listed spelling. */
export function oneOf<const W extends string>(...words: W[]): Check<W> {
  const what = `one of ${words.map((w) => JSON.stringify(w)).join(', ')}`;
  return expecting(what, (v) =>
    typeof v === 'string' ? words.find((w) => w.toLowerCase() === v.trim().toLowerCase()) : undefined,
  );
}

/** Whether the runtime's Intl knows the IANA zone (the same Intl that buckets candles). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.trim() !== '';
  } catch {
    return false;
  }
}

/** An IANA time zone name such as "Asia/Shanghai". */
export const timeZone: Check<string> = expecting('an IANA time zone such as "Asia/Shanghai"', (v) =>
  typeof v === 'string' && isTimeZone(v) ? v : undefined,
);

const HOST_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Whether `h` is an IP address or a DNS host name. */
export function isHost(h: string): boolean {
  return isIP(h) !== 0 || HOST_RE.test(h);
}

/** An IP address or host name to bind or connect to. */
export const host: Check<string> = expecting('an IP address or host name', (v) =>
  typeof v === 'string' && isHost(v) ? v : undefined,
);

/** Splits "host:port" / "[v6]:port"; undefined when malformed or the port is not 1–65535. */
export function splitHostPort(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const h = m[1] ?? m[2]!;
  const p = Number(m[3]);
  if (p < 1 || p > 65535 || !(m[1] ? isIP(h) === 6 : isHost(h))) return undefined;
  return { host: h, port: p };
}

/** A "host:port" address ("[::1]:8500" for IPv6). */
export const hostPort: Check<string> = expecting('an address "host:port"', (v) =>
  typeof v === 'string' && splitHostPort(v) ? v : undefined,
);

/**
 * A list whose items pass `item`. An empty object also counts as an empty list: Lua has one
 * table type, so `servers = {}` cannot say whether it is a list or a map.
 */
export function list<T>(item: Check<T>): Check<T[]> {
  return (v, ctx) => {
    if (isPlainObject(v) && Object.keys(v).length === 0) return [];
    if (!Array.isArray(v)) {
      ctx.error(ctx.path, `expected a list, got ${describe(v)}`);
      return INVALID;
    }
    const out: T[] = [];
    let ok = true;
    v.forEach((x, i) => {
      const r = item(x, { ...ctx, path: `${ctx.path}[${i}]`, fallback: undefined as T });
      if (r === INVALID) ok = false;
      else out.push(r);
    });
    return ok ? out : INVALID;
  };
}
