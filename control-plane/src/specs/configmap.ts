/**
 * Builds the ConfigMap with every node's stock-tsdb config, rendered from `spec.config`.
 *
 * One key per pod, `<pod name>.json` (`NAME-0.json`, ...): the container runs
 * `--config /etc/stock-tsdb/$(POD_NAME).json`, so each node reads a config with its own node id
 * and advertised address while all pods share one StatefulSet template. JSON because the data
 * plane loads .json natively and it needs no escaping.
 *
 * The operator owns some keys (where data lives, ports, vnodes, RF, the cluster section); the
 * user's values for them are overridden and reported back so the reconciler can say so in an
 * Event. Pure.
 */
import { createHash } from 'node:crypto';
import { DATA_PORT, METRICS_PORT, type StockTsdbCluster } from '../api-types.ts';
import { names, ownedMeta, type KubeObject } from './common.ts';

/** Where the StatefulSet mounts the config and data volumes. */
export const CONFIG_DIR = '/etc/stock-tsdb';
export const DATA_MOUNT = '/var/lib/stock-tsdb';

/** Per-node config as written to the ConfigMap. */
export type NodeConfig = Record<string, Record<string, unknown>>;

/** Options of {@link buildConfigMap}. */
export interface ConfigMapOptions {
  /** Kubernetes cluster DNS domain (advertised addresses are FQDNs under it); default cluster.local. */
  clusterDomain?: string;
}

/** What {@link buildConfigMap} returns. */
export interface RenderedConfig {
  configMap: KubeObject;
  /** `section.key` paths the user set that the operator overrode (for an Event). */
  overridden: string[];
  /** Hash of the node-independent part: changes only when a pod restart is needed. */
  hash: string;
}

/** Keys the operator decides, by section; any user value for them is overridden. */
function ownedKeys(c: StockTsdbCluster): NodeConfig {
  return {
    storage: {
      data_dir: `${DATA_MOUNT}/data`,
      vnodes: c.spec.vnodes,
      replication_factor: c.spec.replicationFactor,
    },
    network: { bind_address: '0.0.0.0', port: DATA_PORT },
    monitoring: { enabled: true, metrics_port: METRICS_PORT },
    logging: { dir: `${DATA_MOUNT}/logs` },
  };
}

/** The node-independent config: user sections with the operator's keys laid over them. */
export function renderBaseConfig(c: StockTsdbCluster): { config: NodeConfig; overridden: string[] } {
  const user = c.spec.config ?? {};
  const owned = ownedKeys(c);
  const overridden: string[] = [];
  const config: NodeConfig = {};
  for (const section of [...new Set([...Object.keys(user), ...Object.keys(owned)])].sort()) {
    const mine = owned[section] ?? {};
    const theirs = user[section] ?? {};
    for (const k of Object.keys(mine)) {
      if (k in theirs && JSON.stringify(theirs[k]) !== JSON.stringify(mine[k])) overridden.push(`${section}.${k}`);
    }
    config[section] = sortKeys({ ...theirs, ...mine });
  }
  if (user.cluster) overridden.push('cluster');
  return { config, overridden: overridden.sort() };
}

/** The config of pod `ordinal`: the base plus its cluster identity. */
export function renderNodeConfig(c: StockTsdbCluster, base: NodeConfig, ordinal: number, opts: ConfigMapOptions = {}): NodeConfig {
  const name = c.metadata.name;
  const pod = names.pod(name, ordinal);
  const domain = opts.clusterDomain ?? 'cluster.local';
  return {
    ...base,
    cluster: {
      enabled: true,
      node_id: pod,
      // The headless Service gives each pod a stable DNS name that survives rescheduling.
      advertise_address: `${pod}.${names.headlessService(name)}.${c.metadata.namespace}.svc.${domain}:${DATA_PORT}`,
      // Membership and placement come from the operator through the admin API, not from Consul.
      service_discovery: { provider: 'kubernetes' },
      sharding: { enabled: true, virtual_nodes: c.spec.vnodes },
    },
  };
}

/**
 * The ConfigMap holding `<pod>.json` for ordinals 0..max(replicas, keepOrdinals)-1.
 * `keepOrdinals` keeps the keys of pods that still run while a scale-down drains them.
 */
export function buildConfigMap(c: StockTsdbCluster, opts: ConfigMapOptions & { keepOrdinals?: number } = {}): RenderedConfig {
  const { config: base, overridden } = renderBaseConfig(c);
  const count = Math.max(c.spec.replicas, opts.keepOrdinals ?? 0);
  const data: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    data[`${names.pod(c.metadata.name, i)}.json`] = `${JSON.stringify(renderNodeConfig(c, base, i, opts), null, 2)}\n`;
  }
  const hash = createHash('sha256').update(JSON.stringify(base)).digest('hex').slice(0, 16);
  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: ownedMeta(c, names.config(c.metadata.name)),
    data,
  };
  return { configMap, overridden, hash };
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}
