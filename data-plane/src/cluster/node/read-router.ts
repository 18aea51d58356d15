/**
 * ReadRouter: the read path of any node (cluster-api.md "Reads"). A read goes to the first owner
 * of the symbol's vnode that can answer, in this order: this node if it owns the vnode and has
 * caught up; the other owners seen up, in placement order; then, as a last resort, the owners
 * that are probably not going to work (this node before catch-up, peers seen down). Any failure
 * moves on to the next; a read fails only when no owner answered. A caller's fault (400) is not
 * an owner's failure and is thrown at once.
 */
import type { CandleQuery, CandleResult, EngineApi, RangeQuery } from '../../engine-api.ts';
import { OverloadError, ValidationError } from '../../errors.ts';
import type { SeriesData } from '../../model.ts';
import { vnodeOf } from '../../storage/vnode-of.ts';
import type { ClusterCounters } from './cluster-counters.ts';
import type { PeerHealth } from './peer-health.ts';
import { PeerError, type PeerTransport } from './peer-transport.ts';
import type { RingView } from './ring-view.ts';

/** What the router works with. */
export interface ReadRouterDeps {
  self: string;
  view: () => RingView | null;
  local: Pick<EngineApi, 'readRange' | 'candles' | 'latest' | 'symbols'>;
  transport: PeerTransport;
  health: PeerHealth;
  /** true once this node has caught up on the hints peers held for it */
  ready: () => boolean;
  counters: ClusterCounters;
  log: (msg: string, fields: Record<string, unknown>) => void;
}

/** Routes reads to owners, with fallback. */
export class ReadRouter {
  constructor(private readonly d: ReadRouterDeps) {}

  /** Owners of `vnode` in the order reads try them. */
  candidates(view: RingView, vnode: number): string[] {
    const first: string[] = [];
    const last: string[] = [];
    for (const n of view.owners(vnode)) {
      if (n === this.d.self) (this.d.ready() ? first : last).unshift(n);
      else (this.d.health.isUp(n) ? first : last).push(n);
    }
    return first.concat(last);
  }

  readRange(q: RangeQuery): Promise<SeriesData> {
    return this.route(q.symbol, (node, view) =>
      node === this.d.self ? this.d.local.readRange(q) : this.d.transport.readRange(this.member(view, node), q),
    );
  }

  candles(q: CandleQuery): Promise<CandleResult> {
    return this.route(q.symbol, (node, view) =>
      node === this.d.self ? this.d.local.candles(q) : this.d.transport.candles(this.member(view, node), q),
    );
  }

  /**
   * Latest rows: symbols are grouped by the node that will answer them, one call per node; a
   * group whose node fails is retried symbol by symbol's next candidate (bounded by RF rounds).
   */
  async latest(symbols: string[]): Promise<(SeriesData | null)[]> {
    const view = this.requireView();
    const out: (SeriesData | null)[] = new Array(symbols.length).fill(null);
    let todo = symbols.map((s, i) => ({ i, cands: this.candidates(view, vnodeOf(s, view.vnodes)), errors: [] as string[] }));
    while (todo.length) {
      const groups = new Map<string, typeof todo>();
      for (const t of todo) {
        const node = t.cands.shift();
        if (node === undefined) throw this.noOwner(symbols[t.i]!, view, t.errors);
        groups.set(node, [...(groups.get(node) ?? []), t]);
      }
      const retry: typeof todo = [];
      await Promise.all(
        [...groups].map(async ([node, items]) => {
          const syms = items.map((t) => symbols[t.i]!);
          try {
            const got = node === this.d.self ? await this.d.local.latest(syms) : await this.d.transport.latest(this.member(view, node), syms);
            items.forEach((t, k) => (out[t.i] = got[k] ?? null));
          } catch (err) {
            this.noteFailure(node, err);
            for (const t of items) t.errors.push(`${node}: ${(err as Error).message}`);
            retry.push(...items);
          }
        }),
      );
      if (retry.length) this.d.counters.readFallbacks += retry.length;
      todo = retry;
    }
    return out;
  }

  /** Union of the symbols of this node and every peer seen up (a peer that fails is skipped). */
  async symbols(prefix = ''): Promise<string[]> {
    const view = this.d.view();
    const peers = view ? view.peers().filter((p) => this.d.health.isUp(p.id)) : [];
    const lists = await Promise.all([
      this.d.local.symbols(prefix),
      ...peers.map((p) =>
        this.d.transport.symbols(p, prefix).catch((err: Error) => {
          this.noteFailure(p.id, err);
          return [] as string[];
        }),
      ),
    ]);
    if (lists.length === 1) return lists[0]!;
    return [...new Set(lists.flat())].sort();
  }

  private async route<T>(symbol: string, call: (node: string, view: RingView) => Promise<T>): Promise<T> {
    const view = this.requireView();
    const cands = this.candidates(view, view.ring.vnodeOf(symbol));
    const errors: string[] = [];
    for (const node of cands) {
      try {
        const r = await call(node, view);
        if (errors.length) this.d.counters.readFallbacks++;
        return r;
      } catch (err) {
        this.noteFailure(node, err);
        errors.push(`${node}: ${(err as Error).message}`);
      }
    }
    throw this.noOwner(symbol, view, errors);
  }

  /** Rethrows caller faults; counts a peer that did not answer against its health. */
  private noteFailure(node: string, err: unknown): void {
    if (err instanceof ValidationError) throw err;
    if (err instanceof PeerError) {
      if (err.kind === 'rejected' && err.status === 400) throw new ValidationError(err.message);
      if (err.kind === 'unreachable') this.d.health.noteFailure(node, err.message);
    }
    this.d.log('read failed on an owner; trying the next', { node, error: (err as Error).message });
  }

  private noOwner(symbol: string, view: RingView, errors: string[]): OverloadError {
    this.d.counters.readsFailed++;
    const v = view.ring.vnodeOf(symbol);
    return new OverloadError(`no owner of vnode ${v} (symbol "${symbol}", owners ${view.owners(v).join(', ')}) could answer: ${errors.join('; ')}`, 1, 503);
  }

  private requireView(): RingView {
    const v = this.d.view();
    if (!v) throw new OverloadError('cluster: no ring applied yet (PUT /admin/ring or cluster.members); cannot route reads', 5, 503);
    return v;
  }

  private member(view: RingView, node: string): { id: string; address: string } {
    return { id: node, address: view.addressOf(node) };
  }
}
