/**
 * Primary step of the planner: reorders each vnode's owners so every node is primary (index 0)
 * for ⌊V/N⌋ or ⌈V/N⌉ vnodes. Pure and deterministic.
 *
 * Reordering moves no data (every owner already holds the vnode), so it costs nothing but is
 * still kept small: current primaries are seeded into the flow while their node has quota left,
 * and a max flow reassigns only what must change:
 *
 *   S ─1→ vnode ─1→ each of its owners ─⌊V/N⌋→ T
 *                                      └─1→ E ─(V mod N)→ T
 *
 * The shared vertex E hands out the remainder's extra units, so the flow itself chooses which
 * nodes may be primary once more; with fewer vnodes than nodes, fixing that choice up front could
 * make the quotas unmeetable. If they still cannot all be met (only possible with a handful of
 * vnodes), the leftover vnodes keep their current primary.
 */
import { FlowGraph } from './max-flow.ts';

/**
 * Returns new owner lists (inputs untouched) in which the chosen primary of each vnode has been
 * swapped into index 0; the other owners keep their positions.
 */
export function balancePrimaries(nodes: readonly string[], owners: readonly string[][]): string[][] {
  const net = new PrimaryFlow(nodes, owners);
  net.seedCurrent();
  net.graph.maxFlow(0, 1);
  return owners.map((os, v) => {
    const j = net.chosenIndex(v);
    if (j <= 0) return [...os];
    const out = [...os];
    [out[0], out[j]] = [out[j]!, out[0]!];
    return out;
  });
}

/** Vertex ids: 0 = S, 1 = T, 2 = E, then vnodes, then nodes. */
class PrimaryFlow {
  readonly graph: FlowGraph;
  private readonly index: Map<string, number>;
  private readonly base: number;
  private readonly fromSource: number[] = [];
  private readonly candidates: number[][] = [];
  private readonly toSink: number[];
  private readonly toExtra: number[];
  private readonly extraToSink: number;

  constructor(
    private readonly nodes: readonly string[],
    private readonly owners: readonly string[][],
  ) {
    const V = owners.length;
    this.base = Math.floor(V / nodes.length);
    this.graph = new FlowGraph(3 + V + nodes.length);
    this.index = new Map(nodes.map((n, i) => [n, i]));
    const nodeVertex = (i: number) => 3 + V + i;
    this.toSink = nodes.map((_, i) => this.graph.addEdge(nodeVertex(i), 1, this.base));
    this.toExtra = nodes.map((_, i) => this.graph.addEdge(nodeVertex(i), 2, 1));
    this.extraToSink = this.graph.addEdge(2, 1, V - this.base * nodes.length);
    owners.forEach((os, v) => {
      this.fromSource.push(this.graph.addEdge(0, 3 + v, 1));
      this.candidates.push(os.map((n) => this.graph.addEdge(3 + v, nodeVertex(this.index.get(n)!), 1)));
    });
  }

  /**
   * Keeps current primaries where quotas allow: first ⌊V/N⌋ per node in vnode order, then the
   * remainder's extra units to the nodes that are primary most often now (ties by id), so a
   * balanced ring changes as few primaries as possible.
   */
  seedCurrent(): void {
    const used = new Array<number>(this.nodes.length).fill(0);
    const waiting: number[][] = this.nodes.map(() => []);
    this.owners.forEach((os, v) => {
      const i = this.index.get(os[0]!)!;
      if (used[i]! < this.base) {
        used[i]!++;
        this.pushPath(v, this.toSink[i]!);
      } else {
        waiting[i]!.push(v);
      }
    });
    let extra = this.owners.length - this.base * this.nodes.length;
    const order = this.nodes.map((_, i) => i).sort((a, b) => waiting[b]!.length - waiting[a]!.length || a - b);
    for (const i of order) {
      if (extra === 0 || waiting[i]!.length === 0) break;
      extra--;
      this.pushPath(waiting[i]![0]!, this.toExtra[i]!, this.extraToSink);
    }
  }

  /** Index (in the vnode's owner list) of the owner the flow made primary; -1 if none. */
  chosenIndex(v: number): number {
    return this.candidates[v]!.findIndex((e) => this.graph.flowOn(e) > 0);
  }

  private pushPath(v: number, ...tail: number[]): void {
    this.graph.push(this.fromSource[v]!, 1);
    this.graph.push(this.candidates[v]![0]!, 1);
    for (const e of tail) this.graph.push(e, 1);
  }
}
