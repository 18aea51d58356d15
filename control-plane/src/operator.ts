/**
 * Wires the operator together: leader election gates everything; once leading, watches feed the
 * work queue with cluster keys and the queue runs the reconciler. Watches on owned objects (pods,
 * StatefulSets, ConfigMaps, ...) map back to their cluster by the instance label, so a pod going
 * Ready wakes its cluster's reconcile.
 */
import { API_VERSION, KIND } from './api-types.ts';
import type { DataPlaneAdmin } from './data-plane-admin.ts';
import { EventRecorder } from './event-recorder.ts';
import { isConflict, type KubeApi } from './kube/kube-api.ts';
import { LeaderElector } from './leader-election.ts';
import { WorkQueue } from './queue.ts';
import { RebalanceRunners } from './rebalance-runner.ts';
import { Reconciler, key } from './reconcile.ts';
import { INSTANCE_LABEL } from './specs/common.ts';
import { ResourceWatcher } from './watcher.ts';

/** Log function: JSON lines in main.ts. */
export type Log = (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;

/** Options of {@link Operator}. */
export interface OperatorOptions {
  api: KubeApi;
  admin: DataPlaneAdmin;
  log: Log;
  /** Namespace to watch clusters in; absent = all namespaces. */
  watchNamespace?: string;
  /** Where the leader-election Lease lives. */
  leaseNamespace: string;
  identity: string;
  clusterDomain?: string;
  /** How the ring addresses nodes (see ReconcilerDeps.memberAddress). */
  memberAddress?: 'dns' | 'pod-ip';
  /** Old owners keep moved vnodes this long after a flip, ms. */
  graceMs?: number;
  /** Relist period of every watch, ms (default 5 min). */
  relistMs?: number;
}

/** Kinds whose changes wake their cluster's reconcile (all carry our instance label). */
const OWNED_KINDS = [
  { apiVersion: 'v1', kind: 'Pod' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
];

/** The operator process's long-running part. */
export class Operator {
  private readonly elector: LeaderElector;
  private readonly queue: WorkQueue;
  private readonly watchers: ResourceWatcher[] = [];
  private readonly runners: RebalanceRunners;

  constructor(private readonly opts: OperatorOptions) {
    this.elector = new LeaderElector(opts.api, { namespace: opts.leaseNamespace, identity: opts.identity, onError: (err) => opts.log('warn', 'leader election', { err: String(err) }) });
    const events = new EventRecorder(opts.api, {
      instance: opts.identity,
      onError: (err) => opts.log('warn', 'cannot record event', { err: String(err) }),
      onEvent: (c, e) => opts.log(e.type === 'Warning' ? 'warn' : 'info', `event ${e.reason}: ${e.message}`, { cluster: key(c) }),
    });
    this.runners = new RebalanceRunners(opts.admin, (msg, extra) => opts.log('info', `rebalance: ${msg}`, extra));
    const reconciler = new Reconciler({ api: opts.api, admin: opts.admin, runners: this.runners, events, log: opts.log, clusterDomain: opts.clusterDomain, memberAddress: opts.memberAddress, graceMs: opts.graceMs });
    this.queue = new WorkQueue((k) => reconciler.reconcile(k), {
      concurrency: 2,
      onError: (k, err, failures) => {
        if (isConflict(err)) return true; // someone changed an object first: re-read and go again
        opts.log('error', 'reconcile failed', { cluster: k, failures, err: String((err as Error)?.message ?? err) });
        return false;
      },
    });
  }

  /**
   * Campaigns for leadership, then starts watching; resolves once the first lists are in.
   * `onLostLeadership` is called if the lease is lost (the caller should exit).
   */
  async start(onLostLeadership: () => void): Promise<void> {
    this.opts.log('info', 'campaigning for leadership', { identity: this.opts.identity, lease: `${this.opts.leaseNamespace}/stock-tsdb-operator` });
    await this.elector.run(onLostLeadership);
    this.opts.log('info', 'leading; starting watches', { namespace: this.opts.watchNamespace ?? '(all)' });
    const onError = (kind: string) => (err: unknown) => this.opts.log('warn', `watch ${kind} restarting`, { err: String((err as Error)?.message ?? err) });
    const ns = this.opts.watchNamespace;
    this.watchers.push(
      new ResourceWatcher(this.opts.api, { apiVersion: API_VERSION, kind: KIND, namespace: ns }, (o) => this.queue.add(key(o)), { relistMs: this.opts.relistMs, onError: onError(KIND) }),
    );
    for (const k of OWNED_KINDS) {
      const sel = { ...k, namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=stock-tsdb-operator' };
      this.watchers.push(
        new ResourceWatcher(
          this.opts.api,
          sel,
          (o) => {
            const cluster = o.metadata.labels?.[INSTANCE_LABEL];
            if (cluster) this.queue.add(`${o.metadata.namespace}/${cluster}`);
          },
          { relistMs: this.opts.relistMs, onError: onError(k.kind) },
        ),
      );
    }
    await Promise.all(this.watchers.map((w) => w.start()));
    this.opts.log('info', 'watches synced');
  }

  /** Stops watches and the queue (waits for running reconciles), then releases the lease. */
  async stop(): Promise<void> {
    await Promise.all(this.watchers.map((w) => w.stop()));
    await this.queue.stop();
    await this.runners.stopAll();
    await this.elector.stop();
  }
}
