/**
 * Builds the data plane's StatefulSet: one pod per node, stable names (`NAME-0`, ...) and one
 * PersistentVolumeClaim each. Pure; the reconciler decides `replicas` (it differs from
 * spec.replicas while a scale-down drains nodes) and passes the config hash.
 */
import { DATA_PORT, METRICS_PORT, type StockTsdbCluster } from '../api-types.ts';
import { CONFIG_DIR, DATA_MOUNT } from './configmap.ts';
import { names, objectLabels, ownedMeta, selectorLabels, type KubeObject } from './common.ts';

/** Pod-template annotation carrying the config hash: a config change rolls the pods. */
export const CONFIG_HASH_ANNOTATION = 'tsdb.stock.io/config-hash';

/** Options of {@link buildStatefulSet}. */
export interface StatefulSetOptions {
  /** Pods to run (the reconciler's decision, not necessarily spec.replicas). */
  replicas: number;
  /** `hash` from buildConfigMap. */
  configHash: string;
}

/** The StatefulSet for cluster `c`. */
export function buildStatefulSet(c: StockTsdbCluster, opts: StatefulSetOptions): KubeObject {
  const name = c.metadata.name;
  const spec = c.spec;
  const resources = spec.resources && (spec.resources.limits || spec.resources.requests) ? { resources: spec.resources } : {};
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: ownedMeta(c, names.statefulSet(name)),
    spec: {
      replicas: opts.replicas,
      serviceName: names.headlessService(name),
      selector: { matchLabels: selectorLabels(name) },
      // Pods are peers: placement, not start order, decides who owns what, so start them together.
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate' },
      // whenScaled: Delete — the operator shrinks the StatefulSet only after it proved the
      // leaving nodes own zero vnodes, and a later scale-up must never reuse their stale disks.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
      template: {
        metadata: {
          labels: objectLabels(name),
          annotations: { [CONFIG_HASH_ANNOTATION]: opts.configHash },
        },
        spec: {
          // The server drains in-flight requests for up to 30 s on SIGTERM (data-plane main.ts).
          terminationGracePeriodSeconds: 60,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 },
          containers: [
            {
              name: 'stock-tsdb',
              image: spec.image,
              imagePullPolicy: spec.imagePullPolicy ?? 'IfNotPresent',
              // The image's entrypoint is the data plane (manifests/Dockerfile). The kubelet expands
              // $(POD_NAME): each pod reads its own key of the ConfigMap.
              args: ['--config', `${CONFIG_DIR}/$(POD_NAME).json`],
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              ports: [
                { name: 'data', containerPort: DATA_PORT, protocol: 'TCP' },
                { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
              ],
              // /health answers 503 while the node cannot serve; Ready gates handoff and traffic.
              readinessProbe: { httpGet: { path: '/health', port: 'metrics' }, periodSeconds: 5, failureThreshold: 2 },
              livenessProbe: { httpGet: { path: '/health', port: 'metrics' }, initialDelaySeconds: 30, periodSeconds: 10, failureThreshold: 6 },
              ...resources,
              volumeMounts: [
                { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                { name: 'data', mountPath: DATA_MOUNT },
              ],
            },
          ],
          volumes: [{ name: 'config', configMap: { name: names.config(name) } }],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels: selectorLabels(name) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            ...(spec.storage.storageClassName ? { storageClassName: spec.storage.storageClassName } : {}),
            resources: { requests: { storage: spec.storage.size } },
          },
        },
      ],
    },
  };
}
