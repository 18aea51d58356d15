import { CLUSTER_TOKEN_HEADER } from '../node/cluster-token.ts';
import { ringDocToJson, type RingDoc, type RingMember } from '../node/ring-doc.ts';
import type { NodeAdmin, PullState } from './rebalance-driver.ts';

/**
 * NodeAdmin over each node's admin API (cluster-api.md), authenticated with the cluster token.
 * A 409 from PUT /admin/ring means the node already has a newer epoch: fine for the driver.
 */
export class HttpNodeAdmin implements NodeAdmin {
  constructor(private readonly token: string, private readonly timeoutMs = 10_000) {}

  async applyRing(node: RingMember, doc: RingDoc): Promise<void> {
    const res = await this.call(node, 'PUT', '/admin/ring', JSON.stringify(ringDocToJson(doc)));
    if (!res.ok && res.status !== 409) throw await failure(node, 'PUT /admin/ring', res);
  }

  async startPulls(to: RingMember, from: string, vnodes: number[]): Promise<void> {
    const res = await this.call(to, 'POST', '/admin/handoff/pull', JSON.stringify({ from, vnodes }));
    if (!res.ok) throw await failure(to, 'POST /admin/handoff/pull', res);
  }

  async pullStates(to: RingMember, vnodes: number[]): Promise<Map<number, PullState>> {
    const res = await this.call(to, 'GET', `/admin/handoff?vnodes=${vnodes.join(',')}`);
    if (!res.ok) throw await failure(to, 'GET /admin/handoff', res);
    const { jobs } = (await res.json()) as { jobs: (PullState & { vnode: number })[] };
    return new Map(jobs.map((j) => [j.vnode, j]));
  }

  async cancelPull(to: RingMember, vnode: number): Promise<void> {
    const res = await this.call(to, 'DELETE', `/admin/handoff/${vnode}`);
    if (!res.ok) throw await failure(to, `DELETE /admin/handoff/${vnode}`, res);
  }

  async drop(node: RingMember, vnode: number): Promise<void> {
    const res = await this.call(node, 'DELETE', `/admin/vnodes/${vnode}`);
    if (!res.ok) throw await failure(node, `DELETE /admin/vnodes/${vnode}`, res);
  }

  async hintsFor(node: RingMember, target: string): Promise<number> {
    const res = await this.call(node, 'GET', `/internal/v1/hints?target=${encodeURIComponent(target)}`);
    if (!res.ok) throw await failure(node, 'GET /internal/v1/hints', res);
    return ((await res.json()) as { pending: number }).pending;
  }

  private call(node: RingMember, method: string, path: string, body?: string): Promise<Response> {
    return fetch(`http://${node.address}${path}`, {
      method,
      body,
      headers: { [CLUSTER_TOKEN_HEADER]: this.token, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
  }
}

async function failure(node: RingMember, what: string, res: Response): Promise<Error> {
  return new Error(`${what} on ${node.id} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
}
