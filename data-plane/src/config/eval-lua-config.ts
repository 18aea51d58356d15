import { LuaFactory } from 'wasmoon';
import { ConfigError } from './config-error.ts';
import { LUA_SANDBOX } from './lua-sandbox.ts';

/** Limits of one Lua config evaluation. */
export interface EvalLuaOptions {
  /** wall-clock limit in ms (default 5000): a config with an endless loop fails instead of hanging */
  timeoutMs?: number;
  /** Lua heap limit in bytes (default 64MB): a config is a few tables */
  memoryMax?: number;
}

/** What a Lua config file evaluated to. */
export interface LuaConfigValue {
  /** the returned table as plain JSON-shaped data: Lua lists → arrays, tables with names → objects */
  value: unknown;
  /** lines the file printed with print(), in order (callers log them as warnings) */
  printed: string[];
}

/**
 * Evaluates a Lua config file's text in a real Lua 5.4 VM (wasmoon) and returns the table it
 * `return`s. The file runs sandboxed: string/table/math/utf8 and a few base functions, no I/O.
 * An empty table becomes `{}` (the validator accepts it where a list is expected).
 * @param file path used in messages (only its last part appears inside Lua's own messages)
 * @throws ConfigError naming the file and line of a syntax or runtime error, or the key path of
 *   a value that has no JSON form (function, cycle, NaN, list with holes, …)
 */
export async function evalLuaConfig(text: string, file: string, opts: EvalLuaOptions = {}): Promise<LuaConfigValue> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const chunkName = file.split(/[\\/]/).pop() || 'config.lua';
  const engine = await new LuaFactory().createEngine({ traceAllocations: true, injectObjects: false });
  try {
    engine.global.setMemoryMax(opts.memoryMax ?? 64 * 1024 * 1024);
    engine.global.set('__tsdb_src', text);
    engine.global.set('__tsdb_name', chunkName);
    const thread = engine.global.newThread();
    thread.loadString(LUA_SANDBOX, '=tsdb-config-loader');
    const started = Date.now();
    const [json, second, kind] = (await thread.run(0, { timeout: timeoutMs })) as unknown[];
    if (typeof json === 'string') {
      return { value: JSON.parse(json), printed: typeof second === 'string' && second !== '' ? second.split('\n') : [] };
    }
    const timedOut = Date.now() - started >= timeoutMs;
    throw new ConfigError(file, [describeFailure(chunkName, second, kind, timedOut, timeoutMs)]);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(file, [`could not evaluate the Lua file: ${(err as Error)?.message ?? String(err)}`], { cause: err });
  } finally {
    engine.global.close();
  }
}

/** Turns Lua's "name:LINE: msg" into "Lua syntax error at line LINE: msg". */
function describeFailure(chunkName: string, message: unknown, kind: unknown, timedOut: boolean, timeoutMs: number): string {
  if (kind === 'value') return `the returned table is not a valid config: ${String(message)}`;
  if (timedOut) return `the Lua file did not finish within ${timeoutMs} ms (an endless loop?)`;
  const label = kind === 'syntax' ? 'Lua syntax error' : 'Lua error';
  if (typeof message !== 'string') return `${label} (the file raised a non-string error value)`;
  const prefix = `${chunkName}:`;
  const m = message.startsWith(prefix) ? /^(\d+): ([\s\S]*)$/.exec(message.slice(prefix.length)) : null;
  return m ? `${label} at line ${m[1]}: ${m[2]}` : `${label}: ${message}`;
}
