import { describe, expect, test } from 'vitest';
import { planPlacement } from '../../../data-plane/src/cluster/planner.ts';
import { API_VERSION, KIND, withDefaults } from '../api-types.ts';
import type { Observed, PodFacts } from '../observed.ts';
import { decideScale } from './scale-decision.ts';

function observed(o: { replicas: number; sts: number | null; ring?: string[]; ready?: string[]; pods?: number; intent?: string[] }): Observed {
  const pods = new Map<string, PodFacts>();
  for (let i = 0; i < (o.pods ?? o.sts ?? 0); i++) {
    const name = `m-${i}`;
    pods.set(name, { name, ordinal: i, ready: o.ready ? o.ready.includes(name) : true, ip: `10.0.0.${i}`, terminating: false });
  }
  const doc = o.ring ? { placement: planPlacement(null, o.ring, { vnodes: 16, replicationFactor: 2 }), pending: [], members: o.ring.map((id) => ({ id, address: `${id}:6379` })) } : null;
  return {
    cluster: { apiVersion: API_VERSION, kind: KIND, metadata: { name: 'm', namespace: 'ns', uid: 'u' }, spec: withDefaults({ replicas: o.replicas, vnodes: 16 }) },
    stsReplicas: o.sts,
    pods,
    store: { doc, intent: o.intent ? { targetNodes: o.intent, fromEpoch: 1, vnodesTotal: 1, startedAt: '' } : null, version: doc ? '1' : null },
  };
}

describe('decideScale()', () => {
  test('a new cluster and a scale-up follow spec.replicas at once', () => {
    expect(decideScale(observed({ replicas: 3, sts: null }))).toMatchObject({ stsReplicas: 3, wanted: ['m-0', 'm-1', 'm-2'], blocked: null });
    expect(decideScale(observed({ replicas: 5, sts: 3, ring: ['m-0', 'm-1', 'm-2'] }))).toMatchObject({ stsReplicas: 5, blocked: null, draining: false });
  });
  test('a scale-down with every pod Ready drains first: the StatefulSet keeps its size', () => {
    expect(decideScale(observed({ replicas: 3, sts: 5, ring: ['m-0', 'm-1', 'm-2', 'm-3', 'm-4'] }))).toMatchObject({ stsReplicas: 5, wanted: ['m-0', 'm-1', 'm-2'], draining: true, blocked: null });
  });
  test('once the ring no longer names the leaving pods, the StatefulSet shrinks', () => {
    expect(decideScale(observed({ replicas: 3, sts: 5, ring: ['m-0', 'm-1', 'm-2'] }))).toMatchObject({ stsReplicas: 3, draining: false });
  });
  test('a scale-down with a pod not Ready is blocked and keeps the current members', () => {
    const d = decideScale(observed({ replicas: 2, sts: 3, ring: ['m-0', 'm-1', 'm-2'], ready: ['m-0', 'm-2'] }));
    expect(d).toMatchObject({ stsReplicas: 3, wanted: ['m-0', 'm-1', 'm-2'] });
    expect(d.blocked).toContain('pods not Ready: m-1');
  });
  test('replicas below replicationFactor is blocked (the schema refuses it too)', () => {
    expect(decideScale(observed({ replicas: 1, sts: 3, ring: ['m-0', 'm-1', 'm-2'] })).blocked).toContain('below replicationFactor 2');
  });
  test('a scale-down already committed (intent stored) is not re-checked: a pod failing mid-drain does not undo it', () => {
    const d = decideScale(observed({ replicas: 2, sts: 3, ring: ['m-0', 'm-1', 'm-2'], ready: ['m-0'], intent: ['m-0', 'm-1'] }));
    expect(d).toMatchObject({ blocked: null, draining: true, wanted: ['m-0', 'm-1'] });
  });
  test('with no ring stored there is no data: shrink at once', () => {
    expect(decideScale(observed({ replicas: 2, sts: 3, ready: [] }))).toMatchObject({ stsReplicas: 2, blocked: null });
  });
});
