/**
 * Records Kubernetes Events on a StockTsdbCluster: each operator decision (created, scaled,
 * blocked, rebalance step, ...) is explained where `kubectl describe stsdb/NAME` shows it.
 *
 * Level-triggered reconciles repeat the same decision many times; an event identical to one
 * recorded for the same object within `dedupeMs` is skipped so the event stream stays readable.
 * Failing to record an event never fails a reconcile (it is reported to `onError`).
 */
import { randomBytes } from 'node:crypto';
import { FIELD_MANAGER, type StockTsdbCluster } from './api-types.ts';
import type { KubeApi } from './kube/kube-api.ts';

/** One event. `reason` is UpperCamelCase, `message` a sentence a user can act on. */
export interface EventInput {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** Options of {@link EventRecorder}. */
export interface EventRecorderOptions {
  /** reportingInstance (the operator pod name). */
  instance: string;
  dedupeMs?: number;
  onError?: (err: unknown) => void;
  /** Also called for every recorded event (the operator logs them). */
  onEvent?: (c: StockTsdbCluster, e: EventInput) => void;
}

/** Writes core/v1 Events, de-duplicated. */
export class EventRecorder {
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly api: KubeApi,
    private readonly opts: EventRecorderOptions,
  ) {}

  /** Records `e` on `c` unless the same event was recorded recently. */
  async record(c: StockTsdbCluster, e: EventInput): Promise<void> {
    const key = `${c.metadata.uid}|${e.type}|${e.reason}|${e.message}`;
    const now = Date.now();
    const last = this.recent.get(key);
    if (last !== undefined && now - last < (this.opts.dedupeMs ?? 10 * 60_000)) return;
    this.recent.set(key, now);
    if (this.recent.size > 10_000) this.recent.clear(); // bound memory; worst case a repeated event
    this.opts.onEvent?.(c, e);
    const ts = new Date(now).toISOString();
    try {
      await this.api.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${c.metadata.name}.${now.toString(16)}${randomBytes(3).toString('hex')}`, namespace: c.metadata.namespace },
        involvedObject: { apiVersion: c.apiVersion, kind: c.kind, name: c.metadata.name, namespace: c.metadata.namespace, uid: c.metadata.uid, resourceVersion: c.metadata.resourceVersion },
        type: e.type,
        reason: e.reason,
        message: e.message,
        source: { component: FIELD_MANAGER },
        reportingComponent: FIELD_MANAGER,
        reportingInstance: this.opts.instance,
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
      });
    } catch (err) {
      this.opts.onError?.(err);
    }
  }
}
