import type { DataAppDeps } from './deps.ts';

/**
 * Runs a query and, when it took longer than monitoring.slow_query_ms, writes a `slow_query`
 * line (route, parameters, duration, rows) to performance.log and counts it. Failed queries are
 * not timed: their errors are logged by the error mapping.
 */
export async function timedQuery<T>(
  deps: Pick<DataAppDeps, 'config' | 'logger' | 'metrics'>,
  what: { route: string; params: Record<string, unknown> },
  run: () => Promise<T>,
  rowsOf: (result: T) => number,
): Promise<T> {
  const t0 = performance.now();
  const result = await run();
  const ms = performance.now() - t0;
  if (ms >= deps.config.monitoring.slow_query_ms) {
    deps.metrics.slowQueries.inc();
    deps.logger.slowQuery({ route: what.route, params: what.params, duration_ms: Math.round(ms * 10) / 10, rows: rowsOf(result) });
  }
  return result;
}
