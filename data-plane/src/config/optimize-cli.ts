/**
 * CLI behind scripts/optimize_performance.sh: reads a config and this machine, writes a tuned
 * config beside the input (or to --output) with the reason for every change as a comment.
 *
 *   bun data-plane/src/config/optimize-cli.ts --config FILE [--output OUT]
 *
 * Exit codes: 0 written, 1 the config is invalid or cannot be written, 2 bad arguments.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from './config-error.ts';
import { formatSize } from './format-size.ts';
import { loadConfig, parseConfigObject } from './load-config.ts';
import { probeMachine } from './probe-machine.ts';
import { configFormatOf, readConfigFile } from './read-config-file.ts';
import { renderTunedConfig } from './render-tuned-config.ts';
import { type MachineInfo, type TuneResult, tuneConfig } from './tune.ts';

const USAGE = 'usage: optimize_performance.sh --config FILE [--output OUT]\n' +
  '  Writes FILE.tuned.<ext> (or OUT: .yaml, .lua or .json) tuned to this machine\'s cores, RAM and disk.';

/** Inputs of one tuning run; `machine` and `now` are injectable so tests are deterministic. */
export interface OptimizeOptions {
  configPath: string;
  outputPath?: string;
  machine?: MachineInfo;
  now?: Date;
  /** where the summary goes (default console.log) */
  log?: (line: string) => void;
}

/**
 * Tunes `configPath` and writes the result; returns the output path and the decisions.
 * @throws ConfigError if the input is invalid or the output extension is not .yaml/.yml/.lua/.json
 */
export async function optimizeConfig(opts: OptimizeOptions): Promise<{ outputPath: string; result: TuneResult }> {
  const log = opts.log ?? console.log;
  const { raw } = await readConfigFile(opts.configPath);
  const { config, warnings } = parseConfigObject(raw, opts.configPath);
  for (const w of warnings) log(`warning: ${w}`);
  const machine = opts.machine ?? (await probeMachine(config.storage.data_dir));
  const result = tuneConfig(config, machine);

  const outputPath = opts.outputPath ?? defaultOutputPath(opts.configPath);
  const format = configFormatOf(outputPath);
  if (!format) throw new ConfigError(outputPath, ['--output must end in .yaml, .yml, .lua or .json']);
  const header = headerLines(opts.configPath, machine, config.storage.data_dir, opts.now ?? new Date());
  // YAML to YAML edits the user's document, so their comments and key order survive.
  const yamlSource = format === 'yaml' && configFormatOf(opts.configPath) === 'yaml' ? await readFile(opts.configPath, 'utf8') : undefined;
  await writeFile(outputPath, renderTunedConfig(raw, result.changes, { format, header, yamlSource }));
  // The tuned file must load like any config; if it does not, that is our bug, not the user's.
  await loadConfig(outputPath);

  for (const c of result.changes) log(`${c.path}: ${show(c.path, c.from)} -> ${c.written}  (${c.reason})`);
  if (result.changes.length === 0) log('no key needed a change');
  for (const n of result.notes) log(`note: ${n}`);
  log(`wrote ${outputPath}`);
  return { outputPath, result };
}

/** "dir/name.lua" → "dir/name.tuned.lua"; JSON input gets YAML output, which can hold the reasons. */
export function defaultOutputPath(configPath: string): string {
  const ext = extname(configPath);
  const outExt = configFormatOf(configPath) === 'json' ? '.yaml' : ext;
  return join(dirname(configPath), `${basename(configPath, ext)}.tuned${outExt}`);
}

function headerLines(input: string, m: MachineInfo, dataDir: string, now: Date): string[] {
  const gb = (n: number | null) => (n === null ? 'unknown' : `${(n / 2 ** 30).toFixed(1)}GB`);
  return [
    `Tuned by scripts/optimize_performance.sh from ${basename(input)} on ${now.toISOString()}`,
    `for a machine with ${m.cores} cores, ${gb(m.memoryBytes)} RAM, ${gb(m.freeDiskBytes)} free disk at ${JSON.stringify(dataDir)}` +
      ` (data now ${m.dataSizeBytes === null ? 'absent' : gb(m.dataSizeBytes)}).`,
    'Each changed key has a "tuned:" comment with its reason; run the script again after a hardware change.',
  ];
}

function show(path: string, v: number): string {
  return path.endsWith('worker_threads') ? String(v) : formatSize(v);
}

/** Parses argv (without the runtime and script) and runs; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let values: { config?: string; output?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, output: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.config) {
    console.error(`--config is required\n${USAGE}`);
    return 2;
  }
  try {
    await optimizeConfig({ configPath: values.config, outputPath: values.output });
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    return 1;
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
