/**
 * Golden tests of the pure builders: each builder's output for a fixed cluster must equal the
 * YAML in control-plane/test/golden/. A change there is a change of what the operator applies,
 * so it must be reviewed: regenerate with `UPDATE_GOLDEN=1 npx vitest run control-plane/src/specs`
 * and read the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { API_VERSION, KIND, withDefaults, type StockTsdbCluster } from '../api-types.ts';
import { selectorString } from './common.ts';
import { buildConfigMap, renderBaseConfig } from './configmap.ts';
import { buildPdb } from './pdb.ts';
import { buildServices } from './services.ts';
import { buildStatefulSet } from './statefulset.ts';

const GOLDEN = resolve(import.meta.dirname, '../../test/golden');

function cluster(over: Partial<StockTsdbCluster['spec']> = {}): StockTsdbCluster {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: 'market', namespace: 'tsdb', uid: '00000000-0000-4000-8000-000000000001', generation: 1 },
    spec: withDefaults({
      replicas: 3,
      image: 'registry.example/stock-tsdb:1.2.3',
      resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '4Gi' } },
      storage: { size: '50Gi', storageClassName: 'fast-ssd' },
      config: { cache: { max_size: '1GB', ttl: 600 }, storage: { block_size: 30, data_dir: '/elsewhere' } },
      ...over,
    }),
  };
}

function golden(file: string, value: unknown): void {
  const path = join(GOLDEN, file);
  const text = stringify(value, { sortMapEntries: false, lineWidth: 0 });
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) writeFileSync(path, text);
  expect(parse(readFileSync(path, 'utf8'))).toEqual(parse(text));
}

describe('spec builders match their golden YAML', () => {
  test('buildStatefulSet() for 3 replicas', () => {
    const { hash } = buildConfigMap(cluster());
    golden('statefulset.yaml', buildStatefulSet(cluster(), { replicas: 3, configHash: hash }));
  });
  test('buildServices() gives a headless and a client Service', () => {
    golden('services.yaml', buildServices(cluster()));
  });
  test('buildConfigMap() renders one config per pod', () => {
    golden('configmap.yaml', buildConfigMap(cluster()).configMap);
  });
  test('buildPdb() allows one pod down', () => {
    golden('pdb.yaml', buildPdb(cluster()));
  });
});

describe('builder contracts', () => {
  test('every object has a controller owner reference to the cluster', () => {
    const c = cluster();
    const objs = [buildStatefulSet(c, { replicas: 3, configHash: 'x' }), ...buildServices(c), buildConfigMap(c).configMap, buildPdb(c)];
    for (const o of objs) {
      expect(o.metadata.ownerReferences).toEqual([{ apiVersion: API_VERSION, kind: KIND, name: 'market', uid: c.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      expect(o.metadata.namespace).toBe('tsdb');
    }
  });
  test('renderBaseConfig() overrides operator-owned keys and reports them', () => {
    const { config, overridden } = renderBaseConfig(cluster());
    expect(overridden).toEqual(['storage.data_dir']);
    expect(config.storage).toMatchObject({ data_dir: '/var/lib/stock-tsdb/data', block_size: 30, vnodes: 1000, replication_factor: 2 });
    expect(config.cache).toEqual({ max_size: '1GB', ttl: 600 });
  });
  test('the config hash ignores the replica count, so scaling never restarts pods', () => {
    expect(buildConfigMap(cluster({ replicas: 5 })).hash).toBe(buildConfigMap(cluster()).hash);
    expect(buildConfigMap(cluster({ config: { cache: { ttl: 1 } } })).hash).not.toBe(buildConfigMap(cluster()).hash);
  });
  test('buildConfigMap() keeps the keys of draining pods', () => {
    const keys = Object.keys(buildConfigMap(cluster(), { keepOrdinals: 5 }).configMap.data as object);
    expect(keys).toEqual(['market-0.json', 'market-1.json', 'market-2.json', 'market-3.json', 'market-4.json']);
  });
  test('selectorString() matches the StatefulSet selector', () => {
    const sts = buildStatefulSet(cluster(), { replicas: 1, configHash: 'x' }) as unknown as { spec: { selector: { matchLabels: Record<string, string> } } };
    const fromString = Object.fromEntries(selectorString('market').split(',').map((kv) => kv.split('=')));
    expect(fromString).toEqual(sts.spec.selector.matchLabels);
  });
});
