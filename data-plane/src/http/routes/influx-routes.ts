import type { Hono, MiddlewareHandler } from 'hono';
import { ValidationError } from '../../errors.ts';
import { parsePrecision } from '../../ingest/write-limits.ts';
import type { DataAppDeps, DataEnv } from '../deps.ts';
import type { ErrorStyle } from '../error-mapping.ts';
import { readBody } from '../read-body.ts';

/**
 * The InfluxDB version `/ping` reports. 1.8 is the release that serves both the v1 `/write` and
 * the v2-compatible `/api/v2/write` paths, which is exactly what we implement; client libraries
 * and Telegraf only check that the header is present.
 */
export const INFLUX_COMPAT_VERSION = '1.8.10';


/**
 * InfluxDB-compatible routes so Telegraf and Influx client libraries work unchanged:
 * `POST /write` (v1: db, rp, u, p, precision), `POST /api/v2/write` (v2: org, bucket, precision),
 * `GET|HEAD /ping`, and a `/query` that accepts only `CREATE DATABASE` (Telegraf sends it at
 * startup). Line protocol is parsed by ingest/; db/rp/org/bucket are accepted and ignored
 * (one database per server). Errors use the Influx JSON shapes (see error-mapping.ts).
 */
export function registerInfluxRoutes(app: Hono<DataEnv>, deps: DataAppDeps): void {
  const write = deps.auth.require('write');
  const maxBody = deps.config.network.max_body_size;

  const lineProtocolWrite = (style: ErrorStyle) => [
    errorStyle(style),
    write,
    async (c: Parameters<MiddlewareHandler<DataEnv>>[0]) => {
      // InfluxDB's default precision is ns; v1 spellings n/u are accepted on both paths.
      const precision = parsePrecision(c.req.query('precision'), 'ns');
      const bytes = await readBody(c.req.raw, maxBody);
      const { batch, prepared } = await deps.writeParser.parse('line-protocol', bytes, { precision });
      if (batch.rowCount > 0) await deps.engine.write(batch, prepared);
      return c.body(null, 204);
    },
  ] as const;

  app.post('/write', ...lineProtocolWrite('influx-v1'));
  app.post('/api/v2/write', ...lineProtocolWrite('influx-v2'));

  const ping = (c: Parameters<MiddlewareHandler<DataEnv>>[0]) =>
    c.body(null, 204, { 'X-Influxdb-Version': INFLUX_COMPAT_VERSION, 'X-Influxdb-Build': 'OSS' });
  app.get('/ping', ping);
  app.on('HEAD', '/ping', ping);

  const query = async (c: Parameters<MiddlewareHandler<DataEnv>>[0]) => {
    let q = c.req.query('q');
    if (q === undefined && c.req.method === 'POST') {
      const form = new URLSearchParams(new TextDecoder().decode(await readBody(c.req.raw, maxBody)));
      q = form.get('q') ?? undefined;
    }
    if (q && /^\s*CREATE\s+DATABASE\s/i.test(q) && !q.includes(';')) {
      return c.json({ results: [{ statement_id: 0 }] });
    }
    throw new ValidationError('InfluxQL is not supported here (only CREATE DATABASE, which is a no-op); query with GET /v1/query');
  };
  app.get('/query', errorStyle('influx-v1'), write, query);
  app.post('/query', errorStyle('influx-v1'), write, query);
}

/** Marks the route's error body style for the error mapping; answers carry the Influx version
 *  header like InfluxDB's (errors included: clients read it from any answer). */
function errorStyle(style: ErrorStyle): MiddlewareHandler<DataEnv> {
  return async (c, next) => {
    c.set('errorStyle', style);
    await next();
    c.res.headers.set('X-Influxdb-Version', INFLUX_COMPAT_VERSION);
  };
}
