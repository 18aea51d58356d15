/**
 * Builds the cluster's two Services. Pure.
 * - headless `NAME-nodes`: the StatefulSet's governing Service, giving each pod a stable DNS
 *   name (`NAME-0.NAME-nodes.NS.svc`) that nodes advertise to each other. It publishes
 *   not-ready pods too, because a joining node must be reachable for handoff before it is Ready.
 * - client `NAME`: the data API and metrics, load-balanced over Ready pods (any node
 *   coordinates a request).
 */
import { DATA_PORT, METRICS_PORT, type StockTsdbCluster } from '../api-types.ts';
import { names, ownedMeta, selectorLabels, type KubeObject } from './common.ts';

const PORTS = [
  { name: 'data', port: DATA_PORT, targetPort: 'data', protocol: 'TCP' },
  { name: 'metrics', port: METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' },
];

/** The headless governing Service. */
export function buildHeadlessService(c: StockTsdbCluster): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMeta(c, names.headlessService(c.metadata.name)),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: selectorLabels(c.metadata.name),
      ports: PORTS,
    },
  };
}

/** The client Service (ClusterIP). */
export function buildClientService(c: StockTsdbCluster): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMeta(c, names.clientService(c.metadata.name)),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(c.metadata.name),
      ports: PORTS,
    },
  };
}

/** Both Services, headless first. */
export function buildServices(c: StockTsdbCluster): KubeObject[] {
  return [buildHeadlessService(c), buildClientService(c)];
}
