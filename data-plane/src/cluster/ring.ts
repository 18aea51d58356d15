/**
 * Ring: routing answers (symbol → vnode → owners) from one placement.
 *
 * Immutable after construction: a new epoch means a new Ring, swapped in by whoever holds the
 * current one, so readers never see a half-applied placement. Symbol → vnode uses the engine's
 * own `vnodeOf`, so the ring routes a symbol to the nodes whose key range holds it.
 */
import { vnodeOf } from '../storage/vnode-of.ts';
import { type Placement, validatePlacement } from './placement.ts';

/** Routing view of a placement; all methods are O(1) or O(result) and never allocate per call. */
export class Ring {
  /** The placement this ring answers for (validated). */
  readonly placement: Placement;
  private readonly byNode: Map<string, readonly number[]>;
  private readonly primaryByNode: Map<string, readonly number[]>;

  /** Builds the ring; throws `ValidationError` when the placement is invalid. */
  constructor(placement: Placement) {
    validatePlacement(placement);
    this.placement = placement;
    const all = new Map<string, number[]>(placement.nodes.map((n) => [n, []]));
    const primary = new Map<string, number[]>(placement.nodes.map((n) => [n, []]));
    placement.owners.forEach((os, v) => {
      for (const n of os) all.get(n)!.push(v);
      primary.get(os[0]!)!.push(v);
    });
    this.byNode = all;
    this.primaryByNode = primary;
  }

  /** Ring epoch of the placement. */
  get epoch(): number {
    return this.placement.epoch;
  }

  /** Vnode count. */
  get vnodes(): number {
    return this.placement.vnodes;
  }

  /** The vnode that holds `symbol` (the same function as the engine's key layout). */
  vnodeOf(symbol: string): number {
    return vnodeOf(symbol, this.placement.vnodes);
  }

  /** Owners of `symbol`'s vnode, primary first. */
  ownersOf(symbol: string): readonly string[] {
    return this.placement.owners[this.vnodeOf(symbol)]!;
  }

  /** Owners of a vnode, primary first; throws RangeError for a vnode outside the ring. */
  ownersOfVnode(vnode: number): readonly string[] {
    const os = this.placement.owners[vnode];
    if (!os) throw new RangeError(`vnode ${vnode} outside 0..${this.placement.vnodes - 1}`);
    return os;
  }

  /** Vnodes that `node` holds a replica of (any index), ascending; empty for a non-member. */
  vnodesOwnedBy(node: string): readonly number[] {
    return this.byNode.get(node) ?? [];
  }

  /** Vnodes whose primary is `node`, ascending; empty for a non-member. */
  primaryVnodesOf(node: string): readonly number[] {
    return this.primaryByNode.get(node) ?? [];
  }

  /** True when `node` holds a replica of `symbol`'s vnode. */
  owns(node: string, symbol: string): boolean {
    return this.ownersOf(symbol).includes(node);
  }
}
