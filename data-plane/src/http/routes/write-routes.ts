import type { Hono } from 'hono';
import type { DataAppDeps, DataEnv } from '../deps.ts';
import { parsePrecision } from '../../ingest/write-limits.ts';
import { readBody } from '../read-body.ts';

/**
 * `POST /v1/write` (scope write): a JSON object `{symbol, rows}`, a JSON array of rows with their
 * symbol, or NDJSON. Answers `{"written": n}` only after the engine resolved the write, i.e. the
 * rows are in the fsynced WAL; a bad row rejects the whole request before anything is stored.
 */
export function registerWriteRoutes(app: Hono<DataEnv>, deps: DataAppDeps): void {
  app.post('/v1/write', deps.auth.require('write'), async (c) => {
    const precision = parsePrecision(c.req.query('precision'), 's');
    const bytes = await readBody(c.req.raw, deps.config.network.max_body_size);
    const { batch, prepared } = await deps.writeParser.parse('json', bytes, { precision, contentType: c.req.header('content-type') });
    const { written } = await deps.engine.write(batch, prepared);
    return c.json({ written });
  });
}
