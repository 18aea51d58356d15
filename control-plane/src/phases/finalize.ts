/**
 * Finalizer handling. The finalizer is added before anything is created, so a deleted cluster is
 * always cleaned up by us: we delete the owned objects and the pods' PersistentVolumeClaims, then
 * release the object (owner references would get there too, more slowly; see `finalize`).
 */
import { FINALIZER, type StockTsdbCluster } from '../api-types.ts';
import type { KubeApi } from '../kube/kube-api.ts';
import { names, selectorString } from '../specs/common.ts';

/** Adds our finalizer if missing (merge patch with a resourceVersion precondition: 409 = requeue). */
export async function ensureFinalizer(api: KubeApi, c: StockTsdbCluster): Promise<boolean> {
  const list = c.metadata.finalizers ?? [];
  if (list.includes(FINALIZER)) return false;
  await api.mergePatch(refOfCluster(c), { metadata: { finalizers: [...list, FINALIZER], resourceVersion: c.metadata.resourceVersion } });
  return true;
}

/**
 * Cleans up a cluster being deleted and removes our finalizer. Returns what it deleted.
 * Owned objects would also go with the garbage collector, but only once it watches our kind: a
 * collector that has not yet discovered a freshly installed CRD misses the owner's deletion for up
 * to its 30 s discovery resync. Deleting them here makes `kubectl delete` prompt either way.
 */
export async function finalize(api: KubeApi, c: StockTsdbCluster): Promise<string[]> {
  const ns = c.metadata.namespace;
  const name = c.metadata.name;
  const owned = [
    { apiVersion: 'apps/v1', kind: 'StatefulSet', name: names.statefulSet(name) },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', name: names.pdb(name) },
    { apiVersion: 'v1', kind: 'Service', name: names.clientService(name) },
    { apiVersion: 'v1', kind: 'Service', name: names.headlessService(name) },
    { apiVersion: 'v1', kind: 'ConfigMap', name: names.config(name) },
    { apiVersion: 'v1', kind: 'ConfigMap', name: names.placement(name) },
  ];
  const deleted: string[] = [];
  for (const o of owned) {
    await api.delete({ ...o, namespace: ns });
    deleted.push(`${o.kind} ${o.name}`);
  }
  // PVCs: the StatefulSet's whenDeleted: Delete policy removes them too, but not on clusters where
  // that policy is off, and never for claims left from before it applied.
  const pvcs = await api.list({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, labelSelector: selectorString(name) });
  for (const pvc of pvcs.items) {
    await api.delete({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: pvc.metadata.name });
    deleted.push(`PersistentVolumeClaim ${pvc.metadata.name}`);
  }
  const rest = (c.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
  await api.mergePatch(refOfCluster(c), { metadata: { finalizers: rest.length ? rest : null, resourceVersion: c.metadata.resourceVersion } });
  return deleted;
}

function refOfCluster(c: StockTsdbCluster) {
  return { apiVersion: c.apiVersion, kind: c.kind, namespace: c.metadata.namespace, name: c.metadata.name };
}
