/**
 * Pseudo-random but fixed preference of a node for a vnode (rendezvous-hashing style score).
 *
 * The planner tries candidates in this order, so which vnodes a node gives away or receives is
 * spread over the ring instead of clumping at low vnode numbers, and which nodes share replicas
 * varies from vnode to vnode (after a node dies its load spreads over many peers). Pure and
 * stable forever only in the sense that the planner is deterministic; placements are stored,
 * never recomputed from this, so it may change between versions.
 */
export function preference(vnode: number, nodeHash: number): number {
  // murmur3 fmix32 over the pair: cheap, and flips about half the bits per input bit.
  let h = (nodeHash ^ Math.imul(vnode + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a of a node id's UTF-16 code units; the `nodeHash` input of `preference`. */
export function nodeHash(node: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < node.length; i++) h = Math.imul(h ^ node.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
