/**
 * The object phases: ConfigMap, Services, StatefulSet, PodDisruptionBudget, each built by a pure
 * builder (specs/) and server-side applied. Applying an unchanged object is a no-op on the
 * server (no new resourceVersion, no event), so the phases need no diff logic of their own.
 * Order matters: the ConfigMap carries the new pods' keys before the StatefulSet grows.
 */
import type { StockTsdbCluster } from '../api-types.ts';
import type { KubeApi } from '../kube/kube-api.ts';
import { buildConfigMap } from '../specs/configmap.ts';
import { buildPdb } from '../specs/pdb.ts';
import { buildServices } from '../specs/services.ts';
import { buildStatefulSet } from '../specs/statefulset.ts';

/** Options of {@link applyChildren}. */
export interface ApplyChildrenOptions {
  /** StatefulSet replicas decided by the scale phase. */
  stsReplicas: number;
  clusterDomain?: string;
}

/** Applies the four objects; returns the config keys the operator overrode (for an Event). */
export async function applyChildren(api: KubeApi, c: StockTsdbCluster, opts: ApplyChildrenOptions): Promise<{ overridden: string[] }> {
  const rendered = buildConfigMap(c, { clusterDomain: opts.clusterDomain, keepOrdinals: opts.stsReplicas });
  await ensureConfigMap(api, rendered.configMap);
  await ensureServices(api, c);
  await ensureStatefulSet(api, c, { replicas: opts.stsReplicas, configHash: rendered.hash });
  await ensurePdb(api, c);
  return { overridden: rendered.overridden };
}

/** Phase: the per-node config. */
export async function ensureConfigMap(api: KubeApi, cm: ReturnType<typeof buildConfigMap>['configMap']): Promise<void> {
  await api.apply(cm);
}

/** Phase: headless + client Services. */
export async function ensureServices(api: KubeApi, c: StockTsdbCluster): Promise<void> {
  for (const svc of buildServices(c)) await api.apply(svc);
}

/** Phase: the StatefulSet. */
export async function ensureStatefulSet(api: KubeApi, c: StockTsdbCluster, opts: { replicas: number; configHash: string }): Promise<void> {
  await api.apply(buildStatefulSet(c, opts));
}

/** Phase: the PodDisruptionBudget. */
export async function ensurePdb(api: KubeApi, c: StockTsdbCluster): Promise<void> {
  await api.apply(buildPdb(c));
}
