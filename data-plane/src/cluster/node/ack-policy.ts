/**
 * When a write counts as acknowledged (cluster-api.md "Writes"), per vnode, over its owners only:
 * - `one`: 1, `quorum`: ⌊owners/2⌋+1, `all`: every owner;
 * - a durable hint for an unreachable owner counts toward `one`/`quorum` (sloppy quorum, Dynamo
 *   §4.6) but never alone: at least one owner must really have stored the rows, or an
 *   acknowledged write could exist only on the coordinator's disk;
 * - `all` counts real acknowledgements only.
 * Pure functions.
 */

/** Consistency level of writes (`cluster.consistency`). */
export type Consistency = 'one' | 'quorum' | 'all';

/** What became of one node's part of a write. */
export type SendOutcome =
  | { kind: 'acked' }
  /** the node was not reached; the part is stored as a durable hint for it */
  | { kind: 'hinted'; why: string }
  /** the node was not reached and no hint could be stored, or it refused the part */
  | { kind: 'failed'; why: string };

/** Acknowledgements a vnode with `owners` replicas needs at `level`. */
export function requiredAcks(level: Consistency, owners: number): number {
  if (level === 'one') return Math.min(1, owners);
  if (level === 'all') return owners;
  return Math.floor(owners / 2) + 1;
}

/** One vnode of a write: its owners and what became of the part sent to each. */
export interface VnodeSends {
  vnode: number;
  owners: readonly string[];
  outcome: (node: string) => SendOutcome;
}

/** Why a vnode's write is not acknowledged at `level`, or null when it is. */
export function vnodeShortfall(level: Consistency, { vnode, owners, outcome }: VnodeSends): string | null {
  const need = requiredAcks(level, owners.length);
  let acked = 0;
  let hinted = 0;
  const missing: string[] = [];
  for (const n of owners) {
    const o = outcome(n);
    if (o.kind === 'acked') acked++;
    else {
      if (o.kind === 'hinted') hinted++;
      missing.push(o.kind === 'hinted' ? `${n} (${o.why}; hint stored)` : `${n} (${o.why})`);
    }
  }
  const counted = level === 'all' ? acked : acked === 0 ? 0 : acked + hinted;
  if (counted >= need) return null;
  const detail = level === 'all' ? `${acked} of ${need} owners stored it` : acked === 0 ? `no owner stored it (hints alone do not count)` : `${counted} of ${need} needed acknowledgements`;
  return `vnode ${vnode}: ${detail}; unreachable: ${missing.join(', ')}`;
}

/** The message of a write that failed its level, from the shortfalls of its vnodes (first 3 named). */
export function ackFailureMessage(level: Consistency, shortfalls: readonly string[]): string {
  const shown = shortfalls.slice(0, 3).join('; ');
  const more = shortfalls.length > 3 ? `; and ${shortfalls.length - 3} more vnodes` : '';
  return `write not acknowledged at consistency "${level}": ${shown}${more}. Rows may be stored on some replicas; retrying the write is safe (same symbol and timestamp overwrite)`;
}
