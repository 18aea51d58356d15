import { describe, expect, test } from 'vitest';
import { MemoryKubeApi } from './kube/memory-kube-api.ts';
import { LeaderElector } from './leader-election.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// A lease 20× the renew period: only a ~2 s stall of the test process (not ordinary scheduling
// noise on a loaded 2-core machine) could let the second candidate take over early.
const opts = (identity: string) => ({ namespace: 'ops', identity, leaseDurationMs: 2000, renewMs: 100, retryMs: 50 });

describe('LeaderElector', () => {
  test('one of two candidates leads; the other takes over after the leader stops renewing', async () => {
    const api = new MemoryKubeApi();
    const a = new LeaderElector(api, opts('a'));
    const b = new LeaderElector(api, opts('b'));
    await a.run(() => {});
    let bLeads = false;
    const bRun = b.run(() => {}).then(() => (bLeads = true));
    await sleep(600);
    expect(a.isLeader).toBe(true);
    expect(bLeads).toBe(false); // a keeps renewing, so b never sees an expired record
    // a dies without releasing: b must wait a full lease duration, then take over.
    (a as unknown as { stopped: boolean }).stopped = true;
    await bRun;
    expect(b.isLeader).toBe(true);
    const lease = await api.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: 'ops', name: 'stock-tsdb-operator' });
    expect((lease!.spec as { holderIdentity: string; leaseTransitions: number }).holderIdentity).toBe('b');
    expect((lease!.spec as { leaseTransitions: number }).leaseTransitions).toBe(1);
    await b.stop();
  });

  test('stop() releases the lease so a successor takes over without waiting', async () => {
    const api = new MemoryKubeApi();
    const a = new LeaderElector(api, { ...opts('a'), leaseDurationMs: 60_000 });
    await a.run(() => {});
    await a.stop();
    const b = new LeaderElector(api, { ...opts('b'), leaseDurationMs: 60_000 });
    const t0 = Date.now();
    await b.run(() => {});
    expect(Date.now() - t0).toBeLessThan(2000);
    await b.stop();
  });
});
