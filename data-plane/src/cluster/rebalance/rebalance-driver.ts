import type { RingDoc, RingMember } from '../node/ring-doc.ts';
import type { Placement } from '../placement.ts';
import { nextStep, planPlacement, type VnodeMove } from '../planner.ts';

/** Where the authoritative ring document lives (Consul KV, the operator's ConfigMap), with CAS. */
export interface RingStore {
  read(): Promise<{ doc: RingDoc; version: number } | null>;
  /** Stores `next` only if the stored version is still `expected` (null = nothing stored). */
  cas(next: RingDoc, expected: number | null): Promise<boolean>;
}

/** The calls the driver makes on data-plane nodes (admin API; see cluster-api.md). */
export interface NodeAdmin {
  /** PUT /admin/ring: idempotent; a node that already has a newer epoch is fine */
  applyRing(node: RingMember, doc: RingDoc): Promise<void>;
  /** POST /admin/handoff/pull: `to` copies `vnodes` from node `from` (idempotent) */
  startPulls(to: RingMember, from: string, vnodes: number[]): Promise<void>;
  /** GET /admin/handoff?vnodes=…: the copies of `vnodes` on `to` (a vnode without a job is absent) */
  pullStates(to: RingMember, vnodes: number[]): Promise<Map<number, PullState>>;
  /** DELETE /admin/handoff/:v */
  cancelPull(to: RingMember, vnode: number): Promise<void>;
  /** DELETE /admin/vnodes/:v */
  drop(node: RingMember, vnode: number): Promise<void>;
  /** GET /internal/v1/hints?target=…: how many hints `node` holds for node `target` */
  hintsFor(node: RingMember, target: string): Promise<number>;
}

/** What the driver needs to know of one copy job. */
export interface PullState {
  state: 'running' | 'done' | 'failed' | 'cancelled';
  error?: string;
  bytes: number;
}

export interface DriverOptions {
  vnodes: number;
  replicationFactor: number;
  /** vnode replicas copied per step (bounded so a step is short and reads never wait long) */
  maxMovesPerStep: number;
  /** how long old owners keep a vnode after the flip (in-flight reads finish on them) */
  graceMs: number;
  /** longest wait between polls of running copies (the first polls come sooner) */
  pollMs: number;
  /** longest wait for the members' hints for a step's copy sources to drain (default 60 s) */
  hintDrainMs?: number;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

/** Rebalance progress for /metrics, status and the console. */
export interface RebalanceProgress {
  epoch: number;
  vnodesMoved: number;
  vnodesTotal: number;
  bytesMoved: number;
  inStep: VnodeMove[];
}

/** The store changed under us (another driver won the CAS): re-read and plan again. */
export class RingConflict extends Error {
  override name = 'RingConflict';
}

/**
 * Moves a cluster's ring from its stored placement to the balanced placement of `targetMembers`,
 * one bounded step at a time, never losing or hiding data (DESIGN.md §8):
 *   1. publish the step's moves as `pending` (epoch+1): coordinators dual-write to the new owners;
 *   2. wait until no member holds hints for a copy source (a write acknowledged by the other
 *      owner plus a hint for the source reaches the source only when replayed: a copy taken
 *      before that would miss it, and the source drops the vnode after the flip);
 *   then each new owner pulls its vnodes from a current owner, which verifies row counts;
 *   3. publish the step's placement (epoch+1): reads and acks move to the new owners;
 *   4. after a grace period the replaced owners drop those vnodes.
 * Every state is in the stored document, so a restarted driver resumes (a pending step is redone:
 * pulls are idempotent and resumable). Concurrent drivers are serialized by the store's CAS: the
 * loser gets RingConflict and plans again from what won. A changed target mid-step cancels the
 * pending moves it no longer wants and drops what they copied.
 */
export class RebalanceDriver {
  readonly progress: RebalanceProgress = { epoch: 0, vnodesMoved: 0, vnodesTotal: 0, bytesMoved: 0, inStep: [] };
  /** drops waiting out their grace period; they never hold up the next step */
  private readonly drops: Promise<void>[] = [];

  constructor(private readonly store: RingStore, private readonly admin: NodeAdmin, private readonly opts: DriverOptions) {}

  /** Runs steps until the stored ring is the target's; resolves with the final document. */
  async run(targetMembers: RingMember[], signal?: AbortSignal): Promise<RingDoc> {
    for (;;) {
      if (signal?.aborted) throw new Error('rebalance cancelled');
      try {
        const done = await this.step(targetMembers);
        if (done) {
          await Promise.all(this.drops.splice(0));
          return done;
        }
      } catch (err) {
        if (!(err instanceof RingConflict)) throw err;
        this.log('ring changed under the driver; planning again', { reason: err.message });
      }
    }
  }

  /** One step; returns the final document when nothing is left to do. */
  private async step(targetMembers: RingMember[]): Promise<RingDoc | null> {
    const stored = await this.store.read();
    const ids = targetMembers.map((m) => m.id);
    if (!stored) {
      const placement = planPlacement(null, ids, this.opts);
      const doc: RingDoc = { placement, pending: [], members: targetMembers };
      await this.publish(doc, null);
      return doc;
    }
    const cur = stored.doc;
    const members = mergeMembers(cur.members, targetMembers);
    const target = planPlacement(cur.placement, ids, this.opts);
    const step = nextStep(cur.placement, target, this.opts.maxMovesPerStep);
    this.progress.epoch = cur.placement.epoch;
    if (this.progress.vnodesTotal === 0 || cur.pending.length === 0) this.progress.vnodesTotal = this.progress.vnodesMoved + countMoves(cur.placement, target);
    if (step.moves.length === 0 && cur.pending.length === 0) {
      if (step.placement === cur.placement) {
        // Settled. Forget members that left and own nothing any more.
        const wanted = members.filter((m) => cur.placement.nodes.includes(m.id) || ids.includes(m.id));
        if (wanted.length === cur.members.length) return cur;
        await this.publish({ placement: { ...cur.placement, epoch: cur.placement.epoch + 1 }, pending: [], members: wanted }, stored.version, cur.members);
        return null;
      }
      // Only dropped replicas (no copy needed): flip directly.
      return this.flip(stored.version, cur, step.placement, [], members);
    }
    let version = stored.version;
    let doc = cur;
    if (!sameMoves(cur.pending, step.moves)) {
      const unwanted = cur.pending.filter((m) => !step.moves.some((s) => s.vnode === m.vnode && s.to === m.to));
      doc = { placement: { ...cur.placement, epoch: cur.placement.epoch + 1 }, pending: step.moves, members };
      version = await this.publish(doc, version);
      await this.forget(unwanted, members, doc);
    } else {
      await this.applyEverywhere(doc); // resuming: make sure every node dual-writes
    }
    this.progress.inStep = step.moves;
    await this.sourcesCaughtUp(step.moves, cur.placement, members);
    await this.copy(step.moves, cur.placement, members);
    const flipped = { ...step.placement, epoch: doc.placement.epoch + 1 };
    return this.flip(version, doc, flipped, step.moves, members);
  }

  /** Publishes the step's placement, then drops the replaced replicas after the grace period. */
  private async flip(version: number, prev: RingDoc, placement: Placement, moves: VnodeMove[], members: RingMember[]): Promise<RingDoc | null> {
    const owning = new Set(placement.nodes);
    const keep = members.filter((m) => owning.has(m.id) || prev.placement.nodes.includes(m.id));
    const doc: RingDoc = { placement, pending: [], members: keep };
    await this.publish(doc, version, members);
    this.progress.vnodesMoved += moves.length;
    this.progress.inStep = [];
    this.progress.epoch = placement.epoch;
    // Old owners keep the moved vnodes for a grace period (reads already in flight finish on
    // them), then drop them; the next step does not wait for that.
    const gone = dropsAfter(prev.placement, placement);
    this.drops.push(
      sleep(this.opts.graceMs).then(async () => {
        for (const v of gone) {
          const node = members.find((m) => m.id === v.node);
          if (node) await this.admin.drop(node, v.vnode).catch((err) => this.log('drop failed (the vnode stays until verify or a later drop)', { vnode: v.vnode, node: v.node, err: String(err) }));
        }
      }),
    );
    this.log('rebalance step applied', { epoch: placement.epoch, moves: moves.length });
    return null;
  }

  /**
   * Starts every pull of the step, one call per receiver and source (each receiver streams a
   * source's vnodes together), and waits until all are done (throws if one fails). Polls each
   * receiver once per round, the wait a quarter of the time spent so far (10 ms at first, at
   * most `pollMs`): a finished step is seen within ~25% of its copy time. (Doubling waits from
   * 20 ms saw a 150 ms copy only at 300 ms, about a third of every short step's time.)
   */
  private async copy(moves: VnodeMove[], current: Placement, members: RingMember[]): Promise<void> {
    const byId = new Map(members.map((m) => [m.id, m]));
    const calls = new Map<string, { to: RingMember; from: string; vnodes: number[] }>();
    for (const m of moves) {
      const from = sourceOf(m, current);
      const key = `${m.to}\u0000${from}`;
      if (!calls.has(key)) calls.set(key, { to: byId.get(m.to)!, from, vnodes: [] });
      calls.get(key)!.vnodes.push(m.vnode);
    }
    await Promise.all([...calls.values()].map((c) => this.admin.startPulls(c.to, c.from, c.vnodes)));
    const bytes = new Map<string, number>();
    const t0 = Date.now();
    for (let open = moves; open.length; ) {
      await sleep(Math.min(this.opts.pollMs, Math.max(10, (Date.now() - t0) / 4)));
      const receivers = [...new Set(open.map((m) => m.to))];
      const states = await Promise.all(receivers.map((to) => this.admin.pullStates(byId.get(to)!, open.filter((m) => m.to === to).map((m) => m.vnode))));
      const stateOf = new Map(receivers.map((to, i) => [to, states[i]]));
      const next: VnodeMove[] = [];
      for (const m of open) {
        const st = stateOf.get(m.to)!.get(m.vnode);
        if (st) bytes.set(`${m.vnode}/${m.to}`, st.bytes);
        if (!st || st.state === 'running') next.push(m);
        else if (st.state !== 'done') throw new Error(`copy of vnode ${m.vnode} to ${m.to} ${st.state}: ${st.error ?? ''}`);
      }
      this.progress.bytesMoved = [...bytes.values()].reduce((a, b) => a + b, 0);
      open = next;
    }
  }

  /**
   * Resolves once no member holds hints for any copy source of `moves`. Writes routed by the
   * step's pending document also reach the receivers directly, so only hints stored before it
   * matter, and those drain while the source is up. Throws (the run fails and is retried) when
   * a member cannot be asked, or the hints do not drain within `hintDrainMs`: copying then could
   * lose acknowledged writes.
   */
  private async sourcesCaughtUp(moves: VnodeMove[], current: Placement, members: RingMember[]): Promise<void> {
    const sources = [...new Set(moves.map((m) => sourceOf(m, current)))];
    const deadline = Date.now() + (this.opts.hintDrainMs ?? 60_000);
    for (let waited = false; ; waited = true) {
      const held: string[] = [];
      await Promise.all(
        members.flatMap((node) =>
          sources
            .filter((src) => src !== node.id)
            .map(async (src) => {
              const n = await this.admin.hintsFor(node, src).catch((err: Error) => {
                throw new Error(`cannot ask ${node.id} for its hints for copy source ${src}: ${err.message}`);
              });
              if (n > 0) held.push(`${node.id} holds ${n} for ${src}`);
            }),
        ),
      );
      if (held.length === 0) {
        if (waited) this.log('hints for the copy sources drained; copying', { sources });
        return;
      }
      if (Date.now() >= deadline) throw new Error(`copy sources still have hints queued after ${this.opts.hintDrainMs ?? 60_000} ms (${held.sort().join('; ')}); copying now could miss acknowledged writes`);
      if (!waited) this.log('waiting for hints for the copy sources to drain', { held });
      await sleep(Math.max(20, Math.min(this.opts.pollMs, 250)));
    }
  }

  /** Cancels copies that are no longer wanted and drops what they copied (the node is not an owner). */
  private async forget(unwanted: VnodeMove[], members: RingMember[], doc: RingDoc): Promise<void> {
    for (const m of unwanted) {
      const to = members.find((x) => x.id === m.to);
      if (!to) continue;
      await this.admin.cancelPull(to, m.vnode).catch(() => {});
      if (!doc.placement.owners[m.vnode].includes(m.to)) await this.admin.drop(to, m.vnode).catch(() => {});
    }
  }

  /**
   * CAS into the store, then apply on every member; returns the new store version. Nodes of
   * `before` that `doc` no longer lists get it too, best-effort: until they are stopped they
   * still take client requests, and should route them by the current ring (peers fence them
   * otherwise: a request routed by an older ring is refused and re-routed).
   */
  private async publish(doc: RingDoc, expected: number | null, before: RingMember[] = []): Promise<number> {
    if (!(await this.store.cas(doc, expected))) throw new RingConflict(`CAS at version ${expected} failed`);
    const departed = before.filter((m) => !doc.members.some((x) => x.id === m.id));
    await Promise.all([
      this.applyEverywhere(doc),
      ...departed.map((m) => this.admin.applyRing(m, doc).catch((err: Error) => this.log('a node that left the ring did not take the new ring (its peers fence it)', { node: m.id, err: err.message }))),
    ]);
    const now = await this.store.read();
    if (!now || now.doc.placement.epoch !== doc.placement.epoch) throw new RingConflict('the stored ring moved on right after our write');
    return now.version;
  }

  private async applyEverywhere(doc: RingDoc): Promise<void> {
    await Promise.all(doc.members.map((m) => this.admin.applyRing(m, doc)));
  }

  private log(msg: string, extra?: Record<string, unknown>): void {
    this.opts.log?.(msg, extra);
  }
}

/** The node a move copies from: the replica it replaces, else the vnode's first owner. */
function sourceOf(m: VnodeMove, current: Placement): string {
  return m.from ?? current.owners[m.vnode][0];
}

function mergeMembers(a: RingMember[], b: RingMember[]): RingMember[] {
  const out = new Map(a.map((m) => [m.id, m]));
  for (const m of b) out.set(m.id, m);
  return [...out.values()].sort((x, y) => (x.id < y.id ? -1 : 1));
}

function sameMoves(a: VnodeMove[], b: VnodeMove[]): boolean {
  return a.length === b.length && a.every((m, i) => m.vnode === b[i].vnode && m.to === b[i].to && m.from === b[i].from);
}

function countMoves(from: Placement, to: Placement): number {
  let n = 0;
  for (let v = 0; v < to.owners.length; v++) for (const o of to.owners[v]) if (!from.owners[v].includes(o)) n++;
  return n;
}

/** Replicas owned before the flip and not after: they are dropped once the grace period passed. */
function dropsAfter(before: Placement, after: Placement): { vnode: number; node: string }[] {
  const out: { vnode: number; node: string }[] = [];
  for (let v = 0; v < before.owners.length; v++) for (const o of before.owners[v]) if (!after.owners[v].includes(o)) out.push({ vnode: v, node: o });
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
