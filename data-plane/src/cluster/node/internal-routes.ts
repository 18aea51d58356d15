/**
 * The internal API (cluster-api.md), served on the data port next to the public routes and
 * guarded by the cluster token. Every call acts on this node's LOCAL engine only: routing is the
 * caller's job, so a call never fans out again (no loops, bounded work per request).
 */
import type { Context, Hono } from 'hono';
import { ValidationError } from '../../errors.ts';
import { HttpError } from '../../http/http-error.ts';
import type { DataEnv } from '../../http/deps.ts';
import { readBody } from '../../http/read-body.ts';
import type { WriteParser } from '../../ingest/write-parser.ts';
import type { ClusterNode } from './cluster-node.ts';
import type { ClusterToken } from './cluster-token.ts';
import { CATCHING_UP, HINT_EPOCH_HEADER, RING_EPOCH_HEADER, STALE_RING } from './peer-transport.ts';
import { ringDocToJson } from './ring-doc.ts';
import { candlesToWire, parseReadRequest, seriesToWire } from './wire-codec.ts';

/** What the internal routes need. */
export interface InternalRouteDeps {
  node: ClusterNode;
  token: ClusterToken;
  /** largest internal write body in bytes */
  maxBodyBytes: number;
  /** decodes peers' write records (big ones in the codec workers) */
  parser: WriteParser;
}

/** Adds `/internal/v1/*` to the data app. */
export function registerInternalRoutes(app: Hono<DataEnv>, d: InternalRouteDeps): void {
  const engine = () => d.node.engine;
  app.use('/internal/*', d.token.require());

  app.post('/internal/v1/write', async (c) => {
    const routedBy = epochHeader(c, RING_EPOCH_HEADER);
    const hintEpoch = epochHeader(c, HINT_EPOCH_HEADER);
    refuseIfStale(d.node, routedBy);
    await d.node.beforeRoutedWrite(routedBy ?? hintEpoch);
    const body = await readBody(c.req.raw, d.maxBodyBytes);
    // The body is this node's WAL record for the rows: logged as received (ingest-task.ts).
    await d.node.storePeerWrite(await d.parser.parse('wal-record', body, { precision: 'us' }), hintEpoch);
    return c.body(null, 204);
  });

  app.post('/internal/v1/read', async (c) => {
    const req = parseReadRequest(parseJson(await readBody(c.req.raw, 1024 * 1024)));
    refuseIfStale(d.node, req.epoch);
    if (req.refuse_if_behind && !d.node.ready) {
      throw new HttpError(503, CATCHING_UP, `node ${d.node.self} is catching up after a start; read another owner`, { retryAfterSec: 1 });
    }
    if (req.op === 'range') return c.json({ data: seriesToWire(await engine().readRange(req.query)) });
    if (req.op === 'candles') return c.json({ data: candlesToWire(await engine().candles(req.query)) });
    const rows = await engine().latest(req.query.symbols);
    return c.json({ data: rows.map((r) => (r ? seriesToWire(r) : null)) });
  });

  app.get('/internal/v1/symbols', async (c) => c.json({ symbols: await engine().symbols(c.req.query('prefix') ?? '') }));

  app.get('/internal/v1/hints', (c) => {
    const target = c.req.query('target');
    if (!target) throw new ValidationError('query parameter "target" (a node id) is required');
    const r = d.node.hintReport(target);
    return c.json({ target, pending: r.pending, target_up: r.targetUp });
  });

  app.get('/internal/v1/ring', (c) => {
    const doc = d.node.ringDoc;
    return c.json({ ring: doc ? ringDocToJson(doc) : null });
  });

  // wal_record_versions: what POST /internal/v1/write takes (coordinators send version 2 only
  // to peers that announce it, so nodes from before it keep working in a mixed cluster)
  app.get('/internal/v1/ping', (c) => c.json({ node: d.node.self, epoch: d.node.view?.epoch ?? 0, ready: d.node.ready, wal_record_versions: [1, 2] }));
}

/**
 * Refuses (409 stale_ring, nothing done) a write or read its coordinator routed by an older ring
 * than this node's: owners may have moved since, and a write acknowledged by the old owners could
 * miss a handoff copy that has already run. The coordinator fetches the newer ring and routes
 * again. Calls without an epoch (hint replays, older nodes) are not fenced.
 */
function refuseIfStale(node: ClusterNode, routedBy: number | undefined): void {
  const mine = node.view?.epoch ?? 0;
  if (routedBy !== undefined && routedBy < mine) {
    throw new HttpError(409, STALE_RING, `routed by ring epoch ${routedBy}, but node ${node.self} has applied epoch ${mine}; fetch GET /internal/v1/ring and route again`);
  }
}

/** A ring epoch sent in header `name`, if any. */
function epochHeader(c: Context<DataEnv>, name: string): number | undefined {
  const raw = c.req.header(name);
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw new ValidationError(`header ${name} must be a ring epoch (a non-negative integer), got ${JSON.stringify(raw.slice(0, 40))}`);
  return Number(raw);
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new ValidationError('request body is not valid JSON');
  }
}
