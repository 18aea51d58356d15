/**
 * Lease-based leader election (coordination.k8s.io/v1), as client-go's leaderelection does it:
 * one Lease object; the leader renews it every `renewMs`; a candidate takes it over only after it
 * has seen the same record unchanged for `leaseDurationMs` by its OWN clock (no trust in the
 * other process's clock). Every write is a replace with the read resourceVersion as
 * precondition, so of two candidates exactly one wins.
 *
 * A leader that cannot renew for a full lease duration reports the loss; the operator then exits
 * (its reconcilers may be mid-way; a fresh process restarts cleanly from the stored intent).
 */
import type { KubeObject } from './specs/common.ts';
import { isConflict, type KubeApi } from './kube/kube-api.ts';

/** Options of {@link LeaderElector}. */
export interface LeaderElectionOptions {
  namespace: string;
  /** Lease name (default stock-tsdb-operator). */
  name?: string;
  /** This candidate's identity (pod name + a random suffix). */
  identity: string;
  /** Default 15 000. */
  leaseDurationMs?: number;
  /** Default 5 000 (must be well under leaseDurationMs). */
  renewMs?: number;
  /** Retry period of a candidate, default 2 000. */
  retryMs?: number;
  onError?: (err: unknown) => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** Campaigns for and holds one Lease. */
export class LeaderElector {
  private stopped = false;
  private leading = false;
  /** The last record seen and when (our clock) it was first seen. */
  private observed: { key: string; at: number } | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastRenew = 0;

  constructor(
    private readonly api: KubeApi,
    private readonly opts: LeaderElectionOptions,
  ) {}

  /** True while this process holds the lease. */
  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns until leadership is won (resolves then), then keeps renewing in the background;
   * `onLost` is called once if renewal fails for a lease duration or another holder appears.
   */
  async run(onLost: () => void): Promise<void> {
    const retry = this.opts.retryMs ?? 2000;
    while (!this.stopped && !(await this.tryAcquireOrRenew())) await sleep(retry);
    if (this.stopped) return;
    this.leading = true;
    this.lastRenew = Date.now();
    const renew = async () => {
      if (this.stopped) return;
      const ok = await this.tryAcquireOrRenew();
      if (ok) this.lastRenew = Date.now();
      if (!ok && Date.now() - this.lastRenew >= this.duration()) {
        this.leading = false;
        onLost();
        return;
      }
      this.timer = setTimeout(renew, ok ? (this.opts.renewMs ?? 5000) : retry);
    };
    this.timer = setTimeout(renew, this.opts.renewMs ?? 5000);
  }

  /** Stops renewing and, when leading, releases the lease so a successor need not wait. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.api.get(this.ref());
      const spec = (lease?.spec ?? {}) as LeaseSpec;
      if (lease && spec.holderIdentity === this.opts.identity) {
        await this.api.replace({ ...lease, spec: { ...spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) } });
      }
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  /** One round: true when we hold the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    try {
      const now = new Date();
      const lease = await this.api.get(this.ref());
      if (!lease) {
        await this.api.create(this.leaseObject({ holderIdentity: this.opts.identity, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 }));
        return true;
      }
      const spec = (lease.spec ?? {}) as LeaseSpec;
      const mine = spec.holderIdentity === this.opts.identity;
      if (!mine && spec.holderIdentity && !this.expired(lease, spec)) return false;
      const next: LeaseSpec = mine
        ? { ...spec, renewTime: microTime(now), leaseDurationSeconds: this.duration() / 1000 }
        : { holderIdentity: this.opts.identity, leaseDurationSeconds: this.duration() / 1000, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
      await this.api.replace({ ...lease, spec: next });
      return true;
    } catch (err) {
      if (!isConflict(err)) this.opts.onError?.(err);
      return false;
    }
  }

  /** Expired = the same record unchanged for a lease duration by our clock (or released). */
  private expired(lease: KubeObject, spec: LeaseSpec): boolean {
    const key = `${spec.holderIdentity}|${spec.renewTime}|${lease.metadata.resourceVersion}`;
    const now = Date.now();
    if (this.observed?.key !== key) this.observed = { key, at: now };
    const duration = (spec.leaseDurationSeconds ?? this.duration() / 1000) * 1000;
    return now - this.observed.at >= duration;
  }

  private duration(): number {
    return this.opts.leaseDurationMs ?? 15_000;
  }

  private ref() {
    return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: this.opts.namespace, name: this.opts.name ?? 'stock-tsdb-operator' };
  }

  private leaseObject(spec: LeaseSpec): KubeObject {
    const ref = this.ref();
    return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace }, spec: { ...spec, leaseDurationSeconds: this.duration() / 1000 } };
  }
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
