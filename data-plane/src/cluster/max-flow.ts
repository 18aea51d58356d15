/**
 * Integer maximum flow (Dinic's algorithm) for the placement planner.
 *
 * The planner's balance-with-distinct-replicas problems are bipartite b-matchings; a max flow
 * solves them exactly, where greedy assignment can paint itself into a corner (the last replica
 * slot of a vnode whose only under-quota nodes already hold it). Deterministic: edges are tried
 * in insertion order, so the same graph always yields the same flow. Pure, no I/O.
 */
export class FlowGraph {
  // Edge e and its residual twin e ^ 1 are stored side by side.
  private readonly to: number[] = [];
  private readonly cap: number[] = [];
  private readonly original: number[] = [];
  private readonly adj: number[][];
  private level: Int32Array;
  private cursor: Int32Array;

  constructor(readonly size: number) {
    this.adj = Array.from({ length: size }, () => []);
    this.level = new Int32Array(size);
    this.cursor = new Int32Array(size);
  }

  /** Adds a directed edge with capacity `cap` ≥ 0; returns its id for `flowOn`/`push`. */
  addEdge(from: number, to: number, cap: number): number {
    const id = this.to.length;
    this.to.push(to, from);
    this.cap.push(cap, 0);
    this.original.push(cap, 0);
    this.adj[from]!.push(id);
    this.adj[to]!.push(id + 1);
    return id;
  }

  /** Flow currently carried by edge `id`. */
  flowOn(id: number): number {
    return this.original[id]! - this.cap[id]!;
  }

  /**
   * Pushes `amount` along edge `id` by hand, to seed a preferred flow before `maxFlow` (the caller
   * keeps conservation by pushing whole source→sink paths). Throws when capacity is short.
   */
  push(id: number, amount: number): void {
    if (this.cap[id]! < amount) throw new Error(`BUG: push ${amount} over edge ${id} with ${this.cap[id]} left`);
    this.cap[id]! -= amount;
    this.cap[id ^ 1]! += amount;
  }

  /** Augments the current flow to a maximum one from `s` to `t`; returns the flow added. */
  maxFlow(s: number, t: number): number {
    let total = 0;
    while (this.bfs(s, t)) {
      this.cursor.fill(0);
      for (let f = this.dfs(s, t, Infinity); f > 0; f = this.dfs(s, t, Infinity)) total += f;
    }
    return total;
  }

  private bfs(s: number, t: number): boolean {
    this.level.fill(-1);
    this.level[s] = 0;
    const queue = [s];
    for (let head = 0; head < queue.length; head++) {
      const u = queue[head]!;
      for (const e of this.adj[u]!) {
        const v = this.to[e]!;
        if (this.cap[e]! > 0 && this.level[v] === -1) {
          this.level[v] = this.level[u]! + 1;
          queue.push(v);
        }
      }
    }
    return this.level[t] !== -1;
  }

  // Depth is bounded by the BFS level of t: a handful for the planner's layered graphs.
  private dfs(u: number, t: number, limit: number): number {
    if (u === t) return limit;
    const edges = this.adj[u]!;
    for (; this.cursor[u]! < edges.length; this.cursor[u]!++) {
      const e = edges[this.cursor[u]!]!;
      const v = this.to[e]!;
      if (this.cap[e]! <= 0 || this.level[v] !== this.level[u]! + 1) continue;
      const f = this.dfs(v, t, Math.min(limit, this.cap[e]!));
      if (f > 0) {
        this.cap[e]! -= f;
        this.cap[e ^ 1]! += f;
        return f;
      }
    }
    return 0;
  }
}
