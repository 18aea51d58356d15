import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { HttpMetrics } from '../metrics/http-metrics.ts';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/**
 * Middleware counting every request and timing it, by route pattern, method and status. Put it
 * first: it also sees requests refused by later middleware (their error responses are set by
 * app.onError before control returns here).
 */
export function observe(metrics: HttpMetrics): MiddlewareHandler {
  return async (c, next) => {
    const t0 = performance.now();
    metrics.inFlight.inc(1);
    try {
      await next();
    } finally {
      metrics.inFlight.inc(-1);
      const labels = { route: routeLabel(matchedRoutes(c)), method: METHODS.has(c.req.method) ? c.req.method : 'other', status: String(c.res.status) };
      metrics.requests.inc(labels);
      metrics.duration.observe(labels, (performance.now() - t0) / 1000);
    }
  };
}

/** The handler's route pattern; wildcard-only matches (middleware) mean no route matched. */
function routeLabel(routes: { path: string }[]): string {
  const last = routes[routes.length - 1];
  return last && !last.path.includes('*') ? last.path : 'unmatched';
}
