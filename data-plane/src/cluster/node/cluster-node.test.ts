/**
 * ClusterNode in process: three nodes over real engines (MemoryKvStore, real codec workers) and
 * an in-process transport whose "network" a test can cut per node. The real-process version with
 * kill -9 is test/integration/cluster-failover.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OverloadError, ValidationError } from '../../errors.ts';
import { fastPathAvailable, parseLineProtocolFastWithWal } from '../../ingest/lp-fast-path.ts';
import { PackedWriteBatch } from '../../ingest/packed-batch.ts';
import type { SeriesRows, WriteBatch } from '../../model.ts';
import { Engine } from '../../storage/engine.ts';
import { MemoryKvStore } from '../../storage/memory-kv-store.ts';
import { vnodeOf } from '../../storage/vnode-of.ts';
import { planPlacement } from '../planner.ts';
import type { Consistency } from './ack-policy.ts';
import { ClusterNode, type ClusterNodeOptions, RingEpochConflict } from './cluster-node.ts';
import { InProcessTransport } from './in-process-transport.test-util.ts';
import type { RingDoc } from './ring-doc.ts';

const V = 32;
const IDS = ['n1', 'n2', 'n3'];
const RING: RingDoc = {
  placement: planPlacement(null, IDS, { vnodes: V, replicationFactor: 2 }),
  pending: [],
  members: IDS.map((id, i) => ({ id, address: `127.0.0.${i + 2}:1` })),
};
const owners = (symbol: string) => RING.placement.owners[vnodeOf(symbol, V)]!;
/** A symbol whose vnode is owned by exactly `want` (in any order). */
const symbolOwnedBy = (...want: string[]) => {
  for (let i = 0; ; i++) {
    const s = `stock.SH.${600000 + i}`;
    const os = owners(s);
    if (os.length === want.length && want.every((w) => os.includes(w))) return s;
  }
};
const rows = (symbol: string, t0: number, n: number): SeriesRows => ({
  symbol,
  ts: Float64Array.from({ length: n }, (_, i) => (t0 + i) * 1e6),
  columns: new Map([['price', Float64Array.from({ length: n }, (_, i) => t0 + i / 100)]]),
});
const batchOf = (...series: SeriesRows[]): WriteBatch => ({ series, rowCount: series.reduce((k, s) => k + s.ts.length, 0) });
const until = async (what: string, cond: () => boolean | Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('ClusterNode (in process)', () => {
  const open: ClusterNode[] = [];
  afterEach(async () => {
    for (const n of open.splice(0)) await n.close();
  });

  async function cluster(levels: Record<string, Consistency> = {}, ids = IDS, healthIntervalMs = 20) {
    const t = new InProcessTransport();
    for (const id of ids) t.nodes.set(id, await node(t, id, levels[id] ?? 'quorum', RING, healthIntervalMs));
    return { t, n: (id: string) => t.nodes.get(id)! };
  }

  async function node(t: InProcessTransport, id: string, level: Consistency, ring: RingDoc | null = RING, healthIntervalMs = 20, extra: Partial<ClusterNodeOptions> = {}) {
    const engine = await Engine.open({ dataDir: `mem-${id}`, vnodes: V, workerThreads: 1, idleSealMs: 3_600_000 }, { kv: new MemoryKvStore() });
    const n = await ClusterNode.open({ self: id, engine, vnodes: V, consistency: level, transport: t, initialRing: ring, healthIntervalMs, failuresToDown: 2, catchUpMaxWaitMs: 5000, ...extra });
    open.push(n);
    return n;
  }

  const localRows = async (n: ClusterNode, symbol: string) => (await n.engine.readRange({ symbol, start: 0, end: 1e15 })).ts.length;

  it('stores each row on both owners of its vnode only, and reads it back through every node', async () => {
    const { n } = await cluster();
    const symbols = Array.from({ length: 24 }, (_, i) => `stock.SZ.${i}`);
    expect(await n('n1').write(batchOf(...symbols.map((s, i) => rows(s, 1000 + i, 5))))).toEqual({ written: 120 });
    for (const s of symbols) {
      for (const id of IDS) expect(await localRows(n(id), s), `${s} on ${id}`).toBe(owners(s).includes(id) ? 5 : 0);
      for (const id of IDS) expect((await n(id).readRange({ symbol: s, start: 0, end: 1e15 })).ts.length).toBe(5);
    }
    expect(await n('n2').symbols('stock.SZ.')).toEqual([...symbols].sort());
    const latest = await n('n3').latest([symbols[0]!, 'nope', symbols[1]!]);
    expect(latest.map((d) => d?.ts[0] ?? null)).toEqual([1004e6, null, 1005e6]);
    const c = await n('n1').candles({ symbol: symbols[2]!, start: 0, end: 1e15, interval: '1d', tz: 'UTC' });
    expect(c.ts.length).toBe(1);
  });

  it('acknowledges quorum writes with a hint while an owner is unreachable, then replays it in order', async () => {
    const { t, n } = await cluster({ n2: 'all' });
    const s = symbolOwnedBy('n1', 'n3');
    t.down.add('n3');
    await n('n1').write(batchOf(rows(s, 0, 3)));
    await n('n1').write(batchOf({ ...rows(s, 0, 1), columns: new Map([['price', Float64Array.of(42)]]) })); // upsert of t=0
    expect(n('n1').hints.pending('n3')).toBe(2);
    expect(await localRows(n('n3'), s)).toBe(0);
    // all: n2 coordinates for owners n1 + n3, one unreachable → 503 naming vnode and node
    const err = await n('n2').write(batchOf(rows(s, 10, 1))).catch((e) => e);
    expect(err).toBeInstanceOf(OverloadError);
    expect(err.status).toBe(503);
    expect(err.message).toContain(`vnode ${vnodeOf(s, V)}: 1 of 2 owners stored it; unreachable: n3`);
    // reads keep working through every node, n3 excluded (it is "down")
    expect((await n('n2').readRange({ symbol: s, start: 0, end: 1e15 })).ts.length).toBe(4);

    t.down.delete('n3');
    await until('hints replayed', () => n('n1').hints.pending('n3') === 0 && n('n2').hints.pending('n3') === 0);
    const back = await n('n3').engine.readRange({ symbol: s, start: 0, end: 1e15 });
    expect([...back.ts]).toEqual([0, 1e6, 2e6, 10e6]);
    expect(back.values[0]![0]).toBe(42); // replay kept the order: the later upsert won
    expect(n('n1').counters.hintsReplayed).toBe(2);
  });

  it('forwards the parts of a request the fast path parsed as slices of its version-2 record, as hints too', async () => {
    expect(fastPathAvailable()).toBe(true); // built by scripts/build-wasm.sh (npm test's pretest)
    const { t, n } = await cluster();
    const symbols = Array.from({ length: 24 }, (_, i) => `stock.SZ.${i}`);
    const lines = symbols.flatMap((s, i) => [0, 1, 2].map((k) => `bars,symbol=${s} price=${i}.${k}5,volume=${k}i ${(1000 + k) * 1e9}`));
    const parsed = parseLineProtocolFastWithWal(new TextEncoder().encode(lines.join('\n')), 'ns')!;
    parsed.packed.walRecordV2 = parsed.walRecord!; // what the ingest workers attach for a coordinator
    await until('n1 pinged n2 and n3', () => n('n1').health.acceptsWalRecordV2('n2') && n('n1').health.acceptsWalRecordV2('n3'));
    t.down.add('n3'); // n3's parts are held as hints, then replayed
    expect(await n('n1').write(new PackedWriteBatch(parsed.packed))).toEqual({ written: 72 });
    expect(n('n1').hints.pending('n3')).toBe(1);
    t.down.delete('n3');
    await until('hints replayed', () => n('n1').hints.pending('n3') === 0);
    expect(t.recordVersions.get('n2')).toEqual([2]);
    expect(t.recordVersions.get('n3')).toEqual([2]);
    expect([n('n1').counters.peerPartsV1, n('n1').counters.peerPartsV2]).toEqual([0, 2]);
    for (const [i, s] of symbols.entries()) {
      for (const id of owners(s)) {
        const got = await n(id).engine.readRange({ symbol: s, start: 0, end: 1e15 });
        expect([...got.ts], `${s} on ${id}`).toEqual([1000e6, 1001e6, 1002e6]);
        expect(got.fields, `${s} on ${id}`).toEqual(['price', 'volume']);
        expect([...got.values[0]!], `${s} on ${id}`).toEqual([0, 1, 2].map((k) => Number(`${i}.${k}5`)));
        expect([...got.values[1]!], `${s} on ${id}`).toEqual([0, 1, 2]);
      }
    }
  });

  it('sends version 1 to a peer whose ping answer does not list version 2 (a node from before it)', async () => {
    const { t, n } = await cluster();
    t.withoutWalRecordV2.add('n2');
    await until('n1 knows what n2 and n3 take', () => !n('n1').health.acceptsWalRecordV2('n2') && n('n1').health.acceptsWalRecordV2('n3'));
    const symbols = Array.from({ length: 24 }, (_, i) => `stock.SZ.${i}`);
    const lines = symbols.map((s, i) => `bars,symbol=${s} price=${i}.5 ${1000e9}`);
    const parsed = parseLineProtocolFastWithWal(new TextEncoder().encode(lines.join('\n')), 'ns')!;
    parsed.packed.walRecordV2 = parsed.walRecord!;
    expect(await n('n1').write(new PackedWriteBatch(parsed.packed))).toEqual({ written: 24 });
    expect(t.recordVersions.get('n2')).toEqual([1]);
    expect(t.recordVersions.get('n3')).toEqual([2]);
    expect([n('n1').counters.peerPartsV1, n('n1').counters.peerPartsV2]).toEqual([1, 1]);
    for (const [i, s] of symbols.entries()) {
      for (const id of owners(s)) expect([...(await n(id).engine.readRange({ symbol: s, start: 0, end: 1e15 })).values[0]!], `${s} on ${id}`).toEqual([i + 0.5]);
    }
  });

  it('stops hinting a target past its hint bound, so a long outage fails writes instead of filling the disk', async () => {
    const t = new InProcessTransport();
    const engine = await Engine.open({ dataDir: 'mem-cap', vnodes: V, workerThreads: 1 }, { kv: new MemoryKvStore() });
    const n1 = await ClusterNode.open({ self: 'n1', engine, vnodes: V, consistency: 'quorum', transport: t, initialRing: RING, maxHintBytesPerTarget: 600 });
    open.push(n1);
    t.nodes.set('n1', n1);
    const s = symbolOwnedBy('n1', 'n2');
    await n1.write(batchOf(rows(s, 0, 10))); // n2 does not exist: hinted (~200 bytes)
    await n1.write(batchOf(rows(s, 10, 10)));
    const err = await n1.write(batchOf(rows(s, 20, 20))).catch((e) => e);
    expect(err).toBeInstanceOf(OverloadError);
    expect(err.message).toMatch(/hints for n2 are full \(\d+ of 600 bytes\)/);
    expect(n1.hints.pending('n2')).toBe(2);
  });

  it('never acknowledges on hints alone, and fails with the vnode and both owners named', async () => {
    const { t, n } = await cluster({ n1: 'one' });
    const s = symbolOwnedBy('n2', 'n3');
    t.down.add('n2').add('n3');
    const err = await n('n1').write(batchOf(rows(s, 0, 1))).catch((e) => e);
    expect(err).toBeInstanceOf(OverloadError);
    expect(err.message).toMatch(new RegExp(`vnode ${vnodeOf(s, V)}: no owner stored it .*unreachable: n[23] .*n[23] `));
    expect(n('n1').counters.writesUnacknowledged).toBe(1);
    // reads fail only when no owner can answer
    await expect(n('n1').readRange({ symbol: s, start: 0, end: 1 })).rejects.toThrow(/no owner of vnode .* could answer/);
  });

  it('falls back to the next owner on a failed read, and rethrows a caller fault at once', async () => {
    const { t, n } = await cluster();
    const s = symbolOwnedBy('n2', 'n3');
    await n('n1').write(batchOf(rows(s, 0, 2)));
    t.down.add(owners(s)[0]!);
    expect((await n('n1').readRange({ symbol: s, start: 0, end: 1e15 })).ts.length).toBe(2);
    expect((await n('n1').latest([s]))[0]?.ts.length).toBe(1);
    expect(n('n1').counters.readFallbacks).toBeGreaterThanOrEqual(1);
    await expect(n('n1').candles({ symbol: s, start: 0, end: 1e15, interval: 'fortnight', tz: 'UTC' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('a node that starts while a peer holds hints for it forwards reads until they are delivered', async () => {
    const t = new InProcessTransport();
    for (const id of ['n1', 'n2']) t.nodes.set(id, await node(t, id, 'quorum'));
    const s = symbolOwnedBy('n1', 'n3');
    await t.nodes.get('n1')!.write(batchOf(rows(s, 0, 4))); // n3 does not exist yet: hinted
    expect(t.nodes.get('n1')!.hints.pending('n3')).toBe(1);
    t.down.add('n3'); // not reachable until the test says so
    await until('n1 ready (it stops waiting for n3 once n3 is seen down)', () => t.nodes.get('n1')!.ready);
    const n3 = await node(t, 'n3', 'quorum');
    t.nodes.set('n3', n3);
    expect(n3.ready).toBe(false);
    expect((await n3.readRange({ symbol: s, start: 0, end: 1e15 })).ts.length).toBe(4); // from n1
    t.down.delete('n3');
    await until('n3 caught up', () => n3.ready);
    expect(await localRows(n3, s)).toBe(4);
  });

  it('applies only rings with a higher epoch and the same vnode count, and persists them', async () => {
    const { n } = await cluster({}, ['n1']);
    const n1 = n('n1');
    await expect(n1.applyRing(RING)).rejects.toBeInstanceOf(RingEpochConflict);
    const next = { ...RING, placement: { ...RING.placement, epoch: 2 } };
    await n1.applyRing(next);
    expect(n1.view?.epoch).toBe(2);
    const other = planPlacement(null, IDS, { vnodes: 16, replicationFactor: 2 });
    await expect(n1.applyRing({ ...RING, placement: { ...other, epoch: 3 } })).rejects.toThrow(/16 vnodes, this node's data uses 32/);
    const { loadRingDoc } = await import('./ring-persistence.ts');
    expect((await loadRingDoc(n1.engine.kv))?.placement.epoch).toBe(2);
  });

  it('finishes applying a ring only after the writes it routed by the previous ring have finished', async () => {
    // Otherwise a handoff copy started once every node applied the new ring could still miss a
    // write on its way to an old owner only.
    const { t, n } = await cluster();
    const s = symbolOwnedBy('n2', 'n3'); // n1 coordinates; both owners are remote
    let release!: () => void;
    t.hold = new Promise<void>((r) => (release = r));
    const write = n('n1').write(batchOf(rows(s, 5000, 5)));
    let applied = false;
    const apply = n('n1')
      .applyRing({ ...RING, placement: { ...RING.placement, epoch: 2 } })
      .then(() => (applied = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(n('n1').view?.epoch).toBe(2); // routes by the new ring already
    expect(applied).toBe(false); // but is not done while the old ring's write is in flight
    t.hold = null;
    release();
    expect(await write).toEqual({ written: 5 });
    await apply;
    expect(applied).toBe(true);
    for (const id of ['n2', 'n3']) expect(await localRows(n(id), s)).toBe(5);
    // Writes routed by the new ring do not hold up the next change.
    await n('n1').write(batchOf(rows(s, 6000, 5)));
    await n('n1').applyRing({ ...RING, placement: { ...RING.placement, epoch: 3 } });
  });

  it('a coordinator that missed ring changes is refused by newer owners, fetches their ring and routes again', async () => {
    // As a node just removed from the ring (no longer sent rings) that still takes client
    // requests: its writes to the old owners could miss a copy that already ran. (No pings after
    // the first: they would bring the ring up to date on their own; see the next test.)
    const { n } = await cluster({}, IDS, 3_600_000);
    const moved = (from: string[], to: string[], epoch: number): RingDoc => {
      const s = symbolOwnedBy(...from);
      const owners = RING.placement.owners.map((o, v) => (v === vnodeOf(s, V) ? to : o));
      return { ...RING, placement: { ...RING.placement, epoch, owners } };
    };
    // Write: n1 (stale, epoch 1) coordinates a write of a vnode that moved from n1+n2 to n2+n3.
    const w = symbolOwnedBy('n1', 'n2');
    const ring2 = moved(['n1', 'n2'], ['n2', 'n3'], 2);
    await n('n2').applyRing(ring2);
    await n('n3').applyRing(ring2);
    expect(await n('n1').write(batchOf(rows(w, 0, 5)))).toEqual({ written: 5 });
    expect(await localRows(n('n3'), w)).toBe(5); // the new owner has it
    expect(await localRows(n('n2'), w)).toBe(5);
    expect(n('n1').view?.epoch).toBe(2);
    expect(n('n1').counters.staleRingReroutes).toBe(1);

    // Read: n1 (stale again, epoch 2) reads a vnode that moved from n2+n3 to n1+n3; the rows went
    // through n3 (epoch 3) to n1 and n3 only, so n2, the old owner n1 would ask, misses them.
    const r = symbolOwnedBy('n2', 'n3');
    const ring3 = { ...ring2, placement: { ...ring2.placement, epoch: 3, owners: ring2.placement.owners.map((o, v) => (v === vnodeOf(r, V) ? ['n1', 'n3'] : o)) } };
    await n('n2').applyRing(ring3);
    await n('n3').applyRing(ring3);
    await n('n3').write(batchOf(rows(r, 100, 4)));
    expect(await localRows(n('n2'), r)).toBe(0);
    expect((await n('n1').readRange({ symbol: r, start: 0, end: 1e15 })).ts.length).toBe(4);
    expect(n('n1').view?.epoch).toBe(3);
  });

  it('a replayed hint stores only the rows of vnodes its target still holds; rows of moved vnodes are declined', async () => {
    const { t, n } = await cluster();
    const moves = symbolOwnedBy('n1', 'n3'); // its vnode moves from n1+n3 to n1+n2 while n3 is away
    const stays = symbolOwnedBy('n2', 'n3');
    t.down.add('n3');
    await until('n3 seen down', () => !n('n1').health.isUp('n3'));
    await n('n1').write(batchOf(rows(moves, 0, 3), rows(stays, 0, 4)));
    expect(n('n1').hints.pending('n3')).toBe(1);
    expect((await n('n1').hints.peek('n3', 1))[0]!.epoch).toBe(1);
    const owners = RING.placement.owners.map((o, v) => (v === vnodeOf(moves, V) ? ['n1', 'n2'] : o));
    const ring2: RingDoc = { ...RING, placement: { ...RING.placement, epoch: 2, owners } };
    for (const id of IDS) await n(id).applyRing(ring2);
    // A hint routed by a ring newer than the target's is stored whole: the target cannot tell yet.
    const probe = batchOf(rows(moves, 50, 2));
    expect(n('n3').acceptHint(probe, 3)).toBe(probe);
    expect(n('n3').acceptHint(probe, 2).rowCount).toBe(0);
    expect(n('n3').counters.hintRowsDeclined).toBe(2);

    t.down.delete('n3');
    await until('hint replayed', () => n('n1').hints.pending('n3') === 0);
    expect(await localRows(n('n3'), stays)).toBe(4);
    expect(await localRows(n('n3'), moves)).toBe(0); // no orphan rows on a node that left the vnode
    expect(n('n3').counters.hintRowsDeclined).toBe(2 + 3);
    expect(n('n1').counters.hintsReplayed).toBe(1);
  });

  it('drops the rows of a vnode a ring change took away after a grace period, unless a later ring gave it back', async () => {
    const t = new InProcessTransport();
    // A grace period long enough that the "still there" check below cannot race it on a busy machine.
    for (const id of IDS) t.nodes.set(id, await node(t, id, 'quorum', RING, 20, { dropLostVnodesAfterMs: 1500 }));
    const n = (id: string) => t.nodes.get(id)!;
    const gone = symbolOwnedBy('n1', 'n3');
    const back = symbolOwnedBy('n2', 'n3');
    await n('n1').write(batchOf(rows(gone, 0, 3), rows(back, 0, 4)));
    const place = (epoch: number, moves: [string, string[]][]): RingDoc => {
      const owners = RING.placement.owners.map((o, v) => moves.find(([s]) => vnodeOf(s, V) === v)?.[1] ?? o);
      return { ...RING, placement: { ...RING.placement, epoch, owners } };
    };
    // Epoch 2 takes both vnodes from n3; epoch 3, within the grace period, gives `back` back.
    await n('n3').applyRing(place(2, [[gone, ['n1', 'n2']], [back, ['n2', 'n1']]]));
    await n('n3').applyRing(place(3, [[gone, ['n1', 'n2']]]));
    expect(await localRows(n('n3'), gone)).toBe(3); // still there during the grace period
    await until('the lost vnode dropped on n3', async () => (await localRows(n('n3'), gone)) === 0, 10_000);
    expect(await localRows(n('n3'), back)).toBe(4);
    expect(await localRows(n('n1'), gone)).toBe(3); // nodes that keep it are not touched
  });

  it('does not drop a lost vnode while peers route by a newer ring it has not applied (which may give it back)', async () => {
    const t = new InProcessTransport();
    for (const id of IDS) t.nodes.set(id, await node(t, id, 'quorum', RING, 3_600_000, { dropLostVnodesAfterMs: 150 }));
    const n = (id: string) => t.nodes.get(id)!;
    const s = symbolOwnedBy('n1', 'n3');
    await n('n1').write(batchOf(rows(s, 0, 3)));
    const withOwners = (epoch: number, owners: string[]): RingDoc => ({
      ...RING,
      placement: { ...RING.placement, epoch, owners: RING.placement.owners.map((o, v) => (v === vnodeOf(s, V) ? owners : o)) },
    });
    await n('n3').applyRing(withOwners(2, ['n1', 'n2'])); // n3 loses the vnode...
    await n('n1').applyRing(withOwners(3, ['n1', 'n3'])); // ...and n1 already routes by a ring that gives it back
    t.down.add('n1'); // n3 cannot fetch epoch 3 from n1 (n1 still reaches n3)
    await n('n1').write(batchOf(rows(s, 10, 2))); // reaches n3 routed by epoch 3
    await new Promise((r) => setTimeout(r, 400)); // past the grace period: the drop waits for epoch 3
    expect(await localRows(n('n3'), s)).toBe(5);
    await n('n3').applyRing(withOwners(3, ['n1', 'n3']));
    await new Promise((r) => setTimeout(r, 400));
    expect(await localRows(n('n3'), s)).toBe(5); // held again: never dropped
  });

  it('a write routed by a newer ring makes a node fetch that ring, and its reads wait for it', async () => {
    // n1 missed the push of epoch 2, which moved `moved` from n1+n3 to n2+n3 (no pings: they would
    // bring the ring on their own). By epoch 1 it would read `moved` from its own engine.
    const { n } = await cluster({}, IDS, 3_600_000);
    await until('n1 serves reads from its own engine', () => n('n1').ready);
    const moved = symbolOwnedBy('n1', 'n3');
    const kept = symbolOwnedBy('n1', 'n2');
    const owners = RING.placement.owners.map((o, v) => (v === vnodeOf(moved, V) ? ['n2', 'n3'] : o));
    const ring2: RingDoc = { ...RING, placement: { ...RING.placement, epoch: 2, owners } };
    await n('n2').applyRing(ring2);
    await n('n3').applyRing(ring2);
    await n('n3').write(batchOf(rows(moved, 0, 4))); // to n2 and n3 only
    expect(await localRows(n('n1'), moved)).toBe(0);
    // A write of a vnode n1 still owns, routed by epoch 2, reaches n1 ...
    await n('n2').write(batchOf(rows(kept, 0, 2)));
    // ... so n1 fetches epoch 2 at once, and a read it serves meanwhile waits for it.
    expect((await n('n1').readRange({ symbol: moved, start: 0, end: 1e15 })).ts.length).toBe(4);
    expect(n('n1').view?.epoch).toBe(2);
  });

  it('a node fetches a newer ring a peer reports in its ping answer', async () => {
    const { n } = await cluster();
    await n('n2').applyRing({ ...RING, placement: { ...RING.placement, epoch: 5 } });
    await until('n1 and n3 on epoch 5', () => n('n1').view?.epoch === 5 && n('n3').view?.epoch === 5);
  });

  it('discards the hints held for a node once it has been out of the ring for a while', async () => {
    const t = new InProcessTransport();
    const engine = await Engine.open({ dataDir: 'mem-forget', vnodes: V, workerThreads: 1 }, { kv: new MemoryKvStore() });
    const n1 = await ClusterNode.open({ self: 'n1', engine, vnodes: V, consistency: 'quorum', transport: t, initialRing: RING, healthIntervalMs: 20, forgetLeftHintsAfterMs: 300 });
    open.push(n1);
    t.nodes.set('n1', n1);
    const s = symbolOwnedBy('n1', 'n3');
    await n1.write(batchOf(rows(s, 0, 3))); // n2 and n3 are not running: n3's part is hinted
    await n1.write(batchOf(rows(s, 10, 3)));
    expect(n1.hints.pending('n3')).toBe(2);
    // n3 leaves the ring (its vnodes were moved away); n2 stays a member and keeps its hints.
    const two = planPlacement(null, ['n1', 'n2'], { vnodes: V, replicationFactor: 2 });
    await n1.write(batchOf(rows(symbolOwnedBy('n1', 'n2'), 0, 1)));
    expect(n1.hints.pending('n2')).toBe(1);
    await n1.applyRing({ placement: { ...two, epoch: 2 }, pending: [], members: RING.members.filter((m) => m.id !== 'n3') });
    await new Promise((r) => setTimeout(r, 150));
    expect(n1.hints.pending('n3')).toBe(2); // not yet: gone for less than 300 ms
    await until('hints for n3 discarded', () => n1.hints.pending('n3') === 0, 5000);
    expect(n1.counters.hintsDropped).toBe(2);
    expect(n1.hints.pending('n2')).toBe(1);
    const { allHintsRange } = await import('./hint-keys.ts');
    const left: string[] = [];
    for await (const { key } of engine.kv.iterate(allHintsRange())) left.push(key.toString('latin1'));
    expect(left.length).toBe(1); // gone from disk too
  });
});
