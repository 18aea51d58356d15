/**
 * The ring of static membership (`cluster.service_discovery.provider = "static"` with
 * `cluster.members`): planPlacement over the member ids from nothing. The planner is pure and
 * deterministic, so every node computes the same epoch-1 ring from the same member list.
 */
import { planPlacement } from '../planner.ts';
import type { RingDoc, RingMember } from './ring-doc.ts';

/** The initial ring of `members` (null when the list is empty: the ring will be pushed). */
export function staticRing(members: readonly RingMember[], opts: { vnodes: number; replicationFactor: number }): RingDoc | null {
  if (members.length === 0) return null;
  const placement = planPlacement(null, members.map((m) => m.id), opts);
  return { placement, pending: [], members: members.map((m) => ({ id: m.id, address: m.address })) };
}
