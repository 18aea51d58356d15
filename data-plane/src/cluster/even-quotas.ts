/**
 * Even split of `total` units (replicas or primaries) over nodes: each gets ⌊total/n⌋ or
 * ⌈total/n⌉. Pure.
 *
 * The remainder's extra units go to the nodes that hold the most now, so a balanced cluster
 * that gains or loses one node keeps every staying node's surplus where it is: no replica moves
 * between two staying nodes just because the rounding changed hands. Ties go by node id, which
 * keeps the result independent of input order.
 */
export function evenQuotas(
  nodes: readonly string[],
  total: number,
  held: ReadonlyMap<string, number>,
): Map<string, number> {
  const base = Math.floor(total / nodes.length);
  const extra = total - base * nodes.length;
  const byHeld = [...nodes].sort((a, b) => (held.get(b) ?? 0) - (held.get(a) ?? 0) || cmp(a, b));
  const quotas = new Map<string, number>();
  byHeld.forEach((n, i) => quotas.set(n, base + (i < extra ? 1 : 0)));
  return quotas;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
