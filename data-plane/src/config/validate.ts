/**
 * One pass over a raw config object (from Lua, YAML, JSON or the operator): every key is checked
 * against SCHEMA, missing keys take DEFAULTS, unknown keys become warnings, and all problems are
 * thrown together as one ConfigError. The result is deep-frozen.
 */
import { type CheckContext, INVALID, describe, isPlainObject } from './checks.ts';
import { ConfigError } from './config-error.ts';
import { crossCheck } from './cross-check.ts';
import { deepFreeze } from './deep-freeze.ts';
import { DEFAULTS } from './defaults.ts';
import { SCHEMA, type SchemaNode, type Section } from './schema.ts';
import { suggestKey } from './suggest-key.ts';
import type { StockTsdbConfig } from './types.ts';

/** What the walk learned besides the values: who was given, who was wrong, what to say. */
export interface WalkState {
  readonly errors: string[];
  readonly warnings: string[];
  /** canonical paths whose value came from the input (not from DEFAULTS) */
  readonly given: Set<string>;
  /** canonical paths whose input value was rejected (cross-checks skip them) */
  readonly invalid: Set<string>;
}

/** A validated config and the warnings (unknown keys, ignored keys, risky choices) to log. */
export interface ValidatedConfig {
  readonly config: StockTsdbConfig;
  readonly warnings: string[];
}

/**
 * Validates `raw` and fills in defaults.
 * @param source file path or label, used in the ConfigError message
 * @throws ConfigError listing every problem found (never another error type)
 */
export function validateConfig(raw: unknown, source: string): ValidatedConfig {
  if (!isPlainObject(raw)) {
    throw new ConfigError(source, [`expected the config to be a table of sections (storage = {...}, ...), got ${describe(raw)}`]);
  }
  const st: WalkState = { errors: [], warnings: [], given: new Set(), invalid: new Set() };
  const config = walkSection(SCHEMA, raw, DEFAULTS, '', st);
  crossCheck(config, st);
  if (st.errors.length > 0) throw new ConfigError(source, st.errors);
  return { config: deepFreeze(config), warnings: st.warnings };
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function walkSection<T>(sec: Section<T>, raw: unknown, fallback: T, path: string, st: WalkState): T {
  let obj: Record<string, unknown> = {};
  if (isPlainObject(raw)) obj = raw;
  else if (raw !== undefined) {
    st.errors.push(`${path}: expected a table of keys, got ${describe(raw)}`);
    st.invalid.add(path);
  }
  reportExtraKeys(sec, obj, path, st);
  const out = {} as T;
  for (const key of Object.keys(sec.fields) as (keyof T & string)[]) {
    const found = lookup(sec, obj, key, path, st);
    out[key] = walkNode(sec.fields[key] as SchemaNode<T[typeof key]>, found, fallback[key], st);
  }
  return out;
}

/** Unknown keys warn (with a "did you mean" when one is close); ignored keys get their note. */
function reportExtraKeys<T>(sec: Section<T>, obj: Record<string, unknown>, path: string, st: WalkState): void {
  // Sorted, so Lua (whose tables have no order) and YAML report in the same order.
  for (const key of Object.keys(obj).sort()) {
    // Object.hasOwn: a key such as "constructor" must not find Object.prototype members.
    if (Object.hasOwn(sec.fields, key) || (sec.aliases && Object.hasOwn(sec.aliases, key))) continue;
    if (sec.ignored && Object.hasOwn(sec.ignored, key)) {
      st.warnings.push(`${join(path, key)}: ${sec.ignored[key]}`);
      continue;
    }
    const hint = suggestKey(key, [...Object.keys(sec.fields), ...Object.keys(sec.aliases ?? {})]);
    st.warnings.push(`${join(path, key)}: unknown key, ignored${hint ? ` (did you mean "${hint}"?)` : ''}`);
  }
}

interface Found {
  value: unknown;
  /** where the value was written (an alias path if it came from an alias) */
  at: string;
  /** canonical path */
  path: string;
}

/** The value of `key`, taken from an alias if only the alias is given; conflicting spellings are an error. */
function lookup<T>(sec: Section<T>, obj: Record<string, unknown>, key: string, path: string, st: WalkState): Found {
  const canonical = join(path, key);
  let found: Found = { value: Object.hasOwn(obj, key) ? obj[key] : undefined, at: canonical, path: canonical };
  for (const [alias, target] of Object.entries(sec.aliases ?? {})) {
    if (target !== key || !Object.hasOwn(obj, alias)) continue;
    const aliasValue = obj[alias];
    if (found.value === undefined) found = { value: aliasValue, at: join(path, alias), path: canonical };
    else if (JSON.stringify(found.value) !== JSON.stringify(aliasValue)) {
      st.errors.push(`${join(path, alias)}: is another name for ${canonical} but differs from it (${describe(aliasValue)} vs ${describe(found.value)}); give only one`);
      st.invalid.add(canonical);
    }
  }
  return found;
}

function walkNode<T>(node: SchemaNode<T>, found: Found, fallback: T, st: WalkState): T {
  if (typeof node !== 'function') return walkSection(node, found.value, fallback, found.path, st);
  if (found.value === undefined) return copy(fallback);
  st.given.add(found.path);
  const ctx: CheckContext<T> = {
    path: found.at,
    fallback,
    error: (p, m) => st.errors.push(`${p}: ${m}`),
    warn: (p, m) => st.warnings.push(`${p}: ${m}`),
  };
  const v = node(found.value, ctx);
  if (v !== INVALID) return v;
  st.invalid.add(found.path);
  return copy(fallback);
}

/** Defaults are frozen and shared; the result gets its own copy of arrays and maps. */
function copy<T>(v: T): T {
  return v !== null && typeof v === 'object' ? structuredClone(v) : v;
}
