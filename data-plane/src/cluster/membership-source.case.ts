/**
 * Contract every MembershipSource passes: run by memory-membership.test.ts for the in-memory
 * source and by test/integration/consul.test.ts against a real Consul agent.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Member, MembershipSource, SelfRegistration, VersionedPlacement } from './membership.ts';
import { planPlacement } from './planner.ts';

/** What the contract needs from a backend besides the source itself. */
export interface MembershipHarness {
  source: MembershipSource;
  /** Prepares a node whose health the backend will see as passing (does not register it). */
  startNode(id: string): Promise<SelfRegistration>;
  /** Makes the node's health fail as the backend sees it (Consul: its /health server stops). */
  failNode(id: string): Promise<void>;
  /** Most time the backend may take to notice a registration or health change, ms. */
  settleMs: number;
  /** Releases everything the harness started, the source included. */
  close(): Promise<void>;
}

/** Polls `probe` until it returns a value other than undefined; fails after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const opts = { vnodes: 64, replicationFactor: 2 };

/** Registers the MembershipSource contract tests for one implementation. */
export function describeMembershipContract(name: string, make: () => Promise<MembershipHarness>): void {
  describe(`${name} (MembershipSource contract)`, () => {
    let h: MembershipHarness;
    let made: MembershipHarness | undefined;
    beforeEach(async () => {
      made = undefined;
      h = made = await make();
    });
    afterEach(async () => {
      await made?.close();
    });

    const healthyIds = (ms: Member[]) => ms.filter((m) => m.healthy).map((m) => m.id);

    it('register() makes members that members() lists, sorted, with address and port', async () => {
      const b = await h.startNode('node-b');
      const a = await h.startNode('node-a');
      await h.source.register(b);
      await h.source.register(a);
      const ms = await waitFor('both healthy', h.settleMs, async () => {
        const ms = await h.source.members();
        return healthyIds(ms).length === 2 ? ms : undefined;
      });
      expect(ms.map((m) => m.id)).toEqual(['node-a', 'node-b']);
      expect(ms[0]).toMatchObject({ address: a.address, port: a.port, healthy: true });
      await h.source.register(a); // idempotent
      expect((await h.source.members()).map((m) => m.id)).toEqual(['node-a', 'node-b']);
    });

    it('onMembersChanged() reports joins, health changes and leaves', async () => {
      const seen: Member[][] = [];
      const off = h.source.onMembersChanged((ms) => seen.push(ms));
      const a = await h.startNode('node-a');
      await h.source.register(a);
      const joined = (ms: Member[]) => ms.some((m) => m.id === 'node-a' && m.healthy);
      await waitFor('node-a healthy event', h.settleMs, () => (seen.some(joined) ? true : undefined));
      await h.failNode('node-a');
      const failed = (ms: Member[]) => ms.some((m) => m.id === 'node-a' && !m.healthy);
      await waitFor('node-a unhealthy event', h.settleMs, () => (seen.some(failed) ? true : undefined));
      await h.source.deregister('node-a');
      await waitFor('node-a gone', h.settleMs, () => (seen.at(-1)!.length === 0 ? true : undefined));
      off();
      const count = seen.length;
      await h.source.register(await h.startNode('node-c'));
      await new Promise((r) => setTimeout(r, 100));
      expect(seen.length).toBe(count); // unsubscribed
    });

    it('deregister() of an unknown node is not an error', async () => {
      await expect(h.source.deregister('never-registered')).resolves.toBeUndefined();
    });

    it('getPlacement() is null until the first casPlacement(p, null)', async () => {
      expect(await h.source.getPlacement()).toBeNull();
      const p = planPlacement(null, ['a', 'b'], opts);
      expect(await h.source.casPlacement(p, null)).toBe(true);
      const got = await h.source.getPlacement();
      expect(got!.placement).toEqual(p);
      expect(got!.version).toBeGreaterThan(0);
    });

    it('casPlacement() succeeds only against the current version', async () => {
      const p1 = planPlacement(null, ['a', 'b'], opts);
      expect(await h.source.casPlacement(p1, null)).toBe(true);
      expect(await h.source.casPlacement(p1, null)).toBe(false); // exists already
      const v1 = (await h.source.getPlacement())!.version;
      const p2 = planPlacement(p1, ['a', 'b', 'c'], opts);
      expect(await h.source.casPlacement(p2, v1)).toBe(true);
      const p3 = planPlacement(p2, ['a', 'c'], opts);
      expect(await h.source.casPlacement(p3, v1)).toBe(false); // stale
      expect((await h.source.getPlacement())!.placement).toEqual(p2);
    });

    it('of two concurrent casPlacement() calls with the same expectation, exactly one wins', async () => {
      let expected: number | null = null;
      let current = planPlacement(null, ['a', 'b'], opts);
      for (let round = 0; round < 10; round++) {
        const left = planPlacement(current, ['a', 'b', `l${round}`], opts);
        const right = planPlacement(current, ['a', 'b', `r${round}`], opts);
        const results = await Promise.all([h.source.casPlacement(left, expected), h.source.casPlacement(right, expected)]);
        expect(results.filter(Boolean)).toHaveLength(1);
        const stored = (await h.source.getPlacement())!;
        expect(stored.placement).toEqual(results[0] ? left : right);
        expected = stored.version;
        current = stored.placement;
      }
    });

    it('onPlacementChanged() reports the current document, then each new version', async () => {
      const seen: (VersionedPlacement | null)[] = [];
      const off = h.source.onPlacementChanged((p) => seen.push(p));
      await waitFor('initial null', h.settleMs, () => (seen.length > 0 ? true : undefined));
      expect(seen[0]).toBeNull();
      const p = planPlacement(null, ['a', 'b'], opts);
      await h.source.casPlacement(p, null);
      const got = await waitFor('new placement', h.settleMs, () => seen.find((x) => x !== null) ?? undefined);
      expect(got.placement).toEqual(p);
      expect(got.version).toBe((await h.source.getPlacement())!.version);
      off();
    });
  });
}
