/**
 * Cluster state for the node view, from the cluster layer's admin API
 * (data-plane/docs/cluster-api.md): `GET /admin/ring` (the applied ring document, this node's id,
 * peer health) and `GET /admin/handoff` (this node's vnode copy jobs). Both need the admin scope;
 * a standalone node answers 404. The cluster layer is still growing, so answers are read
 * leniently: placement in its stored form (owners as node indexes) or plain (owners as ids),
 * health as `peers: [{id, up}]` or per member. Pure; no DOM.
 */

/** Where the console looks for the ring (GET; 404 = standalone). */
export const RING_PATH = '/admin/ring';
/** Where the console looks for this node's handoff jobs (GET; optional). */
export const HANDOFF_PATH = '/admin/handoff';

/** One node as the panel shows it. */
export interface ClusterNode {
  id: string;
  address: string | null;
  /** true/false when known; null when the answer does not say */
  healthy: boolean | null;
  /** vnodes this node holds a replica of */
  vnodes: number;
  /** vnodes this node is the primary of */
  primaries: number;
  /** pending moves to / from this node */
  incoming: number;
  outgoing: number;
}

/** One vnode copy job on this node (the receiving side). */
export interface HandoffJob {
  vnode: number | null;
  from: string | null;
  state: string;
  rows: number;
  bytes: number;
}

/** The cluster as the panel shows it. */
export interface ClusterView {
  epoch: number | null;
  vnodes: number | null;
  replicationFactor: number | null;
  /** this node's id */
  self: string | null;
  nodes: ClusterNode[];
  /** vnode moves of the current ring step (dual writes until the flip) */
  pending: { vnode: number | null; from: string | null; to: string | null }[];
  jobs: HandoffJob[];
  /** finished share of this node's copy jobs (0..1), null without jobs */
  progress: number | null;
}

type Json = Record<string, unknown>;

/** Reads `GET /admin/ring` (and `GET /admin/handoff` when it answered). */
export function readCluster(ring: unknown, handoff?: unknown): ClusterView {
  const top = obj(ring);
  const p = obj(top.placement ?? top);
  const members = arr(top.members).map((m) => obj(m));
  const ids = arr(p.nodes).map((n) => (typeof n === 'string' ? n : String(obj(n).id ?? '?')));
  for (const m of members) if (typeof m.id === 'string' && !ids.includes(m.id)) ids.push(m.id);
  const indexed = arr(p.nodes).length;
  const nameOf = (o: unknown) => (typeof o === 'number' && Number.isInteger(o) && o >= 0 && o < indexed ? ids[o]! : String(o));
  const owners = arr(p.owners).map((os) => arr(os).map(nameOf));
  const pending = arr(top.pending).map((m) => {
    const o = obj(m);
    return { vnode: num(o.vnode), from: str(o.from), to: str(o.to) };
  });
  const self = str(top.self ?? top.node ?? top.id ?? top.self_id);
  const health = healthOf(top, members);
  const nodes = ids.map((id): ClusterNode => {
    const m = members.find((x) => x.id === id) ?? {};
    return {
      id,
      address: str(m.address),
      healthy: id === self ? true : (health.get(id) ?? null),
      vnodes: owners.filter((os) => os.includes(id)).length,
      primaries: owners.filter((os) => os[0] === id).length,
      incoming: pending.filter((x) => x.to === id).length,
      outgoing: pending.filter((x) => x.from === id).length,
    };
  });
  const jobs = arr(obj(handoff).jobs).map((j): HandoffJob => {
    const o = obj(j);
    return { vnode: num(o.vnode), from: str(o.from), state: str(o.state) ?? '?', rows: num(o.rows) ?? 0, bytes: num(o.bytes) ?? 0 };
  });
  const finished = jobs.filter((j) => j.state === 'done').length;
  return {
    epoch: num(p.epoch ?? top.epoch),
    vnodes: num(p.vnodes) ?? (owners.length || null),
    replicationFactor: num(p.rf ?? p.replicationFactor),
    self,
    nodes,
    pending,
    jobs,
    progress: jobs.length ? finished / jobs.length : null,
  };
}

/** Peer health: `peers`/`health` as [{id, up|healthy|status}], or fields on the members. */
function healthOf(top: Json, members: Json[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const e of [...arr(top.peers ?? top.health), ...members]) {
    const o = obj(e);
    const id = str(o.id);
    const up = typeof o.up === 'boolean' ? o.up : typeof o.healthy === 'boolean' ? o.healthy : statusUp(str(o.status ?? o.state));
    if (id !== null && up !== null && !out.has(id)) out.set(id, up);
  }
  return out;
}

function statusUp(s: string | null): boolean | null {
  return s === null ? null : /^(ok|up|ready|healthy|passing|alive)$/i.test(s);
}

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
