/**
 * MembershipSource: where the cluster layer learns who the members are and where the placement
 * document lives, whatever the backend (DESIGN.md §8).
 *
 * Implementations: `ConsulMembership` (bare metal: service registration with a health check,
 * catalog watch, placement in Consul KV with check-and-set) and `MemoryMembership` (unit tests;
 * also the shape a Kubernetes-driven source takes, where the operator pushes members and
 * placements through the admin API instead). The contract suite
 * `membership-source.case.ts` runs against each.
 */
import type { Placement } from './placement.ts';

/** A node as the membership backend sees it. */
export interface Member {
  /** Node id (unique in the cluster; the Consul service id). */
  id: string;
  /** Host other nodes use for the data port. */
  address: string;
  /** Data port. */
  port: number;
  /** True while every health check passes. A failing member stays a member (it gets hints,
   *  not a rebalance): leaving is a separate, explicit decision. */
  healthy: boolean;
  /** Backend metadata (e.g. metrics port, version). */
  meta: Record<string, string>;
}

/** This node, as it announces itself. */
export interface SelfRegistration {
  id: string;
  address: string;
  port: number;
  /** URL of this node's `/health` (metrics port), polled by the backend's health check. */
  healthUrl: string;
  meta?: Record<string, string>;
}

/** The stored placement with the opaque version to pass back to `casPlacement`. */
export interface VersionedPlacement {
  placement: Placement;
  /** Backend version of the document (Consul: the key's ModifyIndex). */
  version: number;
}

/**
 * Membership and placement storage of one cluster.
 *
 * Listeners run on the implementation's watch loop, one call at a time, and must not throw
 * (a throw is reported and ignored). Every listener is called once soon after subscribing with
 * the current state, then on each change (equal consecutive states are not repeated).
 */
export interface MembershipSource {
  /** Announces this node (idempotent: re-registering replaces the previous announcement). */
  register(self: SelfRegistration): Promise<void>;
  /** Withdraws this node's announcement (a missing one is fine). */
  deregister(id: string): Promise<void>;
  /** All registered members, healthy or not, sorted by id. */
  members(): Promise<Member[]>;
  /** Subscribes to member-list changes (membership or health); returns the unsubscribe function. */
  onMembersChanged(listener: (members: Member[]) => void): () => void;
  /** The stored placement, or null when none was stored yet. Throws if the document is corrupt. */
  getPlacement(): Promise<VersionedPlacement | null>;
  /**
   * Stores `next` only if the stored document is still at `expectedVersion` (null = only if none
   * is stored): of two concurrent writers with the same expectation, at most one succeeds. The
   * caller derives `next` from the version it read (so `next.epoch` is that epoch + 1). Returns
   * false when the expectation no longer holds.
   */
  casPlacement(next: Placement, expectedVersion: number | null): Promise<boolean>;
  /** Subscribes to placement changes (including this node's own CAS writes). */
  onPlacementChanged(listener: (placement: VersionedPlacement | null) => void): () => void;
  /** Stops watches and waits for them to end; the source is unusable afterwards. */
  close(): Promise<void>;
}
