import { gzipSync } from 'node:zlib';
import type { Context, Hono } from 'hono';
import { loadConsoleBundle, type ConsoleAsset, type ConsoleBundle } from '../../../console/build.ts';
import { VERSION } from '../../metrics/build-info.ts';
import type { DataAppDeps, DataEnv } from '../deps.ts';
import { HttpError } from '../http-error.ts';

/** Route families whose request counts the console charts as query and write rates. */
const QUERY_ROUTES = new Set(['/v1/query', '/v1/query/batch', '/v1/latest', '/query']);
const WRITE_ROUTES = new Set(['/v1/write', '/write', '/api/v2/write']);

/**
 * The page is same-origin only: scripts and data from this node, no CDN. Inline styles are
 * allowed because the chart library sizes its canvases with style attributes.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Options of {@link registerConsoleRoutes} (tests inject a bundle loader). */
export interface ConsoleRouteOptions {
  loadBundle?: () => Promise<ConsoleBundle>;
}

/**
 * The web console at `/console` (issue 6): the page and its assets are public (they hold no
 * data); the console's own JSON endpoints under `/console/api/` need the read scope like every
 * read route, and the page sends the user's token with every API call.
 *
 * The bundle is loaded (or built, see console/build.ts) on the first console request, not at
 * start-up, so a node that never serves the console never pays for it; a failed build answers
 * 503 and is retried by the next request.
 */
export function registerConsoleRoutes(app: Hono<DataEnv>, deps: DataAppDeps, opts: ConsoleRouteOptions = {}): void {
  const read = deps.auth.require('read');
  const load = opts.loadBundle ?? (() => loadConsoleBundle({ warn: (msg, fields) => deps.logger.warn(msg, fields) }));
  let pending: Promise<ConsoleBundle> | undefined;
  const bundle = (): Promise<ConsoleBundle> => {
    pending ??= timedLoad(load, deps).catch((err: unknown) => {
      pending = undefined;
      deps.logger.error('console: cannot build the web console', { err: err as Error });
      throw new HttpError(503, 'console_unavailable', `the web console could not be built: ${(err as Error).message.split('\n')[0]}`);
    });
    return pending;
  };

  app.get('/console', (c) => c.redirect('/console/', 301));
  app.get('/console/', async (c) => {
    const b = await bundle();
    return asset(c, b.index, { 'Cache-Control': 'no-cache', 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' });
  });
  app.get('/console/assets/:file', async (c) => {
    const b = await bundle();
    const a = b.assets.get(c.req.param('file'));
    if (!a) throw new HttpError(404, 'not_found', `no console asset ${c.req.param('file')}`);
    // index.html names assets with ?v=<hash>: such URLs never change content.
    const cache = c.req.query('v') === b.hash ? 'public, max-age=31536000, immutable' : 'no-cache';
    return asset(c, a, { 'Cache-Control': cache, 'X-Content-Type-Options': 'nosniff' });
  });

  app.get('/console/api/info', read, (c) =>
    c.json({
      version: VERSION,
      auth: deps.auth.enabled,
      default_timezone: deps.config.query.default_timezone,
      exchange_timezones: deps.config.query.exchange_timezones,
      max_rows: deps.config.query.max_rows,
    }),
  );
  app.get('/console/api/stats', read, (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json(nodeStats(deps));
  });
}

async function timedLoad(load: () => Promise<ConsoleBundle>, deps: DataAppDeps): Promise<ConsoleBundle> {
  const t0 = performance.now();
  const b = await load();
  if (b.built) deps.logger.info('console: built the web console bundle', { hash: b.hash, ms: Math.round(performance.now() - t0) });
  return b;
}

/** Gzipped copies of assets, made once per asset on first use (the script shrinks 205 → ~70 KB). */
const gzipped = new WeakMap<ConsoleAsset, Uint8Array>();

function asset(c: Context<DataEnv>, a: ConsoleAsset, headers: Record<string, string>): Response {
  const base = { 'Content-Type': a.contentType, Vary: 'Accept-Encoding', ...headers };
  if (!/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) return c.body(a.body as Uint8Array<ArrayBuffer>, 200, base);
  let gz = gzipped.get(a);
  if (!gz) gzipped.set(a, (gz = new Uint8Array(gzipSync(a.body))));
  return c.body(gz as Uint8Array<ArrayBuffer>, 200, { ...base, 'Content-Encoding': 'gzip' });
}

/**
 * A snapshot of the node's counters for the console's live charts: the engine's stats (the same
 * numbers /metrics exports as stock_tsdb_*) and the HTTP request counts of query and write routes.
 * Rates are computed by the page from two snapshots. Read-only and cheap (no I/O).
 */
export function nodeStats(deps: Pick<DataAppDeps, 'engine' | 'metrics'>): Record<string, unknown> {
  const requests = requestCounts(deps.metrics.requests);
  return { time_ms: Date.now(), engine: deps.engine.stats(), http: requests };
}

/** Sums `stock_tsdb_http_requests_total` over the query and the write routes (from its exposition). */
function requestCounts(counter: DataAppDeps['metrics']['requests']): { queries: number; writes: number } {
  const lines: string[] = [];
  counter.render(lines);
  let queries = 0;
  let writes = 0;
  for (const line of lines) {
    const m = /route="([^"]*)".* ([0-9.e+]+)$/.exec(line);
    if (!m) continue;
    if (QUERY_ROUTES.has(m[1]!)) queries += Number(m[2]);
    else if (WRITE_ROUTES.has(m[1]!)) writes += Number(m[2]);
  }
  return { queries, writes };
}
