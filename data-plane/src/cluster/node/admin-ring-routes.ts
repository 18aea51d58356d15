/**
 * `GET /admin/ring` and `PUT /admin/ring` (cluster-api.md "Admin API"): the applied ring
 * document and pushing a new one. Allowed with a user token of scope `admin` or with the cluster
 * token (operators and peers).
 */
import type { Hono, MiddlewareHandler } from 'hono';
import { ValidationError } from '../../errors.ts';
import type { DataAppDeps, DataEnv } from '../../http/deps.ts';
import { readBody } from '../../http/read-body.ts';
import type { ClusterNode } from './cluster-node.ts';
import { CLUSTER_TOKEN_HEADER, type ClusterToken } from './cluster-token.ts';
import { parseRingDoc, ringDocToJson } from './ring-doc.ts';

/** Largest ring document accepted (1000 vnodes at RF 3 with long ids is well under 1 MB). */
const MAX_RING_BYTES = 8 * 1024 * 1024;

/** Adds the ring admin routes to the data app. */
export function registerAdminRingRoutes(app: Hono<DataEnv>, deps: DataAppDeps, d: { node: ClusterNode; token: ClusterToken }): void {
  const admin = adminOrClusterToken(deps, d.token);

  app.get('/admin/ring', admin, (c) => {
    const doc = d.node.ringDoc;
    return c.json({
      node_id: d.node.self,
      epoch: doc?.placement.epoch ?? 0,
      ready: d.node.ready,
      ...(doc ? ringDocToJson(doc) : { placement: null, pending: [], members: [] }),
      peers: d.node.health.snapshot(),
    });
  });

  app.put('/admin/ring', admin, async (c) => {
    const body = await readBody(c.req.raw, MAX_RING_BYTES);
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(body));
    } catch {
      throw new ValidationError('ring: request body is not valid JSON', 'invalid_ring');
    }
    const doc = parseRingDoc(value);
    await d.node.applyRing(doc); // RingEpochConflict is a ConflictError: 409
    return c.json({ node_id: d.node.self, epoch: doc.placement.epoch });
  });
}

/** The cluster token grants admin calls; otherwise the user token must have scope admin. */
function adminOrClusterToken(deps: DataAppDeps, token: ClusterToken): MiddlewareHandler {
  const admin = deps.auth.require('admin');
  return async (c, next) => {
    if (token.grants(c.req.header(CLUSTER_TOKEN_HEADER))) return next();
    return admin(c, next);
  };
}
