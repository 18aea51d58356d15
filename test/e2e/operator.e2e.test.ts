/**
 * The operator on a real Kubernetes control plane (DESIGN.md §6, §9), driven with kubectl exactly
 * as the README tells users. Scenarios that need no vnode handoff (the data plane's admin API is
 * not there yet): create → 3 Ready pods → HTTP writes → status and printer columns; the schema
 * refusing `kubectl scale --replicas=1`; `paused`; `kubectl delete` cleans up via the finalizer.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { REPO_ROOT, startControlPlane, type ControlPlane } from './control-plane.ts';
import { KubeHttp } from './kube-http.ts';
import { startOperator, type OperatorProcess } from './operator-process.ts';
import { PodRunner } from './pod-runner.ts';
import { Traffic } from './traffic.ts';

let cp: ControlPlane;
let kube: KubeHttp;
let operator: OperatorProcess;
let runner: PodRunner;
let traffic: Traffic | undefined;
const t0 = Date.now();

const path = (p: string) => join(REPO_ROOT, p);

/** The cluster object as JSON (kubectl get -o json). */
function cluster(): any {
  return JSON.parse(cp.kubectl(['get', 'stsdb', 'market', '-o', 'json']).stdout);
}

/** Polls `check` until it returns a truthy value; fails with `what` and the logs on timeout. */
async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what} (last: ${String(last)})\n${diagnostics()}`);
}

/** What a failure message needs: cluster status, pods, operator log tail, runner outputs. */
function diagnostics(): string {
  const get = (args: string[]) => cp.kubectl(args, { allowFail: true });
  const pods = runner?.running().map((n) => `--- pod ${n} ---\n${runner.pod(n)?.output.slice(-1500)}`).join('\n');
  return [
    `--- stsdb ---\n${get(['get', 'stsdb', '-o', 'yaml']).stdout.slice(-4000)}`,
    `--- pods ---\n${get(['get', 'pods,statefulsets,pvc', '-o', 'wide']).stdout}${get(['get', 'pods']).stderr}`,
    `--- operator ---\n${operator?.output().slice(-6000)}`,
    pods,
  ].join('\n');
}

beforeAll(async () => {
  cp = await startControlPlane();
  kube = new KubeHttp(cp.server, cp.adminToken, cp.caFile);
  cp.kubectl(['apply', '-f', path('crds/')]);
  cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/stocktsdbclusters.tsdb.stock.io']);
  // The operator's namespace, ServiceAccount and RBAC exactly as shipped; the Deployment itself
  // is replaced by a local Bun process with that ServiceAccount's identity.
  cp.kubectl(['apply', '-f', path('manifests/namespace.yaml'), '-f', path('manifests/rbac.yaml')]);
  runner = new PodRunner(kube, 'default');
  await runner.start();
  operator = await startOperator(cp);
  console.log(`e2e setup (control plane + operator) ${Date.now() - t0} ms`);
}, 30 * 60_000); // a machine without the cached Kubernetes binaries builds them first (~15 min)

afterAll(async () => {
  await traffic?.stop();
  await operator?.stop();
  await runner?.stop();
  await cp?.stop();
  console.log(`e2e total ${Date.now() - t0} ms`);
}, 120_000);

describe('StockTsdbCluster on a real control plane', () => {
  test('every manifest passes the API server\'s validation (server-side dry run)', () => {
    const r = cp.kubectl(['apply', '--dry-run=server', '-f', path('manifests/operator.yaml'), '-f', path('manifests/cluster.yaml')]);
    expect(r.stdout).toContain('deployment.apps/stock-tsdb-operator created (server dry run)');
    expect(r.stdout).toContain('stocktsdbcluster.tsdb.stock.io/market created (server dry run)');
  });

  test('kubectl apply -f manifests/cluster.yaml → 3 Ready pods, placement epoch 1, status and printer columns', async () => {
    cp.kubectl(['apply', '-f', path('manifests/cluster.yaml')]);
    const c = await waitFor('3 ready replicas and phase Running', () => {
      const c = cluster();
      return c.status?.readyReplicas === 3 && c.status?.phase === 'Running' ? c : null;
    });
    expect(c.status.replicas).toBe(3);
    expect(c.status.ringEpoch).toBe(1);
    expect(c.status.observedGeneration).toBe(c.metadata.generation);
    expect(c.status.selector).toBe('app.kubernetes.io/name=stock-tsdb,app.kubernetes.io/instance=market,app.kubernetes.io/component=data-plane');
    const ready = c.status.conditions.find((x: any) => x.type === 'Ready');
    expect(ready).toMatchObject({ status: 'True', observedGeneration: c.metadata.generation });
    expect(c.metadata.finalizers).toContain('tsdb.stock.io/cleanup');
    expect(runner.running()).toEqual(['market-0', 'market-1', 'market-2']);

    const table = cp.kubectl(['get', 'stsdb', 'market']).stdout.trim().split('\n');
    expect(table[0]!.split(/\s+/)).toEqual(['NAME', 'DESIRED', 'READY', 'PHASE', 'EPOCH', 'MOVED', 'AGE']);
    expect(table[1]!.split(/\s+/).slice(0, 6)).toEqual(['market', '3', '3', 'Running', '1', '0/0']);

    // The children, built by the pure builders and applied with our field manager.
    const sts = JSON.parse(cp.kubectl(['get', 'statefulset', 'market', '-o', 'json', '--show-managed-fields']).stdout);
    expect(sts.spec.replicas).toBe(3);
    expect(sts.metadata.managedFields.some((f: any) => f.manager === 'stock-tsdb-operator' && f.operation === 'Apply')).toBe(true);
    for (const kind of ['service/market', 'service/market-nodes', 'configmap/market-config', 'configmap/market-placement', 'pdb/market']) {
      cp.kubectl(['get', kind]);
    }
    const ring = JSON.parse(JSON.parse(cp.kubectl(['get', 'configmap', 'market-placement', '-o', 'json']).stdout).data['ring.json']);
    expect(ring.placement).toMatchObject({ epoch: 1, vnodes: 1000, rf: 2, nodes: ['market-0', 'market-1', 'market-2'] });
    expect(ring.members.map((m: { id: string; address: string }) => `${m.id}=${m.address}`)).toEqual(['market-0', 'market-1', 'market-2'].map((n) => `${n}=${runner.pod(n)!.ip}:6379`));
    // Every node routes by the stored ring (the operator pushed it with PUT /admin/ring).
    for (const n of ['market-0', 'market-1', 'market-2']) {
      const r = (await (await fetch(`${runner.pod(n)!.url}/admin/ring`)).json()) as { epoch: number; node_id: string };
      expect(r).toMatchObject({ epoch: 1, node_id: n });
    }
    const events = cp.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=market', '-o', 'json']).stdout;
    expect(events).toContain('PlacementCreated');
  }, 150_000);

  test('HTTP writes to a pod are stored and readable', async () => {
    const pod = runner.pod('market-0')!;
    const rows = Array.from({ length: 50 }, (_, i) => ({ timestamp: 1_700_000_000 + i, open: 10 + i, high: 11 + i, low: 9 + i, close: 10.5 + i, volume: 100 * i }));
    const w = await fetch(`${pod.url}/v1/write`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ symbol: 'stock.SH.600519', rows }) });
    const body = await w.text();
    expect(`${w.status} ${body}`).toBe('200 {"written":50}');
    const q = await fetch(`${pod.url}/v1/query?symbol=stock.SH.600519&start=1700000000&end=1700000100`);
    expect(q.status).toBe(200);
    expect(((await q.json()) as { rows: unknown[] }).rows.length).toBe(50);
  });

  test('kubectl scale to 5 while writing and reading; the operator is killed mid-rebalance and resumes', async () => {
    traffic = new Traffic(runner);
    traffic.start();
    // Bigger steps than the sample's 50 keep the test short (800 replica moves = 4 steps).
    cp.kubectl(['patch', 'stsdb/market', '--type=merge', '-p', '{"spec":{"rebalance":{"maxVnodesPerStep":200}}}']);
    cp.kubectl(['scale', 'stsdb/market', '--replicas=5']);
    await waitFor('a rebalance step under way', () => {
      const ring = JSON.parse(JSON.parse(cp.kubectl(['get', 'configmap', 'market-placement', '-o', 'json']).stdout).data['ring.json']);
      return ring.pending.length > 0 || ring.placement.epoch > 2;
    });
    await operator.kill9();
    operator = await startOperator(cp);
    const c = await waitFor('5 data-bearing replicas, ring settled', () => {
      const c = cluster();
      return c.status?.replicas === 5 && c.status?.phase === 'Running' ? c : null;
    }, 240_000);
    expect(c.status.readyReplicas).toBe(5);
    expect(c.status.ringEpoch).toBeGreaterThan(1);
    expect(c.status.rebalance).toMatchObject({ vnodesMoved: 800, vnodesTotal: 800, progress: '800/800' });
    const ring = JSON.parse(JSON.parse(cp.kubectl(['get', 'configmap', 'market-placement', '-o', 'json']).stdout).data['ring.json']);
    expect(ring.placement.nodes).toEqual(['market-0', 'market-1', 'market-2', 'market-3', 'market-4']);
    expect(ring.pending).toEqual([]);
    // The rows written before the scale are readable through every node.
    for (const n of ring.placement.nodes as string[]) {
      const q = await fetch(`${runner.pod(n)!.url}/v1/query?symbol=stock.SH.600519&start=1700000000&end=1700000100`);
      expect(q.status).toBe(200);
      expect(((await q.json()) as { rows: unknown[] }).rows.length).toBe(50);
    }
    const events = cp.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=market', '-o', 'json']).stdout;
    expect(events).toContain('RebalancePlanned');
    expect(traffic.report.readFailures).toEqual([]);
  }, 300_000);

  test('a receiving pod killed mid-handoff: it restarts, the rebalance retries and completes (6 nodes)', async () => {
    // Small steps: the join spans ~100 ring epochs, and about half of each step is its copies
    // to market-5, so polls see one under way (with 200 per step a fast handoff finished the
    // join between two polls).
    cp.kubectl(['patch', 'stsdb/market', '--type=merge', '-p', '{"spec":{"rebalance":{"maxVnodesPerStep":3}}}']);
    cp.kubectl(['scale', 'stsdb/market', '--replicas=6']);
    await waitFor('a pull to market-5 under way', () => {
      const ring = JSON.parse(JSON.parse(cp.kubectl(['get', 'configmap', 'market-placement', '-o', 'json']).stdout).data['ring.json']);
      return ring.pending.some((m: { to: string }) => m.to === 'market-5');
    });
    await runner.crash('market-5');
    const c = await waitFor('6 data-bearing replicas, ring settled', () => {
      const c = cluster();
      return c.status?.replicas === 6 && c.status?.phase === 'Running' ? c : null;
    }, 240_000);
    expect(runner.pod('market-5')!.restarts).toBeGreaterThanOrEqual(1);
    expect(c.status.rebalance.vnodesMoved).toBe(c.status.rebalance.vnodesTotal);
    expect(traffic!.report.readFailures).toEqual([]);
  }, 300_000);

  test('scale-down reversed mid-rebalance (6 → 3, then 4 while draining) settles on 4', async () => {
    const ringDoc = () => JSON.parse(JSON.parse(cp.kubectl(['get', 'configmap', 'market-placement', '-o', 'json']).stdout).data['ring.json']);
    const before = ringDoc().placement.epoch as number;
    // Small steps, so the drain spans many ring epochs and is still under way when the scale is
    // reversed (with 200 per step a fast handoff can finish it between two polls).
    cp.kubectl(['patch', 'stsdb/market', '--type=merge', '-p', '{"spec":{"rebalance":{"maxVnodesPerStep":10}}}']);
    cp.kubectl(['scale', 'stsdb/market', '--replicas=3']);
    // Under way: a step was published and the leaving nodes still hold replicas (this holds for
    // the whole drain, not only while a step's copies run).
    await waitFor('draining under way', () => {
      const ring = ringDoc();
      return ring.placement.epoch > before && ring.placement.nodes.length > 3;
    });
    cp.kubectl(['scale', 'stsdb/market', '--replicas=4']);
    cp.kubectl(['patch', 'stsdb/market', '--type=merge', '-p', '{"spec":{"rebalance":{"maxVnodesPerStep":200}}}']);
    await waitFor('4 replicas settled', () => {
      const c = cluster();
      return c.status?.replicas === 4 && c.status?.phase === 'Running' && runner.running().length === 4;
    }, 240_000);
    const ring = JSON.parse(JSON.parse(cp.kubectl(['get', 'configmap', 'market-placement', '-o', 'json']).stdout).data['ring.json']);
    expect(ring.placement.nodes).toEqual(['market-0', 'market-1', 'market-2', 'market-3']);
    expect(traffic!.report.readFailures).toEqual([]);
  }, 300_000);

  test('kubectl scale back to 3: leaving pods are drained first, then removed; every row stays readable', async () => {
    cp.kubectl(['scale', 'stsdb/market', '--replicas=3']);
    const c = await waitFor('3 replicas, ring settled, pods 3 and 4 gone', () => {
      const c = cluster();
      return c.status?.replicas === 3 && c.status?.phase === 'Running' && runner.running().length === 3 ? c : null;
    }, 240_000);
    expect(c.status.rebalance.vnodesMoved).toBe(c.status.rebalance.vnodesTotal);
    expect(runner.running()).toEqual(['market-0', 'market-1', 'market-2']);
    const sts = JSON.parse(cp.kubectl(['get', 'statefulset', 'market', '-o', 'json']).stdout);
    expect(sts.spec.replicas).toBe(3);
    const ring = JSON.parse(JSON.parse(cp.kubectl(['get', 'configmap', 'market-placement', '-o', 'json']).stdout).data['ring.json']);
    expect(ring.placement.nodes).toEqual(['market-0', 'market-1', 'market-2']);
    for (const n of ring.placement.nodes as string[]) {
      const q = await fetch(`${runner.pod(n)!.url}/v1/query?symbol=stock.SH.600519&start=1700000000&end=1700000100`);
      expect(((await q.json()) as { rows: unknown[] }).rows.length).toBe(50);
    }
    const events = cp.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=market', '-o', 'json']).stdout;
    expect(events).toContain('Draining');
    expect(events).toContain('ScalingDown');
    const t = traffic!;
    traffic = undefined;
    const report = await t.stop();
    const lost = await t.verifyAll();
    if (lost.length) lost.push(`pod logs saved in ${runner.saveLogs()}`);
    expect(lost).toEqual([]);
    expect(report.readFailures).toEqual([]);
    expect(report.writesAcked).toBeGreaterThan(50);
    console.log(`traffic during scaling: ${JSON.stringify({ ...report, readFailures: report.readFailures.length })}`);
  }, 300_000);

  test('scale-down while a pod is not Ready: refused with ScaleDownBlocked and an Event, nothing changes', async () => {
    runner.freeze('market-1', true); // hung process: its readiness probe fails
    try {
      await waitFor('market-1 not Ready', () => cluster().status?.readyReplicas === 2);
      const epoch = cluster().status.ringEpoch;
      cp.kubectl(['scale', 'stsdb/market', '--replicas=2']);
      const c = await waitFor('ScaleDownBlocked', () => {
        const c = cluster();
        const blocked = c.status?.conditions?.find((x: any) => x.type === 'ScaleDownBlocked');
        return blocked?.status === 'True' && blocked.observedGeneration === c.metadata.generation ? c : null;
      });
      expect(c.status.conditions.find((x: any) => x.type === 'ScaleDownBlocked').message).toContain('pods not Ready: market-1');
      await new Promise((r) => setTimeout(r, 2000));
      expect(JSON.parse(cp.kubectl(['get', 'statefulset', 'market', '-o', 'json']).stdout).spec.replicas).toBe(3);
      expect(cluster().status.ringEpoch).toBe(epoch);
      const events = cp.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=market,reason=ScaleDownBlocked', '-o', 'json']).stdout;
      expect(events).toContain('nothing was changed');
    } finally {
      cp.kubectl(['scale', 'stsdb/market', '--replicas=3']);
      runner.freeze('market-1', false);
    }
    await waitFor('unblocked and Running with 3', () => {
      const c = cluster();
      const blocked = c.status?.conditions?.find((x: any) => x.type === 'ScaleDownBlocked');
      return c.status?.phase === 'Running' && c.status.readyReplicas === 3 && blocked?.status === 'False';
    });
  }, 300_000);

  test('kubectl scale --replicas=1 is refused by the schema (replicas < replicationFactor); immutable fields stay', () => {
    const r = cp.kubectl(['scale', 'stsdb/market', '--replicas=1'], { allowFail: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('replicas must be at least replicationFactor');
    const rf = cp.kubectl(['patch', 'stsdb/market', '--type=merge', '-p', '{"spec":{"replicationFactor":3}}'], { allowFail: true });
    expect(rf.code).not.toBe(0);
    expect(rf.stderr).toContain('replicationFactor is immutable');
    const vn = cp.kubectl(['patch', 'stsdb/market', '--type=merge', '-p', '{"spec":{"vnodes":2000}}'], { allowFail: true });
    expect(vn.stderr).toContain('vnodes is immutable');
    expect(cluster().spec).toMatchObject({ replicas: 3, replicationFactor: 2, vnodes: 1000 });
  });

  test('paused: true freezes the StatefulSet; unpausing applies the change', async () => {
    cp.kubectl(['patch', 'stsdb/market', '--type=merge', '-p', '{"spec":{"paused":true}}']);
    await waitFor('phase Paused', () => cluster().status?.phase === 'Paused');
    cp.kubectl(['patch', 'stsdb/market', '--type=merge', '-p', '{"spec":{"config":{"cache":{"ttl":123}}}}']);
    await new Promise((r) => setTimeout(r, 3000));
    const cm = JSON.parse(cp.kubectl(['get', 'configmap', 'market-config', '-o', 'json']).stdout);
    expect(JSON.parse(cm.data['market-0.json']).cache.ttl).toBe(300);
    cp.kubectl(['patch', 'stsdb/market', '--type=merge', '-p', '{"spec":{"paused":false}}']);
    await waitFor('config applied after unpause', () => {
      const cm = JSON.parse(cp.kubectl(['get', 'configmap', 'market-config', '-o', 'json']).stdout);
      return JSON.parse(cm.data['market-0.json']).cache.ttl === 123;
    });
  }, 150_000);

  test('kubectl delete removes the cluster and everything it owns (finalizer)', async () => {
    const t = Date.now();
    cp.kubectl(['delete', 'stsdb/market', '--wait=true', '--timeout=120s']);
    console.log(`kubectl delete returned after ${Date.now() - t} ms`);
    expect(cp.kubectl(['get', 'stsdb', 'market'], { allowFail: true }).code).not.toBe(0);
    let lastLeft = '';
    await waitFor('owned objects garbage-collected', () => {
      const left = cp.kubectl(['get', 'statefulset,configmap,service,pdb,pods', '-l', 'app.kubernetes.io/instance=market', '-o', 'name']).stdout.trim();
      if (left !== lastLeft) console.log(`${Date.now() - t} ms: left ${left.split('\n').join(' ')}`);
      lastLeft = left;
      const placement = cp.kubectl(['get', 'configmap', 'market-placement'], { allowFail: true }).code;
      return left === '' && placement !== 0;
    });
    await waitFor('data-plane processes stopped', () => runner.running().length === 0);
    console.log(`owned objects and processes gone after ${Date.now() - t} ms`);
  }, 150_000);
});
