/**
 * Computes the cluster's status from what the reconcile observed and did. Pure; the reconciler
 * applies it through the status subresource (server-side apply) only when it changed.
 */
import type { ClusterStatus, Phase } from './api-types.ts';
import { setConditions, type ConditionInput } from './conditions.ts';
import type { Observed } from './observed.ts';
import type { PlacementOutcome } from './phases/placement.ts';
import type { ScaleDecision } from './phases/scale-decision.ts';
import { selectorString } from './specs/common.ts';

/** Inputs of {@link computeStatus}. */
export interface StatusInputs {
  observed: Observed;
  decision: ScaleDecision | null;
  placement: PlacementOutcome | null;
  paused: boolean;
  now: string;
}

/** The new status. */
export function computeStatus(i: StatusInputs): ClusterStatus {
  const c = i.observed.cluster;
  const prev = c.status ?? {};
  const generation = c.metadata.generation ?? 0;
  const pods = [...i.observed.pods.values()];
  const state = i.placement?.state ?? i.observed.store;
  const placement = state.doc?.placement ?? null;
  const readyNames = new Set(pods.filter((p) => p.ready).map((p) => p.name));
  const members = placement?.nodes ?? [];
  const dataBearing = members.filter((n) => readyNames.has(n)).length;
  const downMembers = members.filter((n) => !readyNames.has(n));
  const wanted = i.decision?.wanted ?? members;
  const allWantedReady = wanted.length > 0 && wanted.every((n) => readyNames.has(n));
  const intent = state.intent;
  const rebalancing = i.placement?.rebalancing ?? (intent ? { reason: 'Handoff', message: 'rebalance in progress' } : null);
  const settled = Boolean(placement) && !intent && !state.doc?.pending.length && sameSet(members, wanted) && c.spec.replicas === wanted.length;

  const conds: ConditionInput[] = [
    settled && allWantedReady
      ? { type: 'Ready', status: 'True', reason: 'AllNodesReady', message: `${dataBearing} nodes Ready and serving placement epoch ${placement!.epoch}` }
      : { type: 'Ready', status: 'False', reason: notReadyReason(placement !== null, allWantedReady, i.decision), message: notReadyMessage(wanted, readyNames, placement !== null) },
    rebalancing
      ? { type: 'Rebalancing', status: 'True', reason: rebalancing.reason, message: rebalancing.message }
      : { type: 'Rebalancing', status: 'False', reason: 'Settled', message: placement ? `placement epoch ${placement.epoch} matches the wanted nodes` : 'no placement yet' },
    downMembers.length > 0
      ? { type: 'Degraded', status: 'True', reason: 'MembersNotReady', message: `placement members not Ready: ${downMembers.join(', ')} (their vnodes are served by the other replicas)` }
      : i.placement?.unreachable.length
        ? { type: 'Degraded', status: 'True', reason: 'RingPushFailed', message: `nodes not on the stored ring: ${i.placement.unreachable.join('; ')}` }
        : { type: 'Degraded', status: 'False', reason: 'AllMembersReady', message: 'every placement member is Ready' },
    i.decision?.blocked
      ? { type: 'ScaleDownBlocked', status: 'True', reason: 'PrecheckFailed', message: i.decision.blocked }
      : { type: 'ScaleDownBlocked', status: 'False', reason: 'NotBlocked', message: 'no scale-down is being refused' },
  ];
  // Settled: keep showing the last rebalance as complete (moved = total) until the next one.
  const progress = i.placement?.progress;
  const total = intent ? (progress?.total ?? intent.vnodesTotal) : (prev.rebalance?.vnodesTotal ?? 0);
  const moved = intent ? (progress?.moved ?? 0) : total;
  return {
    observedGeneration: generation,
    replicas: dataBearing,
    readyReplicas: readyNames.size,
    selector: selectorString(c.metadata.name),
    phase: phaseOf({ paused: i.paused, placement: placement !== null, rebalancing: rebalancing !== null, degraded: downMembers.length > 0 || Boolean(i.placement?.unreachable.length), settled, allWantedReady, scaling: (i.decision?.stsReplicas ?? 0) !== pods.length }),
    ringEpoch: placement?.epoch ?? 0,
    rebalance: { vnodesMoved: moved, vnodesTotal: total, progress: `${moved}/${total}`, ...(intent ? { targetReplicas: intent.targetNodes.length } : {}) },
    conditions: setConditions(prev.conditions ?? [], conds, generation, i.now),
  };
}

function phaseOf(f: { paused: boolean; placement: boolean; rebalancing: boolean; degraded: boolean; settled: boolean; allWantedReady: boolean; scaling: boolean }): Phase {
  if (f.paused) return 'Paused';
  if (!f.placement) return 'Creating';
  if (f.rebalancing) return 'Rebalancing';
  if (f.degraded) return 'Degraded';
  if (!f.settled || !f.allWantedReady || f.scaling) return 'Scaling';
  return 'Running';
}

function notReadyReason(hasPlacement: boolean, allReady: boolean, d: ScaleDecision | null): string {
  if (!allReady) return 'PodsNotReady';
  if (!hasPlacement) return 'NoPlacement';
  return d?.draining ? 'Draining' : 'Rebalancing';
}

function notReadyMessage(wanted: readonly string[], ready: Set<string>, hasPlacement: boolean): string {
  const missing = wanted.filter((n) => !ready.has(n));
  if (missing.length) return `waiting for pods to be Ready: ${missing.join(', ')}`;
  return hasPlacement ? 'placement does not yet match the wanted nodes' : 'placement not created yet';
}

/** True when two statuses differ (key order ignored: the API server answers with sorted keys). */
export function statusChanged(a: ClusterStatus | undefined, b: ClusterStatus): boolean {
  return canonical(a ?? {}) !== canonical(b);
}

function canonical(x: unknown): string {
  return JSON.stringify(x, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
