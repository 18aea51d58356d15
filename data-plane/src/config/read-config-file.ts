import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from './config-error.ts';
import { evalLuaConfig } from './eval-lua-config.ts';

/** The raw content of a config file, before validation. */
export interface RawConfigFile {
  /** plain JSON-shaped data (objects, arrays, strings, numbers, booleans, null) */
  raw: unknown;
  /** things worth logging that are not problems (lines a Lua file printed) */
  notes: string[];
}

/** Config file formats, chosen by file extension. */
export type ConfigFormat = 'lua' | 'yaml' | 'json';

/** The format of `path` by its extension, or undefined for an unsupported one. */
export function configFormatOf(path: string): ConfigFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.lua') return 'lua';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  return undefined;
}

/**
 * Reads and parses a config file by extension: `.lua` (evaluated by a real Lua VM, the file
 * `return`s a table), `.yaml`/`.yml`, `.json`. Does not validate.
 * @throws ConfigError naming the file (and line, for syntax errors) when it cannot be read or parsed
 */
export async function readConfigFile(path: string): Promise<RawConfigFile> {
  const format = configFormatOf(path);
  if (!format) throw new ConfigError(path, ['unsupported file extension; use .lua, .yaml, .yml or .json']);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file: ${(err as Error).message}`], { cause: err });
  }
  return parseConfigText(text, path, format);
}

/** Parses config text of a known format (see readConfigFile); `path` only labels messages. */
export async function parseConfigText(text: string, path: string, format: ConfigFormat): Promise<RawConfigFile> {
  if (format === 'lua') {
    const { value, printed } = await evalLuaConfig(text, path);
    return { raw: value, notes: printed.map((line) => `print: ${line}`) };
  }
  return { raw: format === 'yaml' ? parseYaml(text, path) : parseJson(text, path), notes: [] };
}

function parseYaml(text: string, path: string): unknown {
  // YAML 1.2 core schema: "yes"/"on" stay strings, so they are reported rather than guessed.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(path, doc.errors.map((e) => `YAML error${e.linePos ? ` at line ${e.linePos[0].line}` : ''}: ${firstLine(e.message)}`));
  }
  return doc.toJS({ maxAliasCount: 100 });
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const where = pos ? ` at line ${text.slice(0, Number(pos[1])).split('\n').length}` : '';
    throw new ConfigError(path, [`JSON syntax error${where}: ${msg}`], { cause: err });
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}
