/**
 * The ring document (data-plane/docs/cluster-api.md): placement + pending moves + member
 * addresses, the one thing a node routes by. Parsed and validated here, for `PUT /admin/ring`
 * and for the copy persisted in the engine's meta key.
 */
import { ValidationError } from '../../errors.ts';
import { splitHostPort } from '../../config/checks.ts';
import { decodePlacement, encodePlacement, type Placement, validatePlacement } from '../placement.ts';
import type { VnodeMove } from '../planner.ts';

/** Where one node's data port is. */
export interface RingMember {
  id: string;
  /** host:port of the data port (the internal API is served there too) */
  address: string;
}

/** What every node routes by; `placement.epoch` is the ring epoch. */
export interface RingDoc {
  placement: Placement;
  /** replicas being copied: `to` gets dual writes (not reads) until the step's flip */
  pending: VnodeMove[];
  /** data-port address of every node named by `placement` or `pending` (and maybe others) */
  members: RingMember[];
}

/**
 * Parses a ring document from its JSON value. `placement` may be the compact stored form
 * (`encodePlacement`: `{format, epoch, vnodes, rf, nodes, owners: number[][]}`) or the plain
 * `Placement` shape (`owners: string[][]`). `pending` may be omitted or null (= none).
 * @throws ValidationError (code `invalid_ring`) naming the first problem
 */
export function parseRingDoc(value: unknown): RingDoc {
  if (!isObject(value)) throw invalid('ring: expected a JSON object {placement, pending, members}');
  const placement = parsePlacement(value.placement);
  const members = parseMembers(value.members);
  const pending = parsePending(value.pending, placement);
  const known = new Set(members.map((m) => m.id));
  for (const n of placement.nodes) if (!known.has(n)) throw invalid(`ring: placement node "${n}" has no entry in members`);
  for (const m of pending) if (!known.has(m.to)) throw invalid(`ring: pending move of vnode ${m.vnode} goes to "${m.to}", which has no entry in members`);
  return { placement, pending, members };
}

/** The JSON value of a ring document (placement in its compact, canonical form). */
export function ringDocToJson(doc: RingDoc): { placement: unknown; pending: VnodeMove[]; members: RingMember[] } {
  return { placement: JSON.parse(encodePlacement(doc.placement)), pending: doc.pending, members: doc.members };
}

function parsePlacement(v: unknown): Placement {
  if (!isObject(v)) throw invalid('ring: placement must be an object');
  // The compact form is what encodePlacement writes (Consul KV, the operator); it carries a format.
  if ('format' in v) return rethrowAsRing(() => decodePlacement(JSON.stringify(v)));
  const p = { epoch: v.epoch, vnodes: v.vnodes, replicationFactor: v.replicationFactor, nodes: v.nodes, owners: v.owners } as Placement;
  rethrowAsRing(() => validatePlacement(p));
  return { ...p, nodes: [...p.nodes], owners: p.owners.map((os) => [...os]) };
}

function parseMembers(v: unknown): RingMember[] {
  if (!Array.isArray(v)) throw invalid('ring: members must be an array of {id, address}');
  const seen = new Set<string>();
  return v.map((m, i) => {
    if (!isObject(m) || typeof m.id !== 'string' || m.id === '' || typeof m.address !== 'string') {
      throw invalid(`ring: members[${i}] must be {id: string, address: "host:port"}`);
    }
    if (!splitHostPort(m.address)) throw invalid(`ring: members[${i}].address "${m.address}" is not "host:port"`);
    if (seen.has(m.id)) throw invalid(`ring: members lists "${m.id}" twice`);
    seen.add(m.id);
    return { id: m.id, address: m.address };
  });
}

function parsePending(v: unknown, p: Placement): VnodeMove[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid('ring: pending must be an array of moves');
  return v.map((m, i) => {
    const at = `ring: pending[${i}]`;
    if (!isObject(m)) throw invalid(`${at} must be {vnode, from, to, replicaIndex}`);
    if (!Number.isInteger(m.vnode) || (m.vnode as number) < 0 || (m.vnode as number) >= p.vnodes) throw invalid(`${at}.vnode ${JSON.stringify(m.vnode)} is outside 0..${p.vnodes - 1}`);
    if (typeof m.to !== 'string' || m.to === '') throw invalid(`${at}.to must be a node id`);
    if (m.from !== null && m.from !== undefined && typeof m.from !== 'string') throw invalid(`${at}.from must be a node id or null`);
    const replicaIndex = Number.isInteger(m.replicaIndex) ? (m.replicaIndex as number) : 0;
    return { vnode: m.vnode as number, from: (m.from as string | null | undefined) ?? null, to: m.to, replicaIndex };
  });
}

function rethrowAsRing<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ValidationError) throw invalid(`ring: ${err.message}`, err);
    throw err;
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function invalid(message: string, cause?: unknown): ValidationError {
  return new ValidationError(message, 'invalid_ring', cause === undefined ? undefined : { cause });
}
