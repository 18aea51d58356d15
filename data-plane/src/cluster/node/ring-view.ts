/**
 * RingView: the routing answers one applied ring document gives (who owns a vnode, who else gets
 * its writes, where a node is). Immutable: applying a new document builds a new view and swaps
 * it in with one assignment, so a request never sees half of two epochs.
 */
import { Ring } from '../ring.ts';
import type { RingDoc, RingMember } from './ring-doc.ts';

/** Routing view of one ring document, from the point of view of node `self`. */
export class RingView {
  readonly ring: Ring;
  private readonly addresses: Map<string, string>;
  /** vnode → pending `to` nodes that are not already owners (dual-write targets) */
  private readonly extra = new Map<number, string[]>();

  constructor(
    readonly doc: RingDoc,
    readonly self: string,
  ) {
    this.ring = new Ring(doc.placement);
    this.addresses = new Map(doc.members.map((m) => [m.id, m.address]));
    for (const m of doc.pending) {
      if (this.ring.ownersOfVnode(m.vnode).includes(m.to)) continue;
      const list = this.extra.get(m.vnode) ?? [];
      if (!list.includes(m.to)) list.push(m.to);
      this.extra.set(m.vnode, list);
    }
  }

  /** Ring epoch. */
  get epoch(): number {
    return this.ring.epoch;
  }

  /** Vnode count of the ring. */
  get vnodes(): number {
    return this.ring.vnodes;
  }

  /** Owners of a vnode, primary first (the replicas that count for acknowledgement and serve reads). */
  owners(vnode: number): readonly string[] {
    return this.ring.ownersOfVnode(vnode);
  }

  /** Pending receivers of a vnode that are not owners yet (they get writes, never reads). */
  pendingTargets(vnode: number): readonly string[] {
    return this.extra.get(vnode) ?? NONE;
  }

  /** Data-port address of a node; throws Error('BUG') for a node the document does not list
   *  (parseRingDoc guarantees every owner and pending target has one). */
  addressOf(node: string): string {
    const a = this.addresses.get(node);
    if (a === undefined) throw new Error(`BUG: ring epoch ${this.epoch} has no address for node "${node}"`);
    return a;
  }

  /** Every member except this node. */
  peers(): RingMember[] {
    return this.doc.members.filter((m) => m.id !== this.self);
  }

  /** True when this node owns `vnode` or is receiving it (its rows belong here). */
  holds(vnode: number): boolean {
    return this.owners(vnode).includes(this.self) || this.pendingTargets(vnode).includes(this.self);
  }

  /** Vnodes this node owns (any replica index). */
  vnodesOwned(): number {
    return this.ring.vnodesOwnedBy(this.self).length;
  }
}

const NONE: readonly string[] = Object.freeze([]);
