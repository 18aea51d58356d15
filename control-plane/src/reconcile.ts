/**
 * The reconcile loop for one StockTsdbCluster: level-triggered and idempotent (STYLE.md
 * Operator; kubebuilder good practices; CloudNativePG cluster_controller.go). Each run reads
 * everything fresh, computes the desired state with pure functions, applies it, and writes
 * status; it never looks at which event woke it. A 409 (someone changed an object first) goes
 * back to the queue as "run again now".
 *
 * Order: deletion → finalizer → observe → paused? (status only) → scale decision (prechecks)
 * → objects (ConfigMap, Services, StatefulSet, PDB) → placement (first placement, publish,
 * one rebalance step) → status. Every decision that changes something is explained by an Event.
 */
import { API_VERSION, DATA_PORT, KIND, PLURAL, type StockTsdbCluster } from './api-types.ts';
import type { DataPlaneAdmin } from './data-plane-admin.ts';
import type { RebalanceRunners } from './rebalance-runner.ts';
import { names } from './specs/common.ts';
import type { EventInput, EventRecorder } from './event-recorder.ts';
import type { KubeApi } from './kube/kube-api.ts';
import { observe, type Observed } from './observed.ts';
import { applyChildren } from './phases/apply-children.ts';
import { ensureFinalizer, finalize } from './phases/finalize.ts';
import { reconcilePlacement, type PlacementOutcome } from './phases/placement.ts';
import { decideScale, type ScaleDecision } from './phases/scale-decision.ts';
import type { HandlerResult } from './queue.ts';
import { computeStatus, statusChanged } from './status.ts';

/** Dependencies of {@link Reconciler}. */
export interface ReconcilerDeps {
  api: KubeApi;
  admin: DataPlaneAdmin;
  events: EventRecorder;
  log?: (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;
  runners: RebalanceRunners;
  clusterDomain?: string;
  /**
   * How nodes are addressed in the ring: 'dns' (default) = the headless Service's stable pod name,
   * survives rescheduling; 'pod-ip' = the pod IP (clusters without DNS, and the e2e harness).
   */
  memberAddress?: 'dns' | 'pod-ip';
  /** Old owners keep moved vnodes this long after a flip, ms (default 5000). */
  graceMs?: number;
  /** Resync period when nothing is in progress, ms (default 60 000). */
  resyncMs?: number;
}

/** Reconciles clusters by queue key `namespace/name`. */
export class Reconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  /** One reconcile of `key`; throws on API errors (the queue backs off, 409 requeues at once). */
  async reconcile(key: string): Promise<HandlerResult> {
    const [namespace, name] = key.split('/') as [string, string];
    const obj = await this.deps.api.get({ apiVersion: API_VERSION, kind: KIND, namespace, name });
    if (!obj) return {}; // deleted and finalized: nothing left to do
    const cluster = obj as unknown as StockTsdbCluster;
    const events: EventInput[] = [];
    const event = (e: EventInput) => events.push(e);
    try {
      return await this.run(cluster, event);
    } finally {
      for (const e of events) await this.deps.events.record(cluster, e);
    }
  }

  private async run(c: StockTsdbCluster, event: (e: EventInput) => void): Promise<HandlerResult> {
    const api = this.deps.api;
    if (c.metadata.deletionTimestamp) {
      await this.deps.runners.stop(key(c));
      const deleted = await finalize(api, c);
      this.deps.log?.('info', 'cluster finalized', { cluster: key(c), deleted });
      return {};
    }
    if (await ensureFinalizer(api, c)) return { requeueAfterMs: 0 }; // the patch bumped resourceVersion: re-read
    const o = await observe(api, c);

    if (c.spec.paused) {
      await this.deps.runners.stop(key(c)); // a paused cluster moves nothing; the stored step resumes on unpause
      event({ type: 'Normal', reason: 'Paused', message: 'spec.paused is true: no object is applied and no vnode moves until it is false' });
      await this.writeStatus(o, null, null, true);
      return { requeueAfterMs: this.deps.resyncMs ?? 60_000 };
    }

    const decision = decideScale(o);
    this.explainScale(o, decision, event);
    const { overridden } = await applyChildren(api, c, { stsReplicas: decision.stsReplicas, clusterDomain: this.deps.clusterDomain });
    if (overridden.length) event({ type: 'Warning', reason: 'ConfigOverridden', message: `spec.config sets keys the operator owns; using the operator's values for: ${overridden.join(', ')}` });

    const placement = await reconcilePlacement({ api, admin: this.deps.admin, runners: this.deps.runners, observed: o, decision, event, address: (pod, ip) => this.address(c, pod, ip), graceMs: this.deps.graceMs });
    await this.writeStatus(o, decision, placement, false);
    const busy = decision.stsReplicas !== o.pods.size || [...o.pods.values()].some((p) => !p.ready);
    return { requeueAfterMs: placement.requeueMs ?? (busy ? 2000 : (this.deps.resyncMs ?? 60_000)) };
  }

  private explainScale(o: Observed, d: ScaleDecision, event: (e: EventInput) => void): void {
    const current = o.stsReplicas;
    const desired = o.cluster.spec.replicas;
    if (d.blocked) {
      event({ type: 'Warning', reason: 'ScaleDownBlocked', message: `refusing to scale from ${current} to ${desired} nodes, nothing was changed: ${d.blocked}` });
    } else if (current === null) {
      event({ type: 'Normal', reason: 'Creating', message: `creating StatefulSet with ${d.stsReplicas} pods, Services, ConfigMap and PodDisruptionBudget` });
    } else if (d.stsReplicas > current) {
      event({ type: 'Normal', reason: 'ScalingUp', message: `StatefulSet ${current} → ${d.stsReplicas} pods; new pods own no vnodes until they are Ready and receive them by handoff` });
    } else if (d.draining) {
      event({ type: 'Normal', reason: 'Draining', message: `scale-down to ${desired}: moving vnodes off ${o.store.doc!.placement.nodes.filter((n) => !d.wanted.includes(n)).join(', ')} before the StatefulSet shrinks` });
    } else if (d.stsReplicas < current) {
      event({ type: 'Normal', reason: 'ScalingDown', message: `StatefulSet ${current} → ${d.stsReplicas} pods: the leaving nodes own no vnodes; their volumes are deleted with them` });
    }
  }

  /** host:port of pod `pod`'s data port, as the ring names it. */
  private address(c: StockTsdbCluster, pod: string, ip: string): string {
    if (this.deps.memberAddress === 'pod-ip') return `${ip.includes(':') ? `[${ip}]` : ip}:${DATA_PORT}`;
    return `${pod}.${names.headlessService(c.metadata.name)}.${c.metadata.namespace}.svc.${this.deps.clusterDomain ?? 'cluster.local'}:${DATA_PORT}`;
  }

  private async writeStatus(o: Observed, d: ScaleDecision | null, p: PlacementOutcome | null, paused: boolean): Promise<void> {
    const status = computeStatus({ observed: o, decision: d, placement: p, paused, now: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') });
    if (!statusChanged(o.cluster.status, status)) return;
    const c = o.cluster;
    await this.deps.api.applyStatus({ apiVersion: c.apiVersion, kind: c.kind, metadata: { name: c.metadata.name, namespace: c.metadata.namespace }, status });
  }
}

/** Queue key of a cluster. */
export function key(c: { metadata: { namespace?: string; name: string } }): string {
  return `${c.metadata.namespace}/${c.metadata.name}`;
}

/** The plural, re-exported for watch set-up. */
export { PLURAL };
