import pkg from '../../../package.json' with { type: 'json' };
import type { Registry } from './registry.ts';

/** The package version (package.json), reported by /health and stock_tsdb_build_info. */
export const VERSION: string = pkg.version;

/** Registers `stock_tsdb_build_info{version, runtime}` = 1 and `stock_tsdb_uptime_seconds`. */
export function registerBuildInfo(registry: Registry, startedAtMs = Date.now()): void {
  const runtime = typeof (globalThis as { Bun?: { version: string } }).Bun !== 'undefined' ? `bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}` : `node ${process.versions.node}`;
  registry.callbackGauge({
    name: 'stock_tsdb_build_info',
    help: 'Always 1; labels name the build.',
    labelNames: ['version', 'runtime'],
    collect: () => [{ labels: { version: VERSION, runtime }, value: 1 }],
  });
  registry.callbackGauge({
    name: 'stock_tsdb_uptime_seconds',
    help: 'Seconds since the server started.',
    collect: () => (Date.now() - startedAtMs) / 1000,
  });
}
