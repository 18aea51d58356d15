import { Hono } from 'hono';
import { NotFoundError } from '../errors.ts';
import type { DataAppDeps, DataEnv } from './deps.ts';
import { errorResponse, onErrorHandler } from './error-mapping.ts';
import { HttpError } from './http-error.ts';
import { observe } from './observe.ts';
import { registerConsoleRoutes } from './routes/console-routes.ts';
import { registerInfluxRoutes } from './routes/influx-routes.ts';
import { registerQueryRoutes } from './routes/query-routes.ts';
import { registerAdminRoutes } from './routes/admin-routes.ts';
import { registerWriteRoutes } from './routes/write-routes.ts';

/** Paths of the data port and the methods each answers (the rest get 405 with `Allow`). */
const ROUTE_METHODS: Record<string, string> = {
  '/v1/write': 'POST',
  '/v1/query': 'GET',
  '/v1/query/batch': 'POST',
  '/v1/latest': 'GET',
  '/v1/symbols': 'GET',
  '/write': 'POST',
  '/api/v2/write': 'POST',
  '/ping': 'GET, HEAD',
  '/query': 'GET, POST',
};

/**
 * The data-port application (DESIGN §5). Middleware order: metrics first (sees everything),
 * then admission (cheap refusal under overload or shutdown), then per-route auth and handlers.
 * Every error, thrown anywhere, becomes a response in `error-mapping.ts`. The cluster layer adds
 * its admin routes to the returned app (guarded by `deps.auth.require('admin')`).
 */
export function createDataApp(deps: DataAppDeps): Hono<DataEnv> {
  const app = new Hono<DataEnv>();
  const errDeps = { logger: deps.logger, onInternal: deps.onInternalError };
  app.onError(onErrorHandler(errDeps));
  app.notFound((c) => errorResponse(c, new NotFoundError(`no route for ${c.req.method} ${c.req.path}`), errDeps));
  app.use('*', observe(deps.metrics));
  app.use('*', deps.admission.middleware());
  registerWriteRoutes(app, deps);
  registerInfluxRoutes(app, deps);
  registerQueryRoutes(app, deps);
  registerConsoleRoutes(app, deps);
  registerAdminRoutes(app, deps);
  for (const [path, allow] of Object.entries(ROUTE_METHODS)) {
    app.all(path, (c) => {
      throw new HttpError(405, 'method_not_allowed', `${c.req.method} is not allowed on ${path}; use ${allow}`, { headers: { Allow: allow } });
    });
  }
  return app;
}
