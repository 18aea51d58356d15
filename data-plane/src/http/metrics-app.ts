import { Hono } from 'hono';
import type { EngineStats } from '../engine-api.ts';
import { EXPOSITION_CONTENT_TYPE, type Registry } from '../metrics/registry.ts';
import type { HealthTracker } from './health.ts';

/**
 * The metrics-port application: `GET /health` and `GET <monitoring.metrics_path>` (default
 * /metrics) in the Prometheus text format. No auth: Prometheus and load balancers probe it; bind
 * the metrics port to a private interface when that matters.
 */
export function createMetricsApp(deps: {
  registry: Registry;
  health: HealthTracker;
  stats: () => EngineStats;
  metricsPath: string;
}): Hono {
  const app = new Hono();
  app.get('/health', (c) => {
    const r = deps.health.report(deps.stats);
    return c.json(r.body, r.healthy ? 200 : 503);
  });
  app.get(deps.metricsPath, (c) => c.body(deps.registry.render(), 200, { 'Content-Type': EXPOSITION_CONTENT_TYPE }));
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}; try /health or ${deps.metricsPath}` } }, 404));
  app.onError((_err, c) => c.json({ error: { code: 'internal', message: 'internal error' } }, 500));
  return app;
}
