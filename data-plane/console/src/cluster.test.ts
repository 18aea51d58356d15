import { describe, expect, it } from 'vitest';
import { readCluster } from './cluster.mts';

const MEMBERS = [
  { id: 'n1', address: '127.0.0.11:7000' },
  { id: 'n2', address: '127.0.0.12:7000' },
  { id: 'n3', address: '127.0.0.13:7000' },
];

describe('readCluster()', () => {
  it('reads a ring document with the stored placement form (owners as node indexes)', () => {
    const ring = {
      self: 'n1',
      placement: { format: 1, epoch: 7, vnodes: 4, rf: 2, nodes: ['n1', 'n2', 'n3'], owners: [[0, 1], [1, 2], [2, 0], [0, 2]] },
      pending: [{ vnode: 1, from: 'n2', to: 'n1', replicaIndex: 0 }],
      members: MEMBERS,
      peers: [{ id: 'n2', up: true }, { id: 'n3', up: false }],
    };
    const handoff = { jobs: [{ vnode: 1, from: 'n2', state: 'running', rows: 10, bytes: 4096 }, { vnode: 3, from: 'n3', state: 'done', rows: 5, bytes: 1024 }] };
    const c = readCluster(ring, handoff);
    expect(c).toMatchObject({ epoch: 7, vnodes: 4, replicationFactor: 2, self: 'n1', progress: 0.5 });
    expect(c.nodes).toEqual([
      { id: 'n1', address: '127.0.0.11:7000', healthy: true, vnodes: 3, primaries: 2, incoming: 1, outgoing: 0 },
      { id: 'n2', address: '127.0.0.12:7000', healthy: true, vnodes: 2, primaries: 1, incoming: 0, outgoing: 1 },
      { id: 'n3', address: '127.0.0.13:7000', healthy: false, vnodes: 3, primaries: 1, incoming: 0, outgoing: 0 },
    ]);
    expect(c.pending).toEqual([{ vnode: 1, from: 'n2', to: 'n1' }]);
  });

  it('reads the plain placement form (owners as ids), without health or jobs', () => {
    const c = readCluster({ placement: { epoch: 2, vnodes: 2, replicationFactor: 1, nodes: ['a', 'b'], owners: [['a'], ['b']] }, pending: null, members: [] });
    expect(c.nodes.map((n) => [n.id, n.vnodes, n.healthy])).toEqual([['a', 1, null], ['b', 1, null]]);
    expect(c.progress).toBeNull();
    expect(c.jobs).toEqual([]);
  });

  it('survives answers of an unexpected shape', () => {
    for (const v of [null, 42, 'x', [], { placement: 'nope', members: 3 }]) {
      expect(readCluster(v, v).nodes).toEqual([]);
    }
  });
});
