import { describe, expect, test } from 'vitest';
import { planPlacement } from '../../data-plane/src/cluster/planner.ts';
import type { RingDoc } from '../../data-plane/src/cluster/node/ring-doc.ts';
import { API_VERSION, KIND, withDefaults, type StockTsdbCluster } from './api-types.ts';
import { isConflict } from './kube/kube-api.ts';
import { MemoryKubeApi } from './kube/memory-kube-api.ts';
import { ConfigMapRingStore, PlacementStoreCorruption } from './ring-store.ts';

const cluster: StockTsdbCluster = { apiVersion: API_VERSION, kind: KIND, metadata: { name: 'm', namespace: 'ns', uid: 'u1' }, spec: withDefaults({ replicas: 3, vnodes: 64 }) };
const opts = { vnodes: 64, replicationFactor: 2 };
const members = (ids: string[]) => ids.map((id, i) => ({ id, address: `10.0.0.${i + 1}:6379` }));
const doc = (ids: string[]): RingDoc => ({ placement: planPlacement(null, ids, opts), pending: [], members: members(ids) });

describe('ConfigMapRingStore', () => {
  test('round-trips ring document and intent; each write is a compare-and-set', async () => {
    const store = new ConfigMapRingStore(new MemoryKubeApi(), cluster);
    expect(await store.readState()).toEqual({ doc: null, intent: null, version: null });
    const s1 = await store.writeState(null, { doc: doc(['m-0', 'm-1', 'm-2']), intent: null });
    const intent = { targetNodes: ['m-0', 'm-1', 'm-2', 'm-3'], fromEpoch: 1, vnodesTotal: 32, startedAt: '2024-01-01T00:00:00Z' };
    await store.writeState(s1.version, { doc: s1.doc, intent });
    const back = await store.readState();
    expect(back.doc).toEqual(s1.doc);
    expect(back.intent).toEqual(intent);
    const stale = await store.writeState(s1.version, { doc: s1.doc, intent: null }).catch((e) => e);
    expect(isConflict(stale)).toBe(true);
  });

  test('RingStore.cas: of two writers holding the same read, exactly one wins; the intent is kept', async () => {
    const api = new MemoryKubeApi();
    const a = new ConfigMapRingStore(api, cluster);
    const b = new ConfigMapRingStore(api, cluster);
    expect(await a.cas(doc(['m-0', 'm-1']), null)).toBe(true);
    expect(await b.cas(doc(['m-0', 'm-1']), null)).toBe(false); // exists already
    const st = await a.readState();
    await a.writeState(st.version, { doc: st.doc, intent: { targetNodes: ['m-0'], fromEpoch: 1, vnodesTotal: 1, startedAt: '' } });
    const ra = (await a.read())!;
    const rb = (await b.read())!;
    const next = { ...ra.doc, placement: { ...ra.doc.placement, epoch: 2 } };
    expect(await a.cas(next, ra.version)).toBe(true);
    expect(await b.cas(next, rb.version)).toBe(false);
    expect((await a.readState()).intent?.targetNodes).toEqual(['m-0']);
    expect((await a.read())!.doc.placement.epoch).toBe(2);
  });

  test('an unreadable document is reported, not overwritten', async () => {
    const api = new MemoryKubeApi();
    await api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm-placement', namespace: 'ns' }, data: { 'ring.json': '{"placement":{"format":9}}' } });
    await expect(new ConfigMapRingStore(api, cluster).readState()).rejects.toBeInstanceOf(PlacementStoreCorruption);
  });
});
