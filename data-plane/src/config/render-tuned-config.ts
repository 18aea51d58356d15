/**
 * Writes a tuned config file: the user's own keys and values (not the filled-in defaults), with
 * the tuner's changes laid over them and a comment giving the reason above every changed key.
 * Pure; optimize-cli.ts does the I/O.
 */
import { Document, Scalar, isMap, isScalar, parseDocument } from 'yaml';
import { applyOverrides } from './apply-overrides.ts';
import type { ConfigFormat } from './read-config-file.ts';
import type { TuneChange } from './tune.ts';
import type { DeepPartial, StockTsdbConfig } from './types.ts';

/** What goes into a tuned file besides the raw config. */
export interface RenderOptions {
  format: ConfigFormat;
  /** lines for the comment at the top (machine description, how it was made) */
  header: readonly string[];
  /** the input's YAML text, when the input was YAML: edited in place so its comments survive */
  yamlSource?: string;
}

/**
 * Renders `raw` (as read from the user's file) with `changes` applied. YAML and Lua carry the
 * header and the reasons as comments; JSON cannot, so the caller prints them instead.
 */
export function renderTunedConfig(raw: unknown, changes: readonly TuneChange[], opts: RenderOptions): string {
  const tuned = applyOverrides(raw, changesAsOverrides(changes)) as Record<string, unknown>;
  // A line break inside a header line (e.g. from a path) would end the comment and break the file.
  opts = { ...opts, header: opts.header.map((l) => l.replace(/[\r\n]+/g, ' ')) };
  const reasons = new Map(changes.map((c) => [c.path, c.reason]));
  if (opts.format === 'json') return `${JSON.stringify(tuned, null, 2)}\n`;
  if (opts.format === 'lua') return renderLua(tuned, reasons, opts.header);
  if (opts.yamlSource !== undefined) return editYaml(opts.yamlSource, changes, opts.header);
  return renderYaml(new Document(tuned), reasons, opts.header);
}

function changesAsOverrides(changes: readonly TuneChange[]): DeepPartial<StockTsdbConfig> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const c of changes) {
    const [section, key] = c.path.split('.') as [string, string];
    (out[section] ??= {})[key] = c.written;
  }
  return out as DeepPartial<StockTsdbConfig>;
}

/** Sets the changed keys in the user's own YAML document, keeping its comments and order. */
function editYaml(source: string, changes: readonly TuneChange[], header: readonly string[]): string {
  const doc = parseDocument(source);
  for (const c of changes) {
    const [section, key] = c.path.split('.') as [string, string];
    if (!isMap(doc.get(section, true))) doc.set(section, doc.createNode({}));
    doc.setIn([section, key], c.written);
  }
  const reasons = new Map(changes.map((c) => [c.path, c.reason]));
  return renderYaml(doc, reasons, header);
}

function renderYaml(doc: Document, reasons: Map<string, string>, header: readonly string[]): string {
  const own = doc.commentBefore ? `\n\n${doc.commentBefore}` : '';
  doc.commentBefore = header.map((l) => ` ${l}`).join('\n') + own;
  for (const [path, reason] of reasons) {
    const [section, key] = path.split('.') as [string, string];
    const map = doc.get(section, true);
    const pair = isMap(map) ? map.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key) : undefined;
    if (!pair) continue;
    // A key added by setIn is a bare string, which cannot hold a comment: make it a node.
    if (!isScalar(pair.key)) pair.key = new Scalar(pair.key);
    (pair.key as Scalar).commentBefore = ` tuned: ${reason}`;
  }
  return doc.toString({ lineWidth: 0 });
}

const LUA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LUA_KEYWORDS = new Set(['and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'goto', 'if', 'in',
  'local', 'nil', 'not', 'or', 'repeat', 'return', 'then', 'true', 'until', 'while']);

function renderLua(tuned: Record<string, unknown>, reasons: Map<string, string>, header: readonly string[]): string {
  const lines = header.map((l) => `-- ${l}`);
  lines.push(`return ${luaValue(tuned, '', '', reasons)}`, '');
  return lines.join('\n');
}

function luaValue(v: unknown, path: string, indent: string, reasons: Map<string, string>): string {
  if (typeof v === 'string') return luaString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || typeof v !== 'object') throw new Error(`BUG: cannot write ${typeof v} at ${path} as Lua`);
  const inner = `${indent}    `;
  const parts: string[] = [];
  if (Array.isArray(v)) {
    v.forEach((item, i) => parts.push(`${inner}${luaValue(item, `${path}[${i}]`, inner, reasons)}`));
  } else {
    for (const [k, item] of Object.entries(v)) {
      const p = path === '' ? k : `${path}.${k}`;
      const reason = reasons.get(p);
      if (reason) parts.push(`${inner}-- tuned: ${reason}`);
      const key = LUA_NAME.test(k) && !LUA_KEYWORDS.has(k) ? k : `[${luaString(k)}]`;
      parts.push(`${inner}${key} = ${luaValue(item, p, inner, reasons)}`);
    }
  }
  if (parts.length === 0) return '{}';
  // Lua accepts a trailing separator, so every value gets a comma; comment lines get none.
  const body = parts.map((l) => (l.trimStart().startsWith('--') ? l : `${l},`));
  return `{\n${body.join('\n')}\n${indent}}`;
}

function luaString(s: string): string {
  return `"${s.replace(/[\\"\x00-\x1f\x7f]/g, (c) => `\\${String(c.charCodeAt(0)).padStart(3, '0')}`)}"`;
}
