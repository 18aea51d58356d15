/**
 * The reconcile loop against the in-memory KubeApi and an in-memory data-plane admin: what it
 * applies, when it creates the ring, what `paused` and a refused scale-down leave untouched, and
 * the finalizer. The real API server and real data-plane processes are in test/e2e.
 */
import { describe, expect, test } from 'vitest';
import type { RingDoc, RingMember } from '../../data-plane/src/cluster/node/ring-doc.ts';
import { API_VERSION, FINALIZER, KIND, withDefaults, type ClusterSpec, type StockTsdbCluster } from './api-types.ts';
import type { DataPlaneAdmin } from './data-plane-admin.ts';
import { EventRecorder } from './event-recorder.ts';
import { MemoryKubeApi } from './kube/memory-kube-api.ts';
import { RebalanceRunners } from './rebalance-runner.ts';
import { Reconciler } from './reconcile.ts';
import { objectLabels } from './specs/common.ts';

/** Records ring pushes; nodes answer with the epoch last pushed to them. */
class MemoryAdmin implements DataPlaneAdmin {
  readonly rings = new Map<string, RingDoc>();
  async ringEpoch(node: RingMember) {
    return this.rings.get(node.id)?.placement.epoch ?? 0;
  }
  async applyRing(node: RingMember, doc: RingDoc) {
    if ((this.rings.get(node.id)?.placement.epoch ?? 0) < doc.placement.epoch) this.rings.set(node.id, doc);
  }
  async startPulls() {}
  async pullStates(_to: RingMember, vnodes: number[]) {
    return new Map(vnodes.map((v) => [v, { state: 'done' as const, bytes: 0 }]));
  }
  async cancelPull() {}
  async drop() {}
  async hintsFor() {
    return 0;
  }
}

const NS = 'tsdb';

function setup(spec: Partial<ClusterSpec> = {}) {
  const api = new MemoryKubeApi();
  const admin = new MemoryAdmin();
  const runners = new RebalanceRunners(admin);
  const events = new EventRecorder(api, { instance: 'test' });
  const r = new Reconciler({ api, admin, runners, events, memberAddress: 'pod-ip', graceMs: 0 });
  const create = () =>
    api.create({ apiVersion: API_VERSION, kind: KIND, metadata: { name: 'm', namespace: NS }, spec: withDefaults({ replicas: 3, vnodes: 64, ...spec }) } as never);
  /** Runs reconciles until one asks for no immediate requeue (as the queue would). */
  const settle = async () => {
    for (let i = 0; i < 10; i++) if ((await r.reconcile(`${NS}/m`)).requeueAfterMs !== 0) return;
  };
  const cluster = async () => (await api.get({ apiVersion: API_VERSION, kind: KIND, namespace: NS, name: 'm' })) as unknown as StockTsdbCluster;
  const sts = async () => (await api.get({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: NS, name: 'm' })) as unknown as { spec: { replicas: number } } | null;
  /** Plays kubelet: pods 0..n-1, Ready or not. */
  const pods = async (n: number, ready: (i: number) => boolean = () => true) => {
    for (let i = 0; i < n; i++) {
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `m-${i}`, namespace: NS, labels: objectLabels('m') }, status: { phase: 'Running', podIP: `10.0.0.${i + 1}`, conditions: [{ type: 'Ready', status: ready(i) ? 'True' : 'False' }] } };
      await api.apply(pod);
    }
  };
  const events_ = () => api.all().filter((o) => o.kind === 'Event').map((e) => `${e.reason as string}: ${e.message as string}`);
  return { api, admin, r, create, settle, cluster, sts, pods, events: events_ };
}

describe('Reconciler', () => {
  test('adds the finalizer, applies StatefulSet, Services, ConfigMap and PDB, and waits for Ready pods', async () => {
    const t = setup();
    await t.create();
    await t.settle();
    const c = await t.cluster();
    expect(c.metadata.finalizers).toEqual([FINALIZER]);
    const applied = [...new Set(t.api.writes.filter((w) => w.startsWith('apply ')))].sort();
    expect(applied).toEqual(['apply ConfigMap tsdb/m-config', 'apply PodDisruptionBudget tsdb/m', 'apply Service tsdb/m', 'apply Service tsdb/m-nodes', 'apply StatefulSet tsdb/m']);
    expect((await t.sts())!.spec.replicas).toBe(3);
    expect(c.status).toMatchObject({ phase: 'Creating', replicas: 0, readyReplicas: 0, ringEpoch: 0, observedGeneration: 1 });
    expect(c.status!.conditions!.find((x) => x.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodsNotReady', observedGeneration: 1 });
    expect(t.admin.rings.size).toBe(0);
    expect(t.events()).toContain('Creating: creating StatefulSet with 3 pods, Services, ConfigMap and PodDisruptionBudget');
  });

  test('with every pod Ready: creates ring epoch 1, pushes it to each node, reports Running', async () => {
    const t = setup();
    await t.create();
    await t.settle();
    await t.pods(3);
    await t.settle();
    const c = await t.cluster();
    expect(c.status).toMatchObject({ phase: 'Running', replicas: 3, readyReplicas: 3, ringEpoch: 1 });
    expect(c.status!.conditions!.find((x) => x.type === 'Ready')).toMatchObject({ status: 'True', reason: 'AllNodesReady' });
    expect([...t.admin.rings.keys()].sort()).toEqual(['m-0', 'm-1', 'm-2']);
    expect(t.admin.rings.get('m-1')!.members).toEqual([
      { id: 'm-0', address: '10.0.0.1:6379' },
      { id: 'm-1', address: '10.0.0.2:6379' },
      { id: 'm-2', address: '10.0.0.3:6379' },
    ]);
    expect(t.events().some((e) => e.startsWith('PlacementCreated: ring epoch 1'))).toBe(true);
    // Level-triggered and idempotent: another reconcile changes nothing but re-applies (no-op on a real server).
    const before = t.api.writes.filter((w) => !w.startsWith('apply ') && !w.startsWith('create Event')).length;
    await t.r.reconcile(`${NS}/m`);
    expect(t.api.writes.filter((w) => !w.startsWith('apply ') && !w.startsWith('create Event')).length).toBe(before);
  });

  test('a pod restarted at a new address gets a new ring epoch naming it', async () => {
    const t = setup();
    await t.create();
    await t.pods(3);
    await t.settle();
    await t.api.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'm-2', namespace: NS }, status: { podIP: '10.0.0.9' } });
    await t.settle();
    expect((await t.cluster()).status!.ringEpoch).toBe(2);
    expect(t.admin.rings.get('m-0')!.members.find((m) => m.id === 'm-2')!.address).toBe('10.0.0.9:6379');
  });

  test('paused: true applies nothing and moves nothing; status says Paused', async () => {
    const t = setup();
    await t.create();
    await t.pods(3);
    await t.settle();
    await t.api.mergePatch({ apiVersion: API_VERSION, kind: KIND, namespace: NS, name: 'm' }, { spec: { paused: true, replicas: 5 } });
    const mark = t.api.writes.length;
    await t.settle();
    const writes = t.api.writes.slice(mark).filter((w) => !w.startsWith('create Event'));
    expect(writes).toEqual(['applyStatus StockTsdbCluster tsdb/m']);
    expect((await t.sts())!.spec.replicas).toBe(3);
    expect((await t.cluster()).status!.phase).toBe('Paused');
  });

  test('a scale-down with a pod not Ready is refused with ScaleDownBlocked and changes nothing', async () => {
    const t = setup();
    await t.create();
    await t.pods(3);
    await t.settle();
    await t.pods(3, (i) => i !== 1);
    await t.api.mergePatch({ apiVersion: API_VERSION, kind: KIND, namespace: NS, name: 'm' }, { spec: { replicas: 2 } });
    const ringBefore = await t.api.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'm-placement' });
    await t.settle();
    const c = await t.cluster();
    expect((await t.sts())!.spec.replicas).toBe(3);
    expect(await t.api.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'm-placement' })).toEqual(ringBefore);
    const blocked = c.status!.conditions!.find((x) => x.type === 'ScaleDownBlocked')!;
    expect(blocked).toMatchObject({ status: 'True', reason: 'PrecheckFailed', observedGeneration: c.metadata.generation });
    expect(blocked.message).toContain('pods not Ready: m-1');
    expect(t.events().some((e) => e.startsWith('ScaleDownBlocked: refusing to scale from 3 to 2 nodes, nothing was changed'))).toBe(true);
  });

  test('deletion: the finalizer deletes StatefulSet, PVCs and the placement store, then lets go', async () => {
    const t = setup();
    await t.create();
    await t.pods(3);
    await t.settle();
    await t.api.apply({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-m-0', namespace: NS, labels: objectLabels('m') } });
    await t.api.delete({ apiVersion: API_VERSION, kind: KIND, namespace: NS, name: 'm' });
    await t.settle();
    expect(await t.cluster()).toBeNull();
    for (const [kind, apiVersion, name] of [['StatefulSet', 'apps/v1', 'm'], ['PersistentVolumeClaim', 'v1', 'data-m-0'], ['ConfigMap', 'v1', 'm-placement']] as const) {
      expect(await t.api.get({ apiVersion, kind, namespace: NS, name })).toBeNull();
    }
  });
});
