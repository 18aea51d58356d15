/**
 * The StockTsdbCluster resource as the operator sees it (crds/stocktsdbclusters.yaml is the
 * schema the API server enforces; these types mirror it) and the names shared by every module.
 *
 * Pure: no I/O, no client library, so unit tests (Vitest on Node 20) can import it.
 */

/** API group of our CRD. */
export const GROUP = 'tsdb.stock.io';
/** Served and stored version. */
export const VERSION = 'v1alpha1';
/** apiVersion string of our objects. */
export const API_VERSION = `${GROUP}/${VERSION}`;
/** Kind of our CRD. */
export const KIND = 'StockTsdbCluster';
/** Resource (plural) name in URLs. */
export const PLURAL = 'stocktsdbclusters';
/** Field manager of every server-side apply the operator makes (STYLE.md: one owner of our fields). */
export const FIELD_MANAGER = 'stock-tsdb-operator';
/** Finalizer that lets the operator clean up (PVCs, placement store) before the object goes. */
export const FINALIZER = 'tsdb.stock.io/cleanup';
/** Data API port inside a pod (DESIGN.md §4 default). */
export const DATA_PORT = 6379;
/** /metrics and /health port inside a pod (DESIGN.md §4 default). */
export const METRICS_PORT = 9090;

/** Quantities as Kubernetes takes them: "2Gi", "500m" or a plain number. */
export type Quantity = string | number;

/** `spec` of a StockTsdbCluster, after API-server defaulting (every defaulted field present). */
export interface ClusterSpec {
  replicas: number;
  vnodes: number;
  replicationFactor: number;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  resources?: { limits?: Record<string, Quantity>; requests?: Record<string, Quantity> };
  storage: { size: string; storageClassName?: string };
  /** Per-node config sections laid over the data plane's defaults (see specs/configmap.ts). */
  config?: Record<string, Record<string, unknown>>;
  paused: boolean;
  rebalance: { maxVnodesPerStep: number; bytesPerSecond: number };
}

/** Condition types the operator sets. */
export type ConditionType = 'Ready' | 'Rebalancing' | 'Degraded' | 'ScaleDownBlocked';

/** A metav1.Condition. */
export interface Condition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** Lifecycle summary shown in the printer column. */
export type Phase = 'Pending' | 'Creating' | 'Running' | 'Scaling' | 'Rebalancing' | 'Paused' | 'Degraded' | 'Deleting';

/** `status` of a StockTsdbCluster; written only by the operator through the status subresource. */
export interface ClusterStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  selector?: string;
  phase?: Phase;
  ringEpoch?: number;
  rebalance?: { vnodesMoved: number; vnodesTotal: number; progress: string; targetReplicas?: number };
  conditions?: Condition[];
}

/** Object metadata fields the operator reads and writes. */
export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  generation?: number;
  resourceVersion?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
}

/** A StockTsdbCluster as read from the API server. */
export interface StockTsdbCluster {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: ClusterSpec;
  status?: ClusterStatus;
}

/**
 * Fills the defaults the CRD schema declares, for objects that did not pass through the API
 * server's defaulting (unit tests, hand-built fixtures). Returns a new spec; never mutates.
 */
export function withDefaults(spec: Partial<ClusterSpec>): ClusterSpec {
  return {
    ...spec,
    replicas: spec.replicas ?? 3,
    vnodes: spec.vnodes ?? 1000,
    replicationFactor: spec.replicationFactor ?? 2,
    image: spec.image ?? 'ghcr.io/stock-tsdb/stock-tsdb:0.1.0',
    imagePullPolicy: spec.imagePullPolicy ?? 'IfNotPresent',
    storage: { size: spec.storage?.size ?? '10Gi', ...(spec.storage?.storageClassName ? { storageClassName: spec.storage.storageClassName } : {}) },
    paused: spec.paused ?? false,
    rebalance: { maxVnodesPerStep: spec.rebalance?.maxVnodesPerStep ?? 50, bytesPerSecond: spec.rebalance?.bytesPerSecond ?? 0 },
  };
}
