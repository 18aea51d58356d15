import type { Server } from 'bun';
import type { Hono } from 'hono';
import type { StockTsdbConfig } from '../config/types.ts';
import type { EngineApi } from '../engine-api.ts';
import { WriteParser } from '../ingest/write-parser.ts';
import type { Logger } from '../logging/logger.ts';
import { registerBuildInfo, VERSION } from '../metrics/build-info.ts';
import { registerEngineMetrics } from '../metrics/engine-metrics.ts';
import { registerHttpMetrics } from '../metrics/http-metrics.ts';
import { registerProcessMetrics } from '../metrics/process-metrics.ts';
import { Registry } from '../metrics/registry.ts';
import { Admission } from './admission.ts';
import { Authorizer } from './auth.ts';
import { createDataApp } from './data-app.ts';
import type { DataAppDeps, DataEnv, LocalOps } from './deps.ts';
import { HealthTracker } from './health.ts';
import { createMetricsApp } from './metrics-app.ts';

/** Seconds an idle keep-alive connection stays open (Bun's limit is 255). Long enough for slow
 *  queries, which Bun also counts as inactivity while the handler works. */
const IDLE_TIMEOUT_SEC = 120;

/** What {@link startServer} needs: the validated config, an open engine, the logger. */
export interface ServerOptions {
  config: StockTsdbConfig;
  engine: EngineApi;
  logger: Logger;
  /** the local store's operations (backup, flush); main passes the local Engine */
  ops?: LocalOps;
  /** metrics registry to use (default: a new one); the cluster layer passes its own to add gauges */
  registry?: Registry;
  /**
   * Adds routes to the data app before it serves (Hono's router is built on the first request):
   * the cluster layer's admin API, guarded by `deps.auth.require('admin')`.
   */
  extendApp?: (app: Hono<DataEnv>, deps: DataAppDeps) => void;
  /** how write bodies are parsed (default: on the request thread) */
  writeParser?: WriteParser;
}

/** A running server (data port + metrics port). */
export interface RunningServer {
  /** actual data port (differs from config when it asked for 0) */
  readonly dataPort: number;
  /** actual metrics port, or null when monitoring is disabled */
  readonly metricsPort: number | null;
  readonly registry: Registry;
  readonly app: Hono<DataEnv>;
  /**
   * Graceful stop: /health turns 503, new requests get 503, in-flight ones finish (up to
   * `timeoutMs`), then both listeners close. Does not close the engine (its owner does).
   * @returns false when in-flight requests were still running at the timeout
   */
  stop(timeoutMs?: number): Promise<boolean>;
}

/**
 * Starts the data API (network.bind_address:network.port) and the metrics server
 * (bind_address:monitoring.metrics_port) around an open engine.
 * @throws when a port cannot be bound (the caller closes the engine and exits non-zero)
 */
export function startServer(opts: ServerOptions): RunningServer {
  const { config, engine, logger } = opts;
  const registry = opts.registry ?? new Registry();
  registerBuildInfo(registry);
  registerProcessMetrics(registry);
  registerEngineMetrics(registry, engine);
  const metrics = registerHttpMetrics(registry);
  const writeParser = opts.writeParser ?? new WriteParser(null, 'none');
  registry.callbackCounter({
    name: 'stock_tsdb_line_protocol_bodies_total',
    help: 'Line-protocol write bodies parsed, by parser: fast (WebAssembly) or reference (TypeScript: other shapes, small bodies).',
    labelNames: ['parser'],
    collect: () => [
      { labels: { parser: 'fast' }, value: writeParser.lineProtocolBodies.fast },
      { labels: { parser: 'reference' }, value: writeParser.lineProtocolBodies.reference },
    ],
  });
  const health = new HealthTracker(VERSION, config.monitoring.health_check_interval);
  const admission = new Admission(config.network.max_connections, (reason) => metrics.rejected.inc({ reason }));
  const deps: DataAppDeps = {
    engine,
    config,
    logger,
    metrics,
    admission,
    auth: new Authorizer(config.auth),
    ops: opts.ops,
    writeParser,
    onInternalError: (err) => health.noteInternalError(err),
  };
  const app = createDataApp(deps);
  opts.extendApp?.(app, deps);
  const hostname = config.network.bind_address;
  const data = Bun.serve({
    hostname,
    port: config.network.port,
    fetch: app.fetch,
    // Our own reader enforces max_body_size with a JSON 413 (read-body.ts); Bun's limit is only
    // a backstop above it, or Bun would answer first with an empty 413.
    maxRequestBodySize: Math.min(Number.MAX_SAFE_INTEGER, config.network.max_body_size * 2 + 1024 * 1024),
    idleTimeout: IDLE_TIMEOUT_SEC,
    development: false,
    // Measured with Bun 1.4.4: with development off, a second server on a port in use starts
    // anyway (SO_REUSEPORT) and the kernel splits connections between the two, so writes would
    // land in two data directories. An explicit false makes the second one fail to start.
    reusePort: false,
  });
  let metricsServer: Server<undefined> | null = null;
  if (config.monitoring.enabled) {
    const metricsApp = createMetricsApp({ registry, health, stats: () => engine.stats(), metricsPath: config.monitoring.metrics_path });
    try {
      metricsServer = Bun.serve({ hostname, port: config.monitoring.metrics_port, fetch: metricsApp.fetch, development: false, reusePort: false });
    } catch (err) {
      void data.stop(true);
      throw err;
    }
  }
  return {
    dataPort: data.port!,
    metricsPort: metricsServer ? metricsServer.port! : null,
    registry,
    app,
    async stop(timeoutMs = 30_000) {
      health.markClosing();
      const closed = data.stop(false);
      const drained = await admission.drain(timeoutMs);
      if (!drained) await data.stop(true);
      else await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
      await metricsServer?.stop(true);
      return drained;
    },
  };
}
