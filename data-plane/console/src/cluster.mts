/**
 * Cluster state for the node view, read from the cluster layer's admin ring endpoint when it
 * exists (CLUSTER_PATH). The cluster layer is optional and still growing, so the answer is read
 * leniently: a placement document (`encodePlacement`: epoch, vnodes, rf, nodes, owners as node
 * indexes) or the decoded form (owners as node ids), nodes as ids or objects with health, and
 * handoffs with progress. Pure; no DOM.
 */

/** Where the console looks for cluster state (GET; 404 = standalone). */
export const CLUSTER_PATH = '/admin/ring';

/** One node as the panel shows it. */
export interface ClusterNode {
  id: string;
  address: string | null;
  /** true/false when the answer says, null when unknown */
  healthy: boolean | null;
  /** vnodes this node holds a replica of */
  vnodes: number;
  /** vnodes this node is the primary of */
  primaries: number;
}

/** One vnode moving between nodes. */
export interface Handoff {
  vnode: number | null;
  from: string | null;
  to: string | null;
  state: string;
  /** 0..1, null when unknown */
  progress: number | null;
}

/** The cluster as the panel shows it. */
export interface ClusterView {
  epoch: number | null;
  vnodes: number | null;
  replicationFactor: number | null;
  nodes: ClusterNode[];
  handoffs: Handoff[];
}

type Json = Record<string, unknown>;

/** Reads an admin ring answer; the placement may be at the top level or under `placement`/`ring`. */
export function readCluster(answer: unknown): ClusterView {
  const top = obj(answer);
  const p = obj(top.placement ?? top.ring ?? top);
  const nodeList = arr(top.nodes ?? p.nodes);
  const ids = nodeList.map((n) => (typeof n === 'string' ? n : String(obj(n).id ?? obj(n).name ?? '?')));
  const owners = arr(p.owners).map((os) => arr(os).map((o) => (typeof o === 'number' && Number.isInteger(o) && ids[o] !== undefined ? ids[o]! : String(o))));
  const nodes = nodeList.map((n, i): ClusterNode => {
    const o = typeof n === 'string' ? {} : obj(n);
    const counted = owners.length > 0;
    return {
      id: ids[i]!,
      address: str(o.address ?? o.url ?? o.addr),
      healthy: health(o),
      vnodes: counted ? owners.filter((os) => os.includes(ids[i]!)).length : numOr(o.vnodes, 0),
      primaries: counted ? owners.filter((os) => os[0] === ids[i]).length : numOr(o.primaries, 0),
    };
  });
  const handoffs = arr(top.handoffs ?? top.handoff ?? p.handoffs).map((h): Handoff => {
    const o = obj(h);
    const moved = num(o.bytesMoved ?? o.bytes_moved);
    const total = num(o.bytesTotal ?? o.bytes_total);
    const progress = num(o.progress) ?? (moved !== null && total ? moved / total : null);
    return { vnode: num(o.vnode), from: str(o.from), to: str(o.to), state: str(o.state ?? o.phase) ?? 'moving', progress };
  });
  return { epoch: num(p.epoch ?? top.epoch), vnodes: num(p.vnodes) ?? (owners.length || null), replicationFactor: num(p.rf ?? p.replicationFactor), nodes, handoffs };
}

function health(o: Json): boolean | null {
  if (typeof o.healthy === 'boolean') return o.healthy;
  const s = str(o.status ?? o.state ?? o.health);
  if (s === null) return null;
  return /^(ok|up|ready|healthy|passing|alive)$/i.test(s);
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
function numOr(v: unknown, d: number): number {
  return num(v) ?? d;
}
function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
