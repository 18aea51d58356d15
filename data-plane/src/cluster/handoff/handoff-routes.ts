import type { Hono, MiddlewareHandler } from 'hono';
import { ConflictError, ValidationError } from '../../errors.ts';
import type { Engine } from '../../storage/engine.ts';
import { streamResponse } from '../../http/stream-response.ts';
import type { PullJobs } from './pull-jobs.ts';
import { exportVnodesStream, exportVnodeStream, type ExportPart } from './vnode-export.ts';

/** What the handoff routes need. */
export interface HandoffRouteDeps {
  engine: Engine;
  jobs: PullJobs;
  /** guards node-to-node calls (cluster token) */
  requireInternal: MiddlewareHandler;
  /** guards operator calls (scope admin) */
  requireAdmin: MiddlewareHandler;
  /** true while the applied ring makes this node an owner or a pending receiver of `vnode` */
  ownsOrReceives(vnode: number): boolean;
}

/**
 * Vnode handoff endpoints (data-plane/docs/cluster-api.md): the source side streams vnodes
 * (`POST /internal/v1/vnodes/export`, or one with `GET /internal/v1/vnodes/:v/export`), the
 * receiving side runs copy jobs (`POST /admin/handoff/pull`, `POST /admin/vnodes/:v/pull`,
 * `GET /admin/handoff`, `DELETE /admin/handoff/:v`), digests
 * compare replicas, and `DELETE /admin/vnodes/:v` drops a vnode this node no longer serves.
 */
export function registerHandoffRoutes(app: Hono<any>, deps: HandoffRouteDeps): void {
  const { engine, jobs } = deps;

  app.get('/internal/v1/vnodes/:v/export', deps.requireInternal, async (c) => {
    const vnode = vnodeParam(c.req.param('v'), engine);
    if (c.req.query('flush') === '1') await engine.vnodes.flush(vnode);
    const after = c.req.query('after');
    if (after !== undefined && !/^([0-9a-f]{2})+$/.test(after)) throw new ValidationError('after: expected a hex key', 'invalid_parameter');
    return streamResponse(exportVnodeStream(engine, vnode, after ? Buffer.from(after, 'hex') : undefined), {});
  });
  // Many vnodes in one stream (what pull jobs use): one request and one flush for a whole batch.
  app.post('/internal/v1/vnodes/export', deps.requireInternal, async (c) => {
    const body = (await c.req.json().catch(() => null)) as { vnodes?: unknown; flush?: unknown } | null;
    if (!body || !Array.isArray(body.vnodes) || body.vnodes.length === 0) throw new ValidationError('body must be {"vnodes": [{"vnode": N, "after"?: HEX}, …], "flush"?: true}', 'invalid_body');
    const parts: ExportPart[] = body.vnodes.map((p: { vnode?: unknown; after?: unknown }) => {
      const vnode = vnodeParam(String(p?.vnode), engine);
      if (p.after !== undefined && (typeof p.after !== 'string' || !/^([0-9a-f]{2})+$/.test(p.after))) throw new ValidationError(`vnodes[${vnode}].after: expected a hex key`, 'invalid_body');
      return { vnode, after: p.after ? Buffer.from(p.after as string, 'hex') : undefined };
    });
    if (body.flush === true) await engine.vnodes.flush(...parts.map((p) => p.vnode));
    return streamResponse(exportVnodesStream(engine, parts), {});
  });

  const digest = async (c: any) => {
    const vnode = vnodeParam(c.req.param('v'), engine);
    if (c.req.query('flush') === '1') await engine.vnodes.flush(vnode);
    return c.json(await engine.vnodes.digest(vnode));
  };
  app.get('/internal/v1/vnodes/:v/digest', deps.requireInternal, digest);
  app.get('/admin/vnodes/:v/digest', deps.requireAdmin, digest);

  app.post('/admin/vnodes/:v/pull', deps.requireAdmin, async (c) => {
    const vnode = vnodeParam(c.req.param('v'), engine);
    const body = (await c.req.json().catch(() => null)) as { from?: unknown } | null;
    if (!body || typeof body.from !== 'string' || !body.from) throw new ValidationError('body must be {"from": "<node id>"}', 'invalid_body');
    return c.json(jobs.start(vnode, body.from), 202);
  });
  app.post('/admin/handoff/pull', deps.requireAdmin, async (c) => {
    const body = (await c.req.json().catch(() => null)) as { from?: unknown; vnodes?: unknown } | null;
    if (!body || typeof body.from !== 'string' || !body.from || !Array.isArray(body.vnodes) || body.vnodes.length === 0) {
      throw new ValidationError('body must be {"from": "<node id>", "vnodes": [N, …]}', 'invalid_body');
    }
    const vnodes = body.vnodes.map((v) => vnodeParam(String(v), engine));
    return c.json({ jobs: jobs.startMany(vnodes, body.from) }, 202);
  });
  app.get('/admin/handoff', deps.requireAdmin, (c) => {
    const only = c.req.query('vnodes');
    if (only === undefined) return c.json({ jobs: jobs.list() });
    const wanted = new Set(only.split(',').filter(Boolean).map((v) => vnodeParam(v, engine)));
    return c.json({ jobs: jobs.list().filter((j) => wanted.has(j.vnode)) });
  });
  app.delete('/admin/handoff/:v', deps.requireAdmin, async (c) => {
    const vnode = vnodeParam(c.req.param('v'), engine);
    return c.json({ cancelled: await jobs.cancel(vnode) });
  });
  app.delete('/admin/vnodes/:v', deps.requireAdmin, async (c) => {
    const vnode = vnodeParam(c.req.param('v'), engine);
    if (deps.ownsOrReceives(vnode)) {
      throw new ConflictError(`vnode ${vnode} is owned by or being copied to this node in the current ring; it cannot be dropped`);
    }
    await engine.vnodes.drop(vnode);
    return c.json({ dropped: vnode });
  });
}

function vnodeParam(raw: string | undefined, engine: Engine): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0 || v >= engine.opts.vnodes) throw new ValidationError(`vnode "${raw}" is not in 0..${engine.opts.vnodes - 1}`, 'invalid_parameter');
  return v;
}
