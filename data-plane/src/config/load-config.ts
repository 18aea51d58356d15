import { applyOverrides } from './apply-overrides.ts';
import { readConfigFile } from './read-config-file.ts';
import type { DeepPartial, StockTsdbConfig } from './types.ts';
import { type ValidatedConfig, validateConfig } from './validate.ts';

/**
 * Reads, validates and freezes the config in `path` (`.lua`, `.yaml`/`.yml` or `.json`, by
 * extension), with `overrides` laid over the file (objects merge, arrays and scalars replace;
 * overridden values are validated like the file's). Missing keys take DEFAULTS.
 * Returns the deep-frozen config and the warnings to log (unknown keys, ignored keys, what a
 * Lua file printed), each starting with its key path.
 * @throws ConfigError listing every problem (unreadable file, syntax error with its line, every
 *   invalid key); nothing else
 */
export async function loadConfig(path: string, overrides?: DeepPartial<StockTsdbConfig>): Promise<ValidatedConfig> {
  const { raw, notes } = await readConfigFile(path);
  const { config, warnings } = parseConfigObject(raw, path, overrides);
  return { config, warnings: [...notes, ...warnings] };
}

/**
 * Validates an already-parsed config object (a test fixture, or the Kubernetes operator's
 * per-node config); same rules and result as loadConfig.
 * @param source labels the config in messages (a file path, "StockTsdbCluster default/demo", …)
 * @throws ConfigError listing every problem; never another error type, whatever `raw` is
 */
export function parseConfigObject(raw: unknown, source: string, overrides?: DeepPartial<StockTsdbConfig>): ValidatedConfig {
  return validateConfig(applyOverrides(raw, overrides), source);
}
