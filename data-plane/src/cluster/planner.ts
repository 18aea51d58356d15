/**
 * Placement planner: pure, deterministic functions from (current placement, wanted members) to
 * the target placement, and from (current, target) to the next bounded batch of vnode moves.
 *
 * The coordinator or the Kubernetes operator applies one `nextStep` at a time: each move's new
 * owner gets dual writes, streams the vnode from a current owner and verifies it, then the step's
 * placement is CAS'd in as the next epoch (DESIGN.md §8). See docs/adr/0003-vnode-placement.md.
 */
import { ValidationError } from '../errors.ts';
import { balancePrimaries } from './balance-primaries.ts';
import { balanceReplicas } from './balance-replicas.ts';
import { MAX_VNODES, type Placement, samePlacement, validatePlacement } from './placement.ts';

/** Ring shape a plan is made for. */
export interface PlanOptions {
  /** Vnode count; must equal the current placement's (it is fixed for a cluster's life). */
  vnodes: number;
  /** Wanted replicas per vnode; vnodes get min(replicationFactor, nodes) owners. */
  replicationFactor: number;
}

/** One replica to copy: `to` becomes owner number `replicaIndex` of `vnode` in the target. */
export interface VnodeMove {
  vnode: number;
  /** The owner `to` replaces (it keeps serving until the flip); null = a new replica slot. */
  from: string | null;
  to: string;
  /** Index of `to` in the target's owner list (0 = primary). */
  replicaIndex: number;
}

/** A placement to apply next and the data moves it needs first. */
export interface PlacementStep {
  placement: Placement;
  moves: VnodeMove[];
}

/**
 * Computes the settled placement for `targetNodes`, starting from `current` (null for a new
 * cluster) and moving as few replicas as possible:
 * - each vnode gets min(RF, nodes) distinct owners;
 * - every node holds ⌊V·R/N⌋ or ⌈V·R/N⌉ replicas and is primary for ⌊V/N⌋ or ⌈V/N⌉ vnodes;
 * - only departed slots, new slots and over-quota surplus move, so adding or removing one node of
 *   a balanced ring moves about V·R/N replicas, all to the new node or from the leaving one;
 * - the result depends on the set of `targetNodes`, not their order or duplicates.
 * Returns `current` itself when nothing would change; otherwise epoch = current epoch + 1 (1 for
 * a new cluster). Throws `ValidationError` for invalid options, an empty node list, or a
 * `current` with another vnode count.
 */
export function planPlacement(
  current: Placement | null,
  targetNodes: readonly string[],
  opts: PlanOptions,
): Placement {
  checkOptions(opts);
  const nodes = canonicalNodes(targetNodes);
  if (current) {
    validatePlacement(current);
    if (current.vnodes !== opts.vnodes) {
      throw new ValidationError(`plan: vnodes ${opts.vnodes} differs from the current ${current.vnodes}; keys embed the vnode, so the count is fixed`);
    }
  }
  const members = new Set(nodes);
  const slots = current
    ? current.owners.map((os) => os.map((n) => (members.has(n) ? n : null)))
    : Array.from({ length: opts.vnodes }, () => [] as (string | null)[]);
  const replicas = Math.min(opts.replicationFactor, nodes.length);
  const owners = balancePrimaries(nodes, balanceReplicas({ nodes, replicas, slots }));
  const next: Placement = {
    epoch: (current?.epoch ?? 0) + 1,
    vnodes: opts.vnodes,
    replicationFactor: opts.replicationFactor,
    nodes,
    owners,
  };
  return current && samePlacement(current, next) ? current : next;
}

/**
 * The next step from `current` towards `target`: up to `maxMoves` moves (in vnode order, then
 * replica index) and the placement to apply once their data is copied and verified.
 *
 * In that placement a vnode whose moves are all in this batch gets exactly its target owners;
 * other vnodes keep their current owners with this batch's moves applied in place. Replicas the
 * target no longer wants and that nothing replaces (RF lowered, or fewer nodes than RF) are
 * dropped in the first step, as they need no copy. Returns `{ placement: current, moves: [] }`
 * when `current` already equals `target`; otherwise the step's epoch is current epoch + 1, and
 * repeated steps end at a placement equal to `target` (up to epoch).
 * Throws `ValidationError` on invalid placements, different vnode counts or maxMoves < 1.
 */
export function nextStep(current: Placement, target: Placement, maxMoves: number): PlacementStep {
  validatePlacement(current);
  validatePlacement(target);
  if (current.vnodes !== target.vnodes) throw new ValidationError(`plan: vnode counts differ (${current.vnodes} vs ${target.vnodes})`);
  if (!Number.isSafeInteger(maxMoves) || maxMoves < 1) throw new ValidationError(`plan: maxMoves ${maxMoves} is not an integer ≥ 1`);
  const diffs = current.owners.map((os, v) => diffOwners(v, os, target.owners[v]!));
  const all = diffs.flatMap((d) => d.moves);
  if (all.length === 0 && samePlacement(current, target)) {
    return { placement: current, moves: [] };
  }
  const moves = all.slice(0, maxMoves);
  const chosen = new Set(moves);
  const owners = diffs.map((d, v) => stepOwners(d, chosen, target.owners[v]!));
  const inUse = new Set(target.nodes);
  for (const os of owners) for (const n of os) inUse.add(n);
  const placement: Placement = {
    epoch: current.epoch + 1,
    vnodes: target.vnodes,
    replicationFactor: target.replicationFactor,
    nodes: [...inUse].sort(),
    owners,
  };
  validatePlacement(placement);
  return { placement, moves };
}

interface OwnerDiff {
  /** Current owners minus those dropped without replacement. */
  kept: string[];
  moves: VnodeMove[];
}

/** Pairs removed owners with added ones (in list order); unpaired removals are drops. */
function diffOwners(vnode: number, cur: readonly string[], tgt: readonly string[]): OwnerDiff {
  const removed = cur.filter((n) => !tgt.includes(n));
  const moves: VnodeMove[] = [];
  tgt.forEach((n, replicaIndex) => {
    if (cur.includes(n)) return;
    moves.push({ vnode, from: removed[moves.length] ?? null, to: n, replicaIndex });
  });
  const dropped = new Set(removed.slice(moves.length));
  return { kept: cur.filter((n) => !dropped.has(n)), moves };
}

function stepOwners(d: OwnerDiff, chosen: Set<VnodeMove>, target: readonly string[]): string[] {
  if (d.moves.every((m) => chosen.has(m))) return [...target];
  const out = [...d.kept];
  for (const m of d.moves) {
    if (!chosen.has(m)) continue;
    if (m.from === null) out.push(m.to);
    else out[out.indexOf(m.from)] = m.to;
  }
  return out;
}

function checkOptions(opts: PlanOptions): void {
  if (!Number.isSafeInteger(opts.vnodes) || opts.vnodes < 1 || opts.vnodes > MAX_VNODES) {
    throw new ValidationError(`plan: vnodes ${opts.vnodes} is not an integer in 1..${MAX_VNODES}`);
  }
  if (!Number.isSafeInteger(opts.replicationFactor) || opts.replicationFactor < 1) {
    throw new ValidationError(`plan: replicationFactor ${opts.replicationFactor} is not an integer ≥ 1`);
  }
}

/** Sorted, de-duplicated node ids; throws when empty or when an id is empty. */
function canonicalNodes(nodes: readonly string[]): string[] {
  if (nodes.some((n) => typeof n !== 'string' || n.length === 0)) throw new ValidationError('plan: node ids must be non-empty strings');
  const out = [...new Set(nodes)].sort();
  if (out.length === 0) throw new ValidationError('plan: at least one node is needed');
  return out;
}
