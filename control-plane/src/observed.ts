/**
 * What the reconciler reads before deciding: the cluster's pods, StatefulSet and placement store,
 * reduced to the facts decisions use. Reading is separate from deciding so decisions are pure.
 */
import type { StockTsdbCluster } from './api-types.ts';
import type { KubeObject } from './specs/common.ts';
import { names, selectorString } from './specs/common.ts';
import type { KubeApi } from './kube/kube-api.ts';
import { ConfigMapRingStore, type StoreState } from './ring-store.ts';

/** One data-plane pod as the operator sees it. */
export interface PodFacts {
  name: string;
  ordinal: number;
  ready: boolean;
  /** Pod IP (empty until the pod runs). */
  ip: string;
  terminating: boolean;
}

/** Everything a reconcile decides from. */
export interface Observed {
  cluster: StockTsdbCluster;
  /** StatefulSet `spec.replicas`, or null when it does not exist yet. */
  stsReplicas: number | null;
  /** Pods by name. */
  pods: Map<string, PodFacts>;
  store: StoreState;
}

/** Reads the cluster's StatefulSet, pods and placement store. */
export async function observe(api: KubeApi, cluster: StockTsdbCluster): Promise<Observed> {
  const ns = cluster.metadata.namespace;
  const name = cluster.metadata.name;
  const [sts, podList, store] = await Promise.all([
    api.get({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns, name: names.statefulSet(name) }),
    api.list({ apiVersion: 'v1', kind: 'Pod', namespace: ns, labelSelector: selectorString(name) }),
    new ConfigMapRingStore(api, cluster).readState(),
  ]);
  const pods = new Map<string, PodFacts>();
  for (const p of podList.items) {
    const f = podFacts(name, p);
    if (f) pods.set(f.name, f);
  }
  const stsReplicas = sts ? ((sts.spec as { replicas?: number }).replicas ?? 1) : null;
  return { cluster, stsReplicas, pods, store };
}

/** Facts of one pod; null for a pod whose name is not `<cluster>-<ordinal>`. */
export function podFacts(cluster: string, pod: KubeObject): PodFacts | null {
  const m = new RegExp(`^${escapeRe(cluster)}-(\\d+)$`).exec(pod.metadata.name);
  if (!m) return null;
  const status = (pod.status ?? {}) as { conditions?: { type: string; status: string }[]; podIP?: string; phase?: string };
  const terminating = Boolean(pod.metadata.deletionTimestamp);
  const ready = !terminating && status.phase === 'Running' && (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  return { name: pod.metadata.name, ordinal: Number(m[1]), ready, ip: status.podIP ?? '', terminating };
}

/** Pod names of ordinals 0..n-1, sorted as the placement sorts node ids. */
export function memberNames(cluster: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => names.pod(cluster, i)).sort();
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
