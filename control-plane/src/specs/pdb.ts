/**
 * Builds the PodDisruptionBudget: at most one data-plane pod voluntarily down at a time (node
 * drains, rolling upgrades), so with RF ≥ 2 every vnode keeps a live owner. Pure.
 */
import type { StockTsdbCluster } from '../api-types.ts';
import { names, ownedMeta, selectorLabels, type KubeObject } from './common.ts';

/** The PodDisruptionBudget for cluster `c` (maxUnavailable 1). */
export function buildPdb(c: StockTsdbCluster): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: ownedMeta(c, names.pdb(c.metadata.name)),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: selectorLabels(c.metadata.name) },
    },
  };
}
