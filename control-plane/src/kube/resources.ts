/**
 * URL paths of the kinds the operator touches. A static table instead of API discovery: the set
 * is small and fixed, and a path mistake shows in the first e2e run. Pure.
 */
import type { ObjectRef, Selection } from './kube-api.ts';

const PLURALS: Record<string, string> = {
  Pod: 'pods',
  Service: 'services',
  ConfigMap: 'configmaps',
  Event: 'events',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  Namespace: 'namespaces',
  StatefulSet: 'statefulsets',
  PodDisruptionBudget: 'poddisruptionbudgets',
  Lease: 'leases',
  StockTsdbCluster: 'stocktsdbclusters',
  CustomResourceDefinition: 'customresourcedefinitions',
};

/** Plural resource name of `kind`; throws `Error('BUG: ...')` for a kind not in the table. */
export function pluralOf(kind: string): string {
  const p = PLURALS[kind];
  if (!p) throw new Error(`BUG: no resource path known for kind ${kind}`);
  return p;
}

/** `/api/v1` or `/apis/<group>/<version>`. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** Collection path (namespaced when a namespace is given). */
export function collectionPath(sel: Pick<Selection, 'apiVersion' | 'kind' | 'namespace'>): string {
  const ns = sel.namespace ? `/namespaces/${encodeURIComponent(sel.namespace)}` : '';
  return `${groupVersionPath(sel.apiVersion)}${ns}/${pluralOf(sel.kind)}`;
}

/** Object path. */
export function objectPath(ref: ObjectRef): string {
  return `${collectionPath(ref)}/${encodeURIComponent(ref.name)}`;
}
