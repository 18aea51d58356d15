/**
 * Finalizer handling. The finalizer is added before anything is created, so a deleted cluster is
 * always cleaned up by us: owned objects go with the garbage collector (owner references), and
 * we delete what it would not — the pods' PersistentVolumeClaims (owned by no one when the
 * StatefulSet controller made them before retention policies applied) — then release the object.
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

/** Cleans up a cluster being deleted and removes our finalizer. Returns what it deleted. */
export async function finalize(api: KubeApi, c: StockTsdbCluster): Promise<string[]> {
  const ns = c.metadata.namespace;
  const deleted: string[] = [];
  await api.delete({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns, name: names.statefulSet(c.metadata.name) });
  deleted.push(`StatefulSet ${names.statefulSet(c.metadata.name)}`);
  const pvcs = await api.list({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, labelSelector: selectorString(c.metadata.name) });
  for (const pvc of pvcs.items) {
    await api.delete({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: pvc.metadata.name });
    deleted.push(`PersistentVolumeClaim ${pvc.metadata.name}`);
  }
  await api.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: names.placement(c.metadata.name) });
  deleted.push(`ConfigMap ${names.placement(c.metadata.name)}`);
  const rest = (c.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
  await api.mergePatch(refOfCluster(c), { metadata: { finalizers: rest.length ? rest : null, resourceVersion: c.metadata.resourceVersion } });
  return deleted;
}

function refOfCluster(c: StockTsdbCluster) {
  return { apiVersion: c.apiVersion, kind: c.kind, namespace: c.metadata.namespace, name: c.metadata.name };
}
