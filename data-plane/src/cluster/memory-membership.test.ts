import { describe, expect, it } from 'vitest';
import { MemoryMembership } from './memory-membership.ts';
import { describeMembershipContract } from './membership-source.case.ts';

describeMembershipContract('MemoryMembership', async () => {
  const source = new MemoryMembership();
  let port = 7000;
  return {
    source,
    startNode: async (id) => ({ id, address: '127.0.0.1', port: ++port, healthUrl: `http://127.0.0.1:${port + 1000}/health` }),
    failNode: async (id) => source.setHealthy(id, false),
    settleMs: 1000,
    close: () => source.close(),
  };
});

describe('MemoryMembership', () => {
  it('keeps a member unhealthy across re-registration until the checker says otherwise', async () => {
    const m = new MemoryMembership();
    const self = { id: 'n1', address: '127.0.0.2', port: 1, healthUrl: 'http://127.0.0.2:2/health' };
    await m.register(self);
    m.setHealthy('n1', false);
    await m.register(self);
    expect((await m.members())[0]!.healthy).toBe(false);
    expect(() => m.setHealthy('nobody', true)).toThrow(/no member "nobody"/);
  });

  it('reports a throwing listener and still serves the others', async () => {
    const errors: unknown[] = [];
    const m = new MemoryMembership((err) => errors.push(err));
    const seen: number[] = [];
    m.onMembersChanged(() => {
      throw new Error('listener broke');
    });
    m.onMembersChanged((ms) => seen.push(ms.length));
    await m.register({ id: 'n1', address: 'h', port: 1, healthUrl: 'http://h:2/health' });
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([0, 1]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['listener broke', 'listener broke']);
  });
});
