/**
 * Names, labels and owner references shared by the pure builders in this folder.
 *
 * Every object the operator creates for a cluster NAME carries the same selector labels and a
 * controller owner reference to the StockTsdbCluster, so the garbage collector removes them with
 * it and our watches can map any of them back to its cluster.
 */
import { API_VERSION, FIELD_MANAGER, KIND, type StockTsdbCluster } from '../api-types.ts';

/** A Kubernetes object as plain data (what server-side apply takes). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    resourceVersion?: string;
    uid?: string;
    generation?: number;
    deletionTimestamp?: string;
    finalizers?: string[];
    creationTimestamp?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** metav1.OwnerReference. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

/** Label naming the cluster an object belongs to (also how watches map objects back). */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

/** Object names derived from the cluster's name; one place so nothing disagrees. */
export const names = {
  statefulSet: (c: string) => c,
  /** Governing (headless) Service of the StatefulSet: stable per-pod DNS names. */
  headlessService: (c: string) => `${c}-nodes`,
  /** Client Service: load-balanced data API (any node coordinates). */
  clientService: (c: string) => c,
  config: (c: string) => `${c}-config`,
  pdb: (c: string) => c,
  /** Placement store (control-plane/src/placement-store.ts). */
  placement: (c: string) => `${c}-placement`,
  pod: (c: string, ordinal: number) => `${c}-${ordinal}`,
};

/** Labels that select a cluster's data-plane pods (immutable once a StatefulSet exists). */
export function selectorLabels(cluster: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'stock-tsdb',
    [INSTANCE_LABEL]: cluster,
    'app.kubernetes.io/component': 'data-plane',
  };
}

/** Selector labels plus the managed-by label, for every object we create. */
export function objectLabels(cluster: string): Record<string, string> {
  return { ...selectorLabels(cluster), 'app.kubernetes.io/managed-by': FIELD_MANAGER };
}

/** `status.selector` for the scale subresource: the selector labels as a label-selector string. */
export function selectorString(cluster: string): string {
  return Object.entries(selectorLabels(cluster))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Controller owner reference to the cluster: the GC deletes the object with it. */
export function ownerReference(c: StockTsdbCluster): OwnerReference {
  return { apiVersion: API_VERSION, kind: KIND, name: c.metadata.name, uid: c.metadata.uid, controller: true, blockOwnerDeletion: true };
}

/** Metadata of an object owned by `c`, in its namespace. */
export function ownedMeta(c: StockTsdbCluster, name: string, extra: { annotations?: Record<string, string> } = {}): KubeObject['metadata'] {
  return {
    name,
    namespace: c.metadata.namespace,
    labels: objectLabels(c.metadata.name),
    ...(extra.annotations ? { annotations: extra.annotations } : {}),
    ownerReferences: [ownerReference(c)],
  };
}
