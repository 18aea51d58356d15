/**
 * Decides how many pods the StatefulSet runs this reconcile and whether a scale-down may start.
 * Pure: (observed facts) → decision, so every refusal is unit-tested.
 *
 * - Scale up: grow at once; new pods own nothing until the rebalance gives them vnodes.
 * - Scale down: precheck first (replicas ≥ RF, every pod Ready, no unreadable store); a refusal
 *   changes nothing (the current members stay wanted, the StatefulSet keeps its size) and is
 *   reported as ScaleDownBlocked. Otherwise the leaving pods keep running until the applied
 *   placement no longer names them; only then does the StatefulSet shrink.
 * Free-space and "owns zero vnodes" proofs need the data plane's admin API; they are checked in
 * the rebalance phase (data-plane-admin.ts) before the final shrink.
 */
import type { Observed } from '../observed.ts';
import { memberNames } from '../observed.ts';

/** What the reconcile does about the pod count. */
export interface ScaleDecision {
  /** StatefulSet replicas to apply. */
  stsReplicas: number;
  /** Members the placement should converge to (sorted pod names). */
  wanted: string[];
  /** Set when a requested scale-down is refused; nothing changes. */
  blocked: string | null;
  /** True while leaving pods are drained (placement still names them). */
  draining: boolean;
}

/** The decision for this reconcile. */
export function decideScale(o: Observed): ScaleDecision {
  const { spec, metadata } = o.cluster;
  const name = metadata.name;
  const desired = spec.replicas;
  const current = o.stsReplicas ?? desired;
  const placement = o.store.doc?.placement ?? null;
  if (desired >= current || !placement) {
    // Growing, unchanged, or nothing stored yet (no data anywhere): the StatefulSet follows spec.
    return { stsReplicas: desired, wanted: memberNames(name, desired), blocked: null, draining: false };
  }
  const wanted = memberNames(name, desired);
  const alreadyCommitted = o.store.intent !== null && sameSet(o.store.intent.targetNodes, wanted);
  const leaving = placement.nodes.filter((n) => !wanted.includes(n));
  if (!alreadyCommitted && leaving.length > 0) {
    const blocked = precheck(o, desired);
    if (blocked) return { stsReplicas: current, wanted: [...placement.nodes], blocked, draining: false };
  }
  // Drain first: shrink only once the applied placement no longer names a leaving pod.
  return leaving.length > 0 ? { stsReplicas: current, wanted, blocked: null, draining: true } : { stsReplicas: desired, wanted, blocked: null, draining: false };
}

/** Why a scale-down to `desired` is unsafe now, or null. */
export function precheck(o: Observed, desired: number): string | null {
  const rf = o.cluster.spec.replicationFactor;
  if (desired < rf) return `replicas ${desired} is below replicationFactor ${rf}: some vnodes would have fewer than ${rf} owners`;
  const notReady = [...o.pods.values()].filter((p) => !p.ready).map((p) => p.name).sort();
  const missing = (o.store.doc?.placement.nodes ?? []).filter((n) => !o.pods.has(n));
  const unhealthy = [...notReady, ...missing];
  if (unhealthy.length > 0) return `pods not Ready: ${unhealthy.join(', ')}; moving their vnodes now could leave a vnode with no live copy`;
  return null;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
