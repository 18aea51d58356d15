/**
 * The `stock-tsdb` command: loads the config, opens the engine, serves the data API and the
 * metrics port, and shuts down gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight
 * requests, flush and close the engine, exit 0). Run under Bun (bin/stock-tsdb).
 *
 * Exit codes: 0 clean stop, 1 runtime failure (engine, port in use), 2 bad command line or config.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openClusterNode, type ClusterRuntime } from './cluster/node/open-cluster-node.ts';
import { ConfigError } from './config/config-error.ts';
import { loadConfig } from './config/load-config.ts';
import type { DeepPartial, StockTsdbConfig } from './config/types.ts';
import { startServer, type RunningServer } from './http/standalone-server.ts';
import { WriteParser } from './ingest/write-parser.ts';
import { fastPathAvailable } from './ingest/lp-fast-path.ts';
import { Logger } from './logging/logger.ts';
import { VERSION } from './metrics/build-info.ts';
import type { EngineApi } from './engine-api.ts';
import { Engine } from './storage/engine.ts';
import { engineOptionsFromConfig } from './storage/engine-options.ts';

/** Longest a graceful stop waits for in-flight requests before closing them. */
const SHUTDOWN_TIMEOUT_MS = 30_000;
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

async function main(argv: string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    process.stderr.write(`stock-tsdb: ${(err as Error).message}\n\n${usage()}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(usage());
    return 0;
  }
  if (args.version) {
    process.stdout.write(`stock-tsdb ${VERSION}\n`);
    return 0;
  }
  const configPath = resolveConfigPath(args.config, args.configGiven);
  let config: StockTsdbConfig;
  let warnings: string[];
  try {
    ({ config, warnings } = await loadConfig(configPath, overridesOf(args)));
  } catch (err) {
    process.stderr.write(`stock-tsdb: ${err instanceof ConfigError ? err.message : `cannot load ${configPath}: ${(err as Error).message}`}\n`);
    return 2;
  }
  let logger: Logger;
  try {
    logger = Logger.open(config.logging, { echoStderr: true });
  } catch (err) {
    process.stderr.write(`stock-tsdb: cannot open the log directory ${config.logging.dir}: ${(err as Error).message}\n`);
    return 1;
  }
  for (const w of warnings) logger.warn(`config: ${w}`, { config: configPath });
  return run(config, configPath, logger);
}

async function run(config: StockTsdbConfig, configPath: string, logger: Logger): Promise<number> {
  let engine: Engine;
  try {
    engine = await Engine.open(engineOptionsFromConfig(config), { log: (level, msg, extra) => logger[level](msg, extra) });
  } catch (err) {
    logger.error('cannot open the storage engine', { data_dir: config.storage.data_dir, err: err as Error });
    logger.close();
    return 1;
  }
  // Cluster mode: the data app serves the routing ClusterNode, which owns (and closes) the engine.
  let cluster: ClusterRuntime | null = null;
  if (config.cluster.enabled) {
    try {
      cluster = await openClusterNode({ config, engine, logger });
    } catch (err) {
      logger.error('cannot start the cluster layer', { node: config.cluster.node_id, err: err as Error });
      await engine.close().catch(() => {});
      logger.close();
      return 1;
    }
  }
  const api: EngineApi = cluster?.node ?? engine;
  let server: RunningServer;
  try {
    // Standalone: the workers also encode the WAL value (the rows go to this engine as parsed);
    // cluster: they attach the version-2 record the coordinator forwards slices of.
    const writeParser = new WriteParser(engine.pool, cluster === null ? 'wal-value' : 'forward-record');
    server = startServer({ config, engine: api, logger, ops: engine, registry: cluster?.registry, extendApp: cluster?.extendApp, writeParser });
  } catch (err) {
    logger.error('cannot start the HTTP servers', { bind: config.network.bind_address, port: config.network.port, metrics_port: config.monitoring.metrics_port, err: err as Error });
    await api.close().catch(() => {});
    logger.close();
    return 1;
  }
  const host = config.network.bind_address;
  const metrics = server.metricsPort === null ? 'off' : `${host}:${server.metricsPort}`;
  logger.info('stock-tsdb started', { version: VERSION, data: `${host}:${server.dataPort}`, metrics, config: configPath, data_dir: config.storage.data_dir, pid: process.pid });
  if (!fastPathAvailable()) logger.warn('line-protocol fast path not built (run scripts/build-wasm.sh): every body goes to the slower TypeScript parser');
  // Stable, parseable line for scripts and the test helper (ports may have been chosen by the OS).
  process.stdout.write(`stock-tsdb ${VERSION} listening data=${host}:${server.dataPort} metrics=${metrics}\n`);
  try {
    await cluster?.start({ dataPort: server.dataPort, metricsPort: server.metricsPort });
  } catch (err) {
    // The node still serves (peers can push its ring); membership retries are the operator's call.
    logger.error('cannot join cluster membership', { node: config.cluster.node_id, err: err as Error });
  }
  return waitForSignal(server, api, logger, () => cluster?.stop());
}

function waitForSignal(server: RunningServer, engine: EngineApi, logger: Logger, beforeClose: () => Promise<void> | undefined = () => undefined): Promise<number> {
  return new Promise((resolveExit) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) {
        logger.warn(`second ${signal}: exiting without waiting`);
        logger.close();
        process.exit(1);
      }
      stopping = true;
      logger.info('shutting down', { signal });
      const t0 = Date.now();
      await Promise.resolve(beforeClose()).catch((err) => logger.warn('leaving cluster membership failed', { err: err as Error }));
      const drained = await server.stop(SHUTDOWN_TIMEOUT_MS);
      try {
        await engine.close();
      } catch (err) {
        logger.error('engine close failed', { err: err as Error });
        logger.close();
        resolveExit(1);
        return;
      }
      logger.info('stopped', { ms: Date.now() - t0, drained });
      logger.close();
      resolveExit(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('unhandledRejection', (reason) => {
      logger.error('unhandled promise rejection', { err: reason instanceof Error ? reason : String(reason) });
    });
    process.on('uncaughtException', (err) => {
      // State is unknown: exit. Acknowledged writes are in the WAL and replay at the next start.
      logger.error('uncaught exception; exiting', { err });
      logger.close();
      process.exit(1);
    });
  });
}

/** The default config is looked up in the working directory, then next to the installation. */
function resolveConfigPath(path: string, given: boolean): string {
  if (given || existsSync(path)) return path;
  const installed = join(REPO_ROOT, path);
  return existsSync(installed) ? installed : path;
}

function overridesOf(a: CliArgs): DeepPartial<StockTsdbConfig> {
  const o: DeepPartial<StockTsdbConfig> = {};
  if (a.dataDir !== undefined) o.storage = { data_dir: a.dataDir };
  if (a.port !== undefined || a.bind !== undefined) o.network = { port: a.port, bind_address: a.bind };
  if (a.metricsPort !== undefined) o.monitoring = { metrics_port: a.metricsPort };
  if (a.logDir !== undefined) o.logging = { dir: a.logDir };
  return o;
}

// ---- command line -------------------------------------------------------------------------

/** Parsed `stock-tsdb` command line. */
interface CliArgs {
  config: string;
  /** true when --config was given (the default path is also looked up next to the install) */
  configGiven: boolean;
  dataDir?: string;
  port?: number;
  metricsPort?: number;
  bind?: string;
  logDir?: string;
  help: boolean;
  version: boolean;
}

/** Default config file (DESIGN §4). */
const DEFAULT_CONFIG = 'config/standalone_performance.lua';

const VALUE_FLAGS = new Set(['--config', '--data-dir', '--port', '--metrics-port', '--bind', '--log-dir']);

/**
 * Parses the command line (`--flag value` or `--flag=value`).
 * @throws Error naming the bad flag or value
 */
function parseCliArgs(argv: string[]): CliArgs {
  const out: CliArgs = { config: DEFAULT_CONFIG, configGiven: false, help: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    if (arg === '--version' || arg === '-v') {
      out.version = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!VALUE_FLAGS.has(flag)) throw new Error(`unknown argument "${arg}"`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new Error(`${flag} needs a value`);
    switch (flag) {
      case '--config':
        out.config = value;
        out.configGiven = true;
        break;
      case '--data-dir':
        out.dataDir = value;
        break;
      case '--port':
        out.port = parsePort(flag, value);
        break;
      case '--metrics-port':
        out.metricsPort = parsePort(flag, value);
        break;
      case '--bind':
        out.bind = value;
        break;
      case '--log-dir':
        out.logDir = value;
        break;
    }
  }
  return out;
}

function parsePort(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new Error(`${flag}: "${value}" is not a port number (0-65535; 0 = any free port)`);
  return n;
}

/** The --help text. */
function usage(): string {
  return `Usage: stock-tsdb [--config FILE] [options]

Time-series database for stock-market data (standalone server).

Options:
  --config FILE        config file, .lua / .yaml / .json (default ${DEFAULT_CONFIG})
  --data-dir DIR       override storage.data_dir
  --port N             override network.port (data API; 0 = any free port)
  --metrics-port N     override monitoring.metrics_port (/metrics, /health; 0 = any free port)
  --bind ADDR          override network.bind_address (both ports)
  --log-dir DIR        override logging.dir (error.log, performance.log, system.log)
  -h, --help           show this help
  -v, --version        print the version

Signals: SIGTERM/SIGINT stop gracefully (finish requests, flush, exit 0).
`;
}

process.exit(await main(process.argv.slice(2)));
