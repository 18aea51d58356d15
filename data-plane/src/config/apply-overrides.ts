import { isPlainObject } from './checks.ts';
import { SCHEMA, type SchemaNode, type Section } from './schema.ts';
import type { DeepPartial, StockTsdbConfig } from './types.ts';

/**
 * Lays `overrides` over a raw config object before validation, so overridden values are
 * checked like the file's. Objects merge key by key; arrays and scalars replace. An override of
 * a canonical key removes the file's alias of it (an override of metrics_port beats the file's
 * prometheus_port instead of conflicting with it). Returns a new object; inputs are not changed.
 * A raw value that is not an object is returned as is (validation reports it).
 */
export function applyOverrides(raw: unknown, overrides: DeepPartial<StockTsdbConfig> | undefined): unknown {
  if (overrides === undefined || !isPlainObject(raw)) return raw;
  return merge(raw, overrides as Record<string, unknown>, SCHEMA as Section<unknown>);
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>, sec: SchemaNode<unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  const section = typeof sec === 'object' ? (sec as Section<Record<string, unknown>>) : undefined;
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const child = section && Object.hasOwn(section.fields, key) ? section.fields[key] : undefined;
    const prev = out[key];
    // defineProperty, not assignment: a key "__proto__" must stay data, not replace the prototype.
    Object.defineProperty(out, key, {
      value: isPlainObject(value) && isPlainObject(prev) ? merge(prev, value, child) : value,
      enumerable: true, writable: true, configurable: true,
    });
    for (const [alias, target] of Object.entries(section?.aliases ?? {})) {
      if (target === key) delete out[alias];
    }
  }
  return out;
}
