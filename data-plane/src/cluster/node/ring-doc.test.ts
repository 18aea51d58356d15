import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors.ts';
import { MemoryKvStore } from '../../storage/memory-kv-store.ts';
import { encodePlacement } from '../placement.ts';
import { planPlacement } from '../planner.ts';
import { parseRingDoc, ringDocToJson } from './ring-doc.ts';
import { loadRingDoc, saveRingDoc } from './ring-persistence.ts';
import { RingView } from './ring-view.ts';
import { staticRing } from './static-ring.ts';

const members = [{ id: 'n1', address: '127.0.0.2:7001' }, { id: 'n2', address: '127.0.0.3:7001' }, { id: 'n3', address: '127.0.0.4:7001' }];
const placement = planPlacement(null, ['n1', 'n2', 'n3'], { vnodes: 64, replicationFactor: 2 });

describe('parseRingDoc()', () => {
  it('accepts the plain and the compact placement form alike, and round-trips', () => {
    const plain = parseRingDoc(JSON.parse(JSON.stringify({ placement, members })));
    const compact = parseRingDoc({ placement: JSON.parse(encodePlacement(placement)), pending: null, members });
    expect(plain).toEqual(compact);
    expect(plain.pending).toEqual([]);
    expect(parseRingDoc(JSON.parse(JSON.stringify(ringDocToJson(plain))))).toEqual(plain);
  });

  it.each([
    [{ placement, members: members.slice(0, 2) }, /placement node "n3" has no entry in members/],
    [{ placement, members: [...members, members[0]] }, /members lists "n1" twice/],
    [{ placement, members: [{ id: 'n1', address: 'nope' }] }, /members\[0\].address "nope"/],
    [{ placement: { ...placement, epoch: -1 }, members }, /epoch -1/],
    [{ placement, members, pending: [{ vnode: 64, from: 'n1', to: 'n2', replicaIndex: 0 }] }, /pending\[0\].vnode 64 is outside 0..63/],
    [{ placement, members, pending: [{ vnode: 1, from: 'n1', to: 'n4', replicaIndex: 0 }] }, /goes to "n4", which has no entry/],
    ['x', /expected a JSON object/],
  ])('refuses %#', (doc, msg) => {
    expect(() => parseRingDoc(JSON.parse(JSON.stringify(doc)))).toThrow(msg);
    expect(() => parseRingDoc(JSON.parse(JSON.stringify(doc)))).toThrow(ValidationError);
  });
});

describe('RingView', () => {
  it('routes owners, pending receivers that are not owners yet, and addresses', () => {
    const v0owners = placement.owners[0]!;
    const outsider = ['n1', 'n2', 'n3'].find((n) => !v0owners.includes(n))!;
    const doc = parseRingDoc({ placement, members, pending: [{ vnode: 0, from: v0owners[1], to: outsider, replicaIndex: 1 }, { vnode: 1, from: null, to: placement.owners[1]![0], replicaIndex: 0 }] });
    const view = new RingView(doc, 'n1');
    expect(view.owners(0)).toEqual(v0owners);
    expect(view.pendingTargets(0)).toEqual([outsider]);
    expect(view.pendingTargets(1)).toEqual([]); // already an owner
    expect(view.addressOf('n2')).toBe('127.0.0.3:7001');
    expect(view.peers().map((p) => p.id)).toEqual(['n2', 'n3']);
    expect(view.vnodesOwned()).toBe(placement.owners.filter((os) => os.includes('n1')).length);
  });
});

describe('ring persistence and the static ring', () => {
  it('stores the document in the engine meta key and reads it back; a damaged copy is corruption', async () => {
    const kv = new MemoryKvStore();
    expect(await loadRingDoc(kv)).toBeNull();
    const doc = staticRing(members, { vnodes: 64, replicationFactor: 2 })!;
    expect(doc.placement).toEqual(placement); // every node plans the same ring from the same list
    await saveRingDoc(kv, doc);
    expect(await loadRingDoc(kv)).toEqual(doc);
    const key = Buffer.from('\xff\xffMring', 'latin1');
    const v = Buffer.from((await kv.get(key))!);
    v[20] ^= 1;
    await kv.write([{ type: 'put', key, value: v }]);
    await expect(loadRingDoc(kv)).rejects.toThrow(/meta\/ring/);
    expect(staticRing([], { vnodes: 64, replicationFactor: 2 })).toBeNull();
  });
});
