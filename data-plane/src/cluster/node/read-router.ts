/**
 * ReadRouter: the read path of any node (cluster-api.md "Reads"). A read goes to the first owner
 * of the symbol's vnode that can answer, in three tiers, each in placement order with this node
 * first: owners that are up and caught up; owners up but still catching up after a start (they
 * may miss hinted writes); owners seen down. Any failure moves on to the next owner, and every
 * owner but the last is asked to refuse rather than answer while behind, so a stale answer is
 * only ever the last resort. A read fails only when no owner answered. A caller's fault (400) is
 * not an owner's failure and is thrown at once.
 */
import type { CandleQuery, CandleResult, EngineApi, RangeQuery } from '../../engine-api.ts';
import { OverloadError, ValidationError } from '../../errors.ts';
import type { SeriesData } from '../../model.ts';
import { vnodeOf } from '../../storage/vnode-of.ts';
import type { ClusterCounters } from './cluster-counters.ts';
import type { PeerHealth } from './peer-health.ts';
import { PeerError, type PeerReadOptions, type PeerTransport } from './peer-transport.ts';
import type { RingView } from './ring-view.ts';
import { routeWithFreshRing, StaleRingRefusal } from './stale-ring.ts';

/** One symbol of a latest() call on its way through its candidates. */
interface LatestItem {
  i: number;
  cands: string[];
  /** owners skipped or refused for being behind: asked again, without refusal, in pass 2 */
  deferred: string[];
  errors: string[];
  pass: 1 | 2;
}

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
  /** fetches and applies the newer ring of `peer` (after it refused a read as stale) */
  refreshRing: (peer: string) => Promise<void>;
}

/** Routes reads to owners, with fallback. */
export class ReadRouter {
  constructor(private readonly d: ReadRouterDeps) {}

  /** Owners of `vnode` in the order reads try them (see the class comment). */
  candidates(view: RingView, vnode: number): string[] {
    const tiers: string[][] = [[], [], []];
    const { self, health } = this.d;
    for (const n of view.owners(vnode)) {
      if (n === self) tiers[this.d.ready() ? 0 : 1]!.unshift(n);
      else if (!health.isUp(n)) tiers[2]!.push(n);
      else tiers[health.isReady(n) ? 0 : 1]!.push(n);
    }
    return tiers.flat();
  }

  readRange(q: RangeQuery): Promise<SeriesData> {
    return this.fresh(() =>
      this.route(q.symbol, (node, view, o) => (node === this.d.self ? this.d.local.readRange(q) : this.d.transport.readRange(this.member(view, node), q, o))),
    );
  }

  candles(q: CandleQuery): Promise<CandleResult> {
    return this.fresh(() =>
      this.route(q.symbol, (node, view, o) => (node === this.d.self ? this.d.local.candles(q) : this.d.transport.candles(this.member(view, node), q, o))),
    );
  }

  /** Routes again by a newer ring when an owner refused the read as routed by an older one
   *  (the vnode may have moved and the old owner dropped it: its answer would miss rows). */
  private fresh<T>(read: () => Promise<T>): Promise<T> {
    return routeWithFreshRing(read, this.d.refreshRing, this.d.counters);
  }

  /**
   * Latest rows: symbols are grouped by the node that will answer them, one call per node and
   * pass; a group whose node fails moves each of its symbols to that symbol's next candidate
   * (at most 2 × RF rounds).
   */
  latest(symbols: string[]): Promise<(SeriesData | null)[]> {
    return this.fresh(() => this.latestOnce(symbols));
  }

  private async latestOnce(symbols: string[]): Promise<(SeriesData | null)[]> {
    const view = this.requireView();
    const out: (SeriesData | null)[] = new Array(symbols.length).fill(null);
    let todo: LatestItem[] = symbols.map((s, i) => ({ i, cands: this.candidates(view, vnodeOf(s, view.vnodes)), deferred: [], errors: [], pass: 1 }));
    while (todo.length) {
      const groups = new Map<string, { node: string; pass: 1 | 2; items: LatestItem[] }>();
      for (const t of todo) {
        const node = this.nextCandidate(t);
        if (node === undefined) throw this.noOwner(symbols[t.i]!, view, t.errors);
        const key = `${t.pass}|${node}`;
        const g = groups.get(key) ?? { node, pass: t.pass, items: [] };
        g.items.push(t);
        groups.set(key, g);
      }
      const retry: LatestItem[] = [];
      await Promise.all(
        [...groups.values()].map(async ({ node, pass, items }) => {
          const syms = items.map((t) => symbols[t.i]!);
          try {
            const got = node === this.d.self ? await this.d.local.latest(syms) : await this.d.transport.latest(this.member(view, node), syms, { refuseIfBehind: pass === 1, epoch: view.epoch });
            items.forEach((t, k) => (out[t.i] = got[k] ?? null));
          } catch (err) {
            const behind = this.sortFailure(node, err);
            for (const t of items) (behind ? t.deferred.push(node) : t.errors.push(`${node}: ${(err as Error).message}`));
            retry.push(...items);
          }
        }),
      );
      if (retry.length) this.d.counters.readFallbacks += retry.length;
      todo = retry;
    }
    return out;
  }

  /** The item's next node: pass 1 over the candidates (deferring this node while behind), then pass 2 over the deferred ones. */
  private nextCandidate(t: LatestItem): string | undefined {
    for (;;) {
      const node = t.cands.shift();
      if (node === undefined) {
        if (t.pass === 2 || t.deferred.length === 0) return undefined;
        t.pass = 2;
        t.cands = t.deferred;
        t.deferred = [];
        continue;
      }
      if (t.pass === 1 && node === this.d.self && !this.d.ready()) t.deferred.push(node);
      else return node;
    }
  }

  /** Union of the symbols of this node and every peer seen up (a peer that fails is skipped). */
  async symbols(prefix = ''): Promise<string[]> {
    const view = this.d.view();
    const peers = view ? view.peers().filter((p) => this.d.health.isUp(p.id)) : [];
    const lists = await Promise.all([
      this.d.local.symbols(prefix),
      ...peers.map((p) =>
        this.d.transport.symbols(p, prefix).catch((err: Error) => {
          this.sortFailure(p.id, err);
          return [] as string[];
        }),
      ),
    ]);
    if (lists.length === 1) return lists[0]!;
    return [...new Set(lists.flat())].sort();
  }

  /**
   * Tries the candidates in order, each asked to refuse while behind (this node is skipped while
   * behind); then, only if none answered, the ones that were behind, without refusal.
   */
  private async route<T>(symbol: string, call: (node: string, view: RingView, o: PeerReadOptions) => Promise<T>): Promise<T> {
    const view = this.requireView();
    const errors: string[] = [];
    const behind: string[] = [];
    const attempt = async (node: string, refuseIfBehind: boolean): Promise<{ value: T } | null> => {
      try {
        const value = await call(node, view, { refuseIfBehind, epoch: view.epoch });
        if (errors.length || behind.length) this.d.counters.readFallbacks++;
        return { value };
      } catch (err) {
        if (this.sortFailure(node, err) && refuseIfBehind) behind.push(node);
        else errors.push(`${node}: ${(err as Error).message}`);
        return null;
      }
    };
    for (const node of this.candidates(view, view.ring.vnodeOf(symbol))) {
      if (node === this.d.self && !this.d.ready()) behind.push(node);
      else {
        const r = await attempt(node, true);
        if (r) return r.value;
      }
    }
    for (const node of behind.splice(0)) {
      const r = await attempt(node, false);
      if (r) return r.value;
    }
    throw this.noOwner(symbol, view, errors);
  }

  /**
   * Classifies a failed read on `node`: rethrows caller faults and stale-ring refusals, counts a
   * peer that did not answer against its health, and returns true when the peer only refused for
   * being behind.
   */
  private sortFailure(node: string, err: unknown): boolean {
    if (err instanceof ValidationError) throw err;
    if (err instanceof PeerError) {
      if (err.kind === 'rejected' && err.status === 400) throw new ValidationError(err.message);
      if (err.stale) throw new StaleRingRefusal(node, this.d.view()?.epoch ?? 0);
      if (err.behind) return true;
      if (err.kind === 'unreachable') this.d.health.noteFailure(node, err.message);
    }
    this.d.log('read failed on an owner; trying the next', { node, error: (err as Error).message });
    return false;
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
