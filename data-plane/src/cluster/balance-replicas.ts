/**
 * Replica-set step of the planner: which nodes hold each vnode (order is settled later by
 * `balancePrimaries`). Pure and deterministic.
 *
 * Every node gets ⌊VR/N⌋ or ⌈VR/N⌉ replicas (`evenQuotas`). Work to do comes from three sources:
 * free slots (the holder left, or RF/node count grew), and surplus replicas of over-quota nodes.
 * Each unit must land on an under-quota node that does not hold the vnode yet. That is a
 * bipartite b-matching, solved exactly as a max flow:
 *
 *   S ─free slots→ vnode ─1→ node with deficit ─deficit→ T
 *   S ─surplus→ over-quota node ─1→ vnode it holds
 *
 * A flow of value Σdeficit moves exactly Σdeficit replicas: the minimum, since each move fills
 * one unit of deficit. Only surplus nodes give, so no replica moves between two staying nodes
 * unless one was over quota. In rare corners (few vnodes, RF close to N) that direct flow
 * is short; then any node may pass a replica on (receive vnode v, give vnode w): a few extra
 * moves, but a valid placement always exists and the flow finds it.
 */
import { evenQuotas } from './even-quotas.ts';
import { FlowGraph } from './max-flow.ts';
import { nodeHash, preference } from './preference.ts';

/** Input of `balanceReplicas`. `slots[v]` is the vnode's owner list with departed members as null. */
export interface ReplicaInput {
  /** Target nodes, sorted and distinct. */
  nodes: readonly string[];
  /** Replicas each vnode must end with: min(RF, nodes.length). */
  replicas: number;
  /** Per vnode: current owners kept in position, members not in `nodes` replaced by null. */
  slots: (string | null)[][];
}

/**
 * Fills and rebalances `slots` in place so every vnode has `replicas` distinct owners and every
 * node holds ⌊VR/N⌋ or ⌈VR/N⌉ of them, moving as few replicas as possible. A receiver takes the
 * position of the replica it replaces, so untouched owners keep their index.
 */
export function balanceReplicas(input: ReplicaInput): string[][] {
  const { nodes, replicas } = input;
  const slots = input.slots.map((s) => trimToReplicas(s, replicas));
  const held = countHeld(slots);
  const quotas = evenQuotas(nodes, slots.length * replicas, held);
  const g = new ReplicaFlow(nodes, slots, quotas, held);
  const needed = g.directEdges();
  let flow = g.graph.maxFlow(g.source, g.sink);
  if (flow < needed) {
    g.chainEdges();
    flow += g.graph.maxFlow(g.source, g.sink);
  }
  if (flow !== needed) throw new Error(`BUG: replica flow ${flow} short of ${needed}`);
  return g.apply();
}

/** Pads with null or drops down to `replicas` slots: departed (null) slots go first, then the tail. */
function trimToReplicas(slots: (string | null)[], replicas: number): (string | null)[] {
  const out = [...slots];
  while (out.length < replicas) out.push(null);
  for (let i = out.length - 1; out.length > replicas && i >= 0; i--) if (out[i] === null) out.splice(i, 1);
  out.length = Math.min(out.length, replicas);
  return out;
}

function countHeld(slots: (string | null)[][]): Map<string, number> {
  const held = new Map<string, number>();
  for (const s of slots) for (const n of s) if (n !== null) held.set(n, (held.get(n) ?? 0) + 1);
  return held;
}

/** The flow network of one planning run; vertex ids: 0 = S, 1 = T, then vnodes, then nodes. */
class ReplicaFlow {
  readonly source = 0;
  readonly sink = 1;
  readonly graph: FlowGraph;
  private readonly hashes: number[];
  private readonly members: Set<string>[];
  private readonly gives: { node: number; vnode: number; edge: number }[] = [];
  private readonly takes: { node: number; vnode: number; edge: number }[] = [];
  private readonly hasGive = new Set<number>();
  private readonly hasTake = new Set<number>();

  constructor(
    private readonly nodes: readonly string[],
    private readonly slots: (string | null)[][],
    private readonly quotas: Map<string, number>,
    private readonly held: Map<string, number>,
  ) {
    // The last vertex collects the flexible "+1" units (see directEdges).
    this.graph = new FlowGraph(2 + slots.length + nodes.length + 1);
    this.hashes = nodes.map(nodeHash);
    this.members = slots.map((s) => new Set(s.filter((n): n is string => n !== null)));
  }

  /** Adds the move-minimal network; returns the flow it must carry (Σ deficit). */
  directEdges(): number {
    const V = this.slots.length;
    for (let v = 0; v < V; v++) {
      const free = this.slots[v]!.filter((n) => n === null).length;
      if (free > 0) this.graph.addEdge(this.source, this.vnodeVertex(v), free);
    }
    const flexible = this.flexibleEdges();
    if (flexible !== null) return flexible;
    let needed = 0;
    this.nodes.forEach((n, i) => {
      const diff = (this.held.get(n) ?? 0) - this.quotas.get(n)!;
      if (diff > 0) {
        this.graph.addEdge(this.source, this.nodeVertex(i), diff);
        this.addGiveEdges(i);
      } else if (diff < 0) {
        needed -= diff;
        this.graph.addEdge(this.nodeVertex(i), this.sink, -diff);
      }
    });
    for (let v = 0; v < V; v++) this.addTakeEdges(v, (i) => this.deficit(i) > 0);
    return needed;
  }

  /**
   * Which nodes end with ⌈mean⌉ is left to the flow rather than fixed up front: every node may
   * fill up to ⌊mean⌋ (node → T), and any node not above ⌊mean⌋ may take one of the still-free
   * "+1" units (node → X → T, X capped at their number). A fixed choice can name a node that
   * already holds every vnode that needs a new replica, forcing a swap between two staying nodes
   * (found by the property test: 6 vnodes, RF 3, 17 → 16 nodes). Returns null when more nodes
   * already sit above ⌊mean⌋ than there are "+1" units: the fixed quotas handle that rare case.
   */
  private flexibleEdges(): number | null {
    let total = 0;
    for (const s of this.slots) total += s.length;
    const N = this.nodes.length;
    const base = Math.floor(total / N);
    const extra = total - base * N;
    const heldOf = (i: number) => this.held.get(this.nodes[i]!) ?? 0;
    let atTop = 0;
    for (let i = 0; i < N; i++) if (heldOf(i) >= base + 1) atTop++;
    if (extra === 0 || atTop > extra) return null;
    const freeExtras = extra - atTop;
    const X = 2 + this.slots.length + N;
    if (freeExtras > 0) this.graph.addEdge(X, this.sink, freeExtras);
    let needed = freeExtras;
    const takers = new Set<number>();
    for (let i = 0; i < N; i++) {
      const h = heldOf(i);
      if (h > base + 1) {
        this.graph.addEdge(this.source, this.nodeVertex(i), h - base - 1);
        this.addGiveEdges(i);
      } else if (h <= base) {
        if (base - h > 0) {
          needed += base - h;
          this.graph.addEdge(this.nodeVertex(i), this.sink, base - h);
        }
        if (freeExtras > 0) this.graph.addEdge(this.nodeVertex(i), X, 1);
        if (base - h > 0 || freeExtras > 0) takers.add(i);
      }
    }
    for (let v = 0; v < this.slots.length; v++) this.addTakeEdges(v, (i) => takers.has(i));
    return needed;
  }

  /** Lets every node pass replicas on (receive one vnode, give another): the fallback network. */
  chainEdges(): void {
    this.nodes.forEach((_, i) => this.addGiveEdges(i));
    for (let v = 0; v < this.slots.length; v++) this.addTakeEdges(v, () => true);
  }

  /** Reads the flow back into owner lists; receivers take the givers' and free positions. */
  apply(): string[][] {
    const given = new Map<number, Set<string>>();
    for (const g of this.gives) {
      if (this.graph.flowOn(g.edge) > 0) setOf(given, g.vnode).add(this.nodes[g.node]!);
    }
    const taken = new Map<number, string[]>();
    for (const t of this.takes) {
      if (this.graph.flowOn(t.edge) > 0) listOf(taken, t.vnode).push(this.nodes[t.node]!);
    }
    return this.slots.map((s, v) => {
      const out = s.map((n) => (n !== null && given.get(v)?.has(n) ? null : n));
      const incoming = (taken.get(v) ?? []).sort();
      for (let i = 0; i < out.length; i++) if (out[i] === null) out[i] = incoming.shift() ?? null;
      if (incoming.length > 0 || out.includes(null)) throw new Error(`BUG: vnode ${v} slots and flow disagree`);
      return out as string[];
    });
  }

  private deficit(i: number): number {
    const n = this.nodes[i]!;
    return this.quotas.get(n)! - (this.held.get(n) ?? 0);
  }

  // Give edges in preference order so the vnodes a node hands over are spread over the ring.
  private addGiveEdges(i: number): void {
    if (this.hasGive.has(i)) return;
    this.hasGive.add(i);
    const node = this.nodes[i]!;
    const mine: number[] = [];
    this.members.forEach((m, v) => m.has(node) && mine.push(v));
    mine.sort((a, b) => preference(a, this.hashes[i]!) - preference(b, this.hashes[i]!) || a - b);
    for (const v of mine) {
      this.gives.push({ node: i, vnode: v, edge: this.graph.addEdge(this.nodeVertex(i), this.vnodeVertex(v), 1) });
    }
  }

  // Take edges in preference order: the flow fills a vnode from its most-preferred candidates.
  private addTakeEdges(v: number, eligible: (i: number) => boolean): void {
    const cands: number[] = [];
    for (let i = 0; i < this.nodes.length; i++) {
      const key = v * this.nodes.length + i;
      if (!this.hasTake.has(key) && !this.members[v]!.has(this.nodes[i]!) && eligible(i)) cands.push(i);
    }
    cands.sort((a, b) => preference(v, this.hashes[a]!) - preference(v, this.hashes[b]!) || a - b);
    for (const i of cands) {
      this.hasTake.add(v * this.nodes.length + i);
      this.takes.push({ node: i, vnode: v, edge: this.graph.addEdge(this.vnodeVertex(v), this.nodeVertex(i), 1) });
    }
  }

  private vnodeVertex(v: number): number {
    return 2 + v;
  }

  private nodeVertex(i: number): number {
    return 2 + this.slots.length + i;
  }
}

function setOf<K, V>(m: Map<K, Set<V>>, k: K): Set<V> {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  return s;
}

function listOf<K, V>(m: Map<K, V[]>, k: K): V[] {
  let l = m.get(k);
  if (!l) m.set(k, (l = []));
  return l;
}
