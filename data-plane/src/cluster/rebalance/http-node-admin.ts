import { CLUSTER_TOKEN_HEADER } from '../node/cluster-token.ts';
import { ringDocToJson, type RingDoc, type RingMember } from '../node/ring-doc.ts';
import type { NodeAdmin } from './rebalance-driver.ts';

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

  async startPull(to: RingMember, vnode: number, from: string): Promise<void> {
    const res = await this.call(to, 'POST', `/admin/vnodes/${vnode}/pull`, JSON.stringify({ from }));
    if (!res.ok) throw await failure(to, `POST /admin/vnodes/${vnode}/pull`, res);
  }

  async pullState(to: RingMember, vnode: number): Promise<{ state: 'running' | 'done' | 'failed' | 'cancelled'; error?: string; bytes: number } | null> {
    const res = await this.call(to, 'GET', '/admin/handoff');
    if (!res.ok) throw await failure(to, 'GET /admin/handoff', res);
    const { jobs } = (await res.json()) as { jobs: { vnode: number; state: 'running' | 'done' | 'failed' | 'cancelled'; error?: string; bytes: number }[] };
    return jobs.find((j) => j.vnode === vnode) ?? null;
  }

  async cancelPull(to: RingMember, vnode: number): Promise<void> {
    const res = await this.call(to, 'DELETE', `/admin/handoff/${vnode}`);
    if (!res.ok) throw await failure(to, `DELETE /admin/handoff/${vnode}`, res);
  }

  async drop(node: RingMember, vnode: number): Promise<void> {
    const res = await this.call(node, 'DELETE', `/admin/vnodes/${vnode}`);
    if (!res.ok) throw await failure(node, `DELETE /admin/vnodes/${vnode}`, res);
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
