import { describe, expect, test } from 'vitest';
import { KubeApiError, type KubeApi, type WatchEvent } from './kube/kube-api.ts';
import { MemoryKubeApi } from './kube/memory-kube-api.ts';
import { ResourceWatcher } from './watcher.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls `cond` (timers on a loaded 2-core machine run late: wait for the state, not a time). */
async function eventually(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(5);
  }
}
const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, data: {} });
const SEL = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' };

describe('ResourceWatcher', () => {
  test('reports listed objects, then watched changes and deletions', async () => {
    const api = new MemoryKubeApi();
    await api.create(cm('a'));
    const seen: string[] = [];
    const w = new ResourceWatcher(api, SEL, (o, deleted) => seen.push(`${deleted ? '-' : '+'}${o.metadata.name}`));
    await w.start();
    await api.create(cm('b'));
    await api.delete({ ...SEL, name: 'a' });
    await eventually(() => seen.length >= 3);
    expect(seen).toEqual(['+a', '+b', '-a']);
    await w.stop();
  });

  test('relists after a watch error (e.g. 410 Gone) and after the relist period', async () => {
    const api = new MemoryKubeApi();
    await api.create(cm('a'));
    let lists = 0;
    let watches = 0;
    const flaky: KubeApi = Object.create(api);
    flaky.list = async (sel) => (lists++, api.list(sel));
    flaky.watch = async (sel, on: (e: WatchEvent) => void) => {
      watches++;
      if (watches === 1) return { done: Promise.reject(new KubeApiError('gone', 410)), abort() {} };
      return api.watch(sel, on);
    };
    const errors: unknown[] = [];
    const w = new ResourceWatcher(flaky, SEL, () => {}, { backoffMs: 5, relistMs: 40, onError: (e) => errors.push(e) });
    await w.start();
    await eventually(() => lists >= 3); // initial, after the error, after a relist period
    await w.stop();
    expect(errors.length).toBe(1);
  });

  test('keeps retrying while the API is down', async () => {
    const api = new MemoryKubeApi();
    let fail = 3;
    const down: KubeApi = Object.create(api);
    down.list = async (sel) => {
      if (fail-- > 0) throw new KubeApiError('connection refused', 0);
      return api.list(sel);
    };
    const w = new ResourceWatcher(down, SEL, () => {}, { backoffMs: 5 });
    await w.start();
    expect(fail).toBe(-1);
    await w.stop();
  });
});
