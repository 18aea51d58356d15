/**
 * The placement phase: creates the first ring, keeps every node on the stored ring, and steers the
 * data plane's RebalanceDriver when the wanted members differ from the ring's (DESIGN.md §8).
 *
 * - First ring: only when every wanted pod is Ready; an empty cluster moves no data, so the
 *   planned placement is stored (create = CAS on "absent") and pushed to every node.
 * - Settled: nodes that do not route by the stored epoch get it (PUT /admin/ring); a member whose
 *   address changed (pod restarted with a new IP) gets a new epoch with the new address.
 * - Rebalance: only when every involved pod is Ready; the intent (target, planned moves) is
 *   persisted first, then a background driver run moves one bounded step at a time through the
 *   same store (`pending` = the persisted step). A 409 from the store propagates: the queue
 *   re-runs the reconcile on fresh reads.
 */
import { planPlacement } from '../../../data-plane/src/cluster/planner.ts';
import type { Placement } from '../../../data-plane/src/cluster/placement.ts';
import type { RingDoc, RingMember } from '../../../data-plane/src/cluster/node/ring-doc.ts';
import type { DataPlaneAdmin } from '../data-plane-admin.ts';
import type { EventInput } from '../event-recorder.ts';
import type { KubeApi } from '../kube/kube-api.ts';
import type { Observed } from '../observed.ts';
import type { RebalanceRunners } from '../rebalance-runner.ts';
import { ConfigMapRingStore, type StoreState } from '../ring-store.ts';
import type { ScaleDecision } from './scale-decision.ts';

/** Inputs of {@link reconcilePlacement}. */
export interface PlacementContext {
  api: KubeApi;
  admin: DataPlaneAdmin;
  runners: RebalanceRunners;
  observed: Observed;
  decision: ScaleDecision;
  event: (e: EventInput) => void;
  /** host:port other nodes and the operator reach pod `name` at. */
  address: (name: string, ip: string) => string;
  /** Old owners keep moved vnodes this long after a flip (in-flight reads finish), ms. */
  graceMs?: number;
  pollMs?: number;
}

/** What the phase did, for status and requeue. */
export interface PlacementOutcome {
  state: StoreState;
  /** Null when settled; otherwise why the cluster is (or waits to be) rebalancing. */
  rebalancing: { reason: string; message: string } | null;
  /** Replica moves done / planned in the current rebalance (0/0 when none). */
  progress: { moved: number; total: number };
  /** Nodes the stored ring could not be pushed to (with the error), for Degraded. */
  unreachable: string[];
  requeueMs?: number;
}

/** Runs the phase once. */
export async function reconcilePlacement(ctx: PlacementContext): Promise<PlacementOutcome> {
  const { observed: o, decision } = ctx;
  const key = `${o.cluster.metadata.namespace}/${o.cluster.metadata.name}`;
  const store = new ConfigMapRingStore(ctx.api, o.cluster);
  const opts = { vnodes: o.cluster.spec.vnodes, replicationFactor: o.cluster.spec.replicationFactor };
  const wanted = decision.wanted;
  let state = o.store;
  const none = { moved: 0, total: 0 };

  if (!state.doc) {
    if (wanted.some((n) => !o.pods.get(n)?.ready)) return { state, rebalancing: null, progress: none, unreachable: [], requeueMs: 2000 };
    const doc: RingDoc = { placement: planPlacement(null, wanted, opts), pending: [], members: members(ctx, wanted) };
    state = await store.writeState(null, { doc, intent: null });
    ctx.event({ type: 'Normal', reason: 'PlacementCreated', message: `ring epoch ${doc.placement.epoch}: ${opts.vnodes} vnodes × RF ${opts.replicationFactor} over ${wanted.length} nodes (${wanted.join(', ')})` });
  }
  const run = ctx.runners.get(key);
  const runActive = run?.running ?? false;
  const doc = state.doc!;
  const settled = sameSet(doc.placement.nodes, wanted) && doc.pending.length === 0;

  if (settled && !runActive) {
    if (state.intent) state = await store.writeState(state.version, { doc, intent: null });
    const moved = movedMembers(ctx, doc);
    if (moved.length > 0) {
      // A pod came back with a new address: nodes apply only higher epochs, so bump it.
      const next: RingDoc = { ...doc, placement: { ...doc.placement, epoch: doc.placement.epoch + 1 }, members: doc.members.map((m) => moved.find((x) => x.id === m.id) ?? m) };
      state = await store.writeState(state.version, { doc: next, intent: null });
      ctx.event({ type: 'Normal', reason: 'MembersMoved', message: `ring epoch ${next.placement.epoch}: new addresses for ${moved.map((m) => `${m.id}=${m.address}`).join(', ')}` });
    }
    const unreachable = await publish(ctx, state.doc!);
    return { state, rebalancing: null, progress: none, unreachable };
  }

  const involved = [...new Set([...doc.placement.nodes, ...wanted])].sort();
  const notReady = involved.filter((n) => !o.pods.get(n)?.ready);
  // A run already heading for these members goes on (a pod failing mid-handoff is the driver's
  // to retry); a new target waits for Ready pods (in pod-ip mode it needs their addresses too).
  if (notReady.length > 0 && !(runActive && sameSet(run!.target, wanted))) {
    return { state, rebalancing: { reason: 'WaitingForReadyPods', message: `a rebalance starts only when every involved pod is Ready; not Ready: ${notReady.join(', ')}` }, progress: progressOf(state, wanted, opts), unreachable: [], requeueMs: 2000 };
  }

  if (!state.intent || !sameSet(state.intent.targetNodes, wanted)) {
    const target = planPlacement(doc.placement, wanted, opts);
    const intent = { targetNodes: wanted, fromEpoch: doc.placement.epoch, vnodesTotal: countMoves(doc.placement, target), startedAt: new Date().toISOString() };
    const replanned = state.intent !== null;
    state = await store.writeState(state.version, { doc, intent });
    ctx.event({
      type: 'Normal',
      reason: replanned ? 'RebalanceReplanned' : 'RebalancePlanned',
      message: `${replanned ? 'wanted nodes changed mid-rebalance; ' : ''}moving ${intent.vnodesTotal} vnode replicas from epoch ${doc.placement.epoch}: [${doc.placement.nodes.join(', ')}] → [${wanted.join(', ')}], at most ${o.cluster.spec.rebalance.maxVnodesPerStep} per step`,
    });
  }
  // The driver pushes rings to members; pods outside the ring still need one to coordinate.
  if (!runActive) await publish(ctx, doc);
  const started = ctx.runners.ensure(key, members(ctx, wanted), store, {
    ...opts,
    maxMovesPerStep: o.cluster.spec.rebalance.maxVnodesPerStep,
    graceMs: ctx.graceMs ?? 5000,
    pollMs: ctx.pollMs ?? 500,
  });
  const info = ctx.runners.get(key)!;
  if (run?.error && started) ctx.event({ type: 'Warning', reason: 'RebalanceRetry', message: `the last rebalance run failed (${run.error}); started another, which resumes the stored step` });
  const progress = progressOf(state, wanted, opts);
  return {
    state,
    rebalancing: info.error && !info.running
      ? { reason: 'HandoffRetrying', message: `the last rebalance run failed (${info.error}); retrying with backoff; ${progress.moved}/${progress.total} replica moves done` }
      : { reason: 'Handoff', message: `moving vnodes to [${info.target.join(', ')}]: ${progress.moved}/${progress.total} replica moves done, ring epoch ${doc.placement.epoch}${doc.pending.length ? `, ${doc.pending.length} in the current step` : ''}` },
    progress,
    unreachable: [],
    requeueMs: 1000,
  };
}

/**
 * Pushes the stored ring to every running pod that routes by an older epoch, members or not: a pod
 * that is not in the ring yet (scale-up, before its handoff) still coordinates requests, and must
 * not answer "no ring" once traffic reaches it. Failures count only for Ready members (a starting
 * pod may not listen yet; the next reconcile tries again). Returns those failures.
 */
async function publish(ctx: PlacementContext, doc: RingDoc): Promise<string[]> {
  const failed: string[] = [];
  const memberIds = new Set(doc.members.map((m) => m.id));
  const targets = [...doc.members];
  for (const pod of ctx.observed.pods.values()) {
    if (!memberIds.has(pod.name) && pod.ip && !pod.terminating) targets.push({ id: pod.name, address: ctx.address(pod.name, pod.ip) });
  }
  for (const m of targets) {
    const pod = ctx.observed.pods.get(m.id);
    if (!pod?.ip || pod.terminating) continue;
    // A member that is not Ready is down or hung: calling it would only stall this reconcile
    // until the call times out. It gets the ring when it is Ready again (its pod event wakes us).
    if (!pod.ready && memberIds.has(m.id)) continue;
    try {
      if ((await ctx.admin.ringEpoch(m)) >= doc.placement.epoch) continue;
      await ctx.admin.applyRing(m, doc);
    } catch (err) {
      if (pod.ready && memberIds.has(m.id)) failed.push(`${m.id}: ${(err as Error).message}`);
    }
  }
  if (failed.length) ctx.event({ type: 'Warning', reason: 'RingPushFailed', message: `cannot push ring epoch ${doc.placement.epoch}: ${failed.join('; ')}` });
  return failed;
}

function members(ctx: PlacementContext, ids: readonly string[]): RingMember[] {
  return [...ids].sort().map((id) => ({ id, address: ctx.address(id, ctx.observed.pods.get(id)?.ip ?? '') }));
}

/** Members whose pod is Ready at another address than the ring says. */
function movedMembers(ctx: PlacementContext, doc: RingDoc): RingMember[] {
  const out: RingMember[] = [];
  for (const m of doc.members) {
    const pod = ctx.observed.pods.get(m.id);
    if (!pod?.ready) continue;
    const address = ctx.address(m.id, pod.ip);
    if (address !== m.address) out.push({ id: m.id, address });
  }
  return out;
}

/** Moves done = planned − still to do (level-triggered: right after a restart too). */
function progressOf(state: StoreState, wanted: readonly string[], opts: { vnodes: number; replicationFactor: number }): { moved: number; total: number } {
  if (!state.doc || !state.intent) return { moved: 0, total: 0 };
  const remaining = countMoves(state.doc.placement, planPlacement(state.doc.placement, wanted, opts));
  const total = state.intent.vnodesTotal;
  return { moved: Math.max(0, total - remaining), total };
}

/** Replicas to copy from `a` to `b`: target owners that are not owners yet. */
export function countMoves(a: Placement, b: Placement): number {
  let n = 0;
  for (let v = 0; v < b.vnodes; v++) for (const owner of b.owners[v]!) if (!a.owners[v]!.includes(owner)) n++;
  return n;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
