/**
 * Placement: which nodes own each vnode, versioned by a ring epoch (DESIGN.md §8).
 *
 * A placement is an immutable value. The planner (`planner.ts`) computes them, the membership
 * source stores them (Consul KV with check-and-set), and `Ring` answers routing questions from one.
 */
import { ValidationError } from '../errors.ts';

/** Highest vnode count the key layout can address (vnode is a u16 below the 0xFFFF system prefix). */
export const MAX_VNODES = 65534;

/** Version of the serialized placement document; bump when its shape changes. */
export const PLACEMENT_FORMAT = 1;

/**
 * Per vnode, the ordered distinct node ids that hold its data; index 0 is the primary.
 *
 * Settled placements have `min(replicationFactor, nodes.length)` owners per vnode. While a
 * rebalance is under way (an intermediate step from `nextStep`) a vnode may have fewer owners
 * (a new replica slot not yet filled) but never zero and never more than `replicationFactor`.
 * `nodes` lists every member (sorted), including members that own nothing yet and leaving
 * members that still own something.
 */
export interface Placement {
  /** Ring epoch: increases by one with every applied change; the CAS'd version of the ring. */
  readonly epoch: number;
  /** Vnode count; fixed for a cluster's life (keys embed the vnode). */
  readonly vnodes: number;
  /** Wanted replicas per vnode; a vnode has fewer only while there are fewer nodes. */
  readonly replicationFactor: number;
  /** Node ids, sorted, distinct. */
  readonly nodes: readonly string[];
  /** `owners[vnode]` = node ids, primary first. */
  readonly owners: readonly (readonly string[])[];
}

/** Serialized form: compact JSON with owners as indexes into `nodes`. */
interface PlacementDoc {
  format: number;
  epoch: number;
  vnodes: number;
  rf: number;
  nodes: string[];
  owners: number[][];
}

/**
 * Serializes a placement as compact JSON (owners as indexes into `nodes`; about 6 bytes per vnode
 * at RF 2, so 1000 vnodes fit Consul's 512 KB value limit many times over).
 * Throws `ValidationError` when the placement is invalid: never store a broken document.
 */
export function encodePlacement(p: Placement): string {
  validatePlacement(p);
  const index = new Map(p.nodes.map((n, i) => [n, i]));
  const doc: PlacementDoc = {
    format: PLACEMENT_FORMAT,
    epoch: p.epoch,
    vnodes: p.vnodes,
    rf: p.replicationFactor,
    nodes: [...p.nodes],
    owners: p.owners.map((os) => os.map((n) => index.get(n)!)),
  };
  return JSON.stringify(doc);
}

/**
 * Parses and validates a document written by `encodePlacement`.
 * Throws `ValidationError` (code `invalid_placement`) naming the first problem; a caller that read
 * the text from storage should wrap it as corruption.
 */
export function decodePlacement(text: string): Placement {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw invalid('placement: not JSON', cause);
  }
  if (!isObject(doc)) throw invalid('placement: not a JSON object');
  if (doc.format !== PLACEMENT_FORMAT) {
    throw invalid(`placement: format ${JSON.stringify(doc.format)} is not ${PLACEMENT_FORMAT}`);
  }
  const nodes = doc.nodes;
  if (!Array.isArray(nodes) || !nodes.every((n) => typeof n === 'string')) {
    throw invalid('placement: nodes must be an array of strings');
  }
  if (!Array.isArray(doc.owners)) throw invalid('placement: owners must be an array');
  const owners = doc.owners.map((os: unknown, v: number) => {
    if (!Array.isArray(os)) throw invalid(`placement: owners[${v}] must be an array`);
    return os.map((i: unknown) => {
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= nodes.length) {
        throw invalid(`placement: owners[${v}] has node index ${JSON.stringify(i)} outside nodes`);
      }
      return nodes[i] as string;
    });
  });
  const p = {
    epoch: doc.epoch as number,
    vnodes: doc.vnodes as number,
    replicationFactor: doc.rf as number,
    nodes: nodes as string[],
    owners,
  };
  validatePlacement(p);
  return p;
}

/**
 * Checks every structural rule of a placement and throws `ValidationError` naming the first
 * broken one: integer epoch ≥ 0, 1 ≤ vnodes ≤ MAX_VNODES, RF ≥ 1, nodes sorted, distinct and
 * non-empty, one owner list per vnode with 1..RF distinct members of `nodes`.
 */
export function validatePlacement(p: Placement): void {
  if (!isNonNegInt(p.epoch)) throw invalid(`placement: epoch ${p.epoch} is not an integer ≥ 0`);
  if (!isNonNegInt(p.vnodes) || p.vnodes < 1 || p.vnodes > MAX_VNODES) {
    throw invalid(`placement: vnodes ${p.vnodes} is not an integer in 1..${MAX_VNODES}`);
  }
  if (!isNonNegInt(p.replicationFactor) || p.replicationFactor < 1) {
    throw invalid(`placement: replicationFactor ${p.replicationFactor} is not an integer ≥ 1`);
  }
  validateNodes(p.nodes);
  if (!Array.isArray(p.owners) || p.owners.length !== p.vnodes) {
    throw invalid(`placement: owners has ${p.owners?.length} entries, expected one per vnode (${p.vnodes})`);
  }
  const members = new Set(p.nodes);
  for (let v = 0; v < p.vnodes; v++) validateOwners(p, v, members);
}

/**
 * True when `p` is settled: every vnode has exactly `min(RF, nodes.length)` owners.
 * Intermediate rebalance steps may not be.
 */
export function isSettled(p: Placement): boolean {
  const want = Math.min(p.replicationFactor, p.nodes.length);
  return p.owners.every((os) => os.length === want);
}

/** True when two placements assign the same owners in the same order to the same members. */
export function samePlacement(a: Placement, b: Placement): boolean {
  if (a.vnodes !== b.vnodes || a.replicationFactor !== b.replicationFactor) return false;
  if (a.nodes.length !== b.nodes.length || a.nodes.some((n, i) => n !== b.nodes[i])) return false;
  return a.owners.every((os, v) => {
    const other = b.owners[v]!;
    return os.length === other.length && os.every((n, i) => n === other[i]);
  });
}

function validateNodes(nodes: readonly string[]): void {
  if (!Array.isArray(nodes) || nodes.length === 0) throw invalid('placement: nodes must be a non-empty array');
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (typeof n !== 'string' || n.length === 0) throw invalid(`placement: nodes[${i}] is not a non-empty string`);
    // Sorted order makes the document canonical: equal placements serialize to equal bytes.
    if (i > 0 && !(nodes[i - 1]! < n)) throw invalid(`placement: nodes must be sorted and distinct (at "${n}")`);
  }
}

function validateOwners(p: Placement, v: number, members: Set<string>): void {
  const os = p.owners[v];
  if (!Array.isArray(os) || os.length < 1 || os.length > p.replicationFactor) {
    throw invalid(`placement: vnode ${v} has ${os?.length ?? 0} owners, expected 1..${p.replicationFactor}`);
  }
  for (let i = 0; i < os.length; i++) {
    if (!members.has(os[i]!)) throw invalid(`placement: vnode ${v} owner "${os[i]}" is not in nodes`);
    if (os.indexOf(os[i]!) !== i) throw invalid(`placement: vnode ${v} lists "${os[i]}" twice`);
  }
}

function isNonNegInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function invalid(message: string, cause?: unknown): ValidationError {
  return new ValidationError(message, 'invalid_placement', cause === undefined ? undefined : { cause });
}
