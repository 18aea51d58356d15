/**
 * The operator's only door to the data plane: what it needs from the nodes' admin API
 * (data-plane/docs/cluster-api.md) to publish ring documents and hand vnodes over, as an
 * interface plus an HTTP client. Everything else in the operator talks to Kubernetes only.
 *
 * The interface is the data plane's own `NodeAdmin` (the calls its `RebalanceDriver` makes:
 * PUT /admin/ring, POST /admin/vnodes/:v/pull, GET /admin/handoff, DELETE /admin/handoff/:v,
 * DELETE /admin/vnodes/:v) plus one read, `ringEpoch` (GET /admin/ring), so a reconcile only
 * pushes a ring to nodes that do not have it yet. The client is the data plane's
 * `HttpNodeAdmin` (cluster token in X-Cluster-Token) with that read added.
 */
import { HttpNodeAdmin } from '../../data-plane/src/cluster/rebalance/http-node-admin.ts';
import type { NodeAdmin } from '../../data-plane/src/cluster/rebalance/rebalance-driver.ts';
import { CLUSTER_TOKEN_HEADER } from '../../data-plane/src/cluster/node/cluster-token.ts';
import type { RingMember } from '../../data-plane/src/cluster/node/ring-doc.ts';

/** What the operator needs from data-plane nodes. Methods throw on failure (HTTP or network). */
export interface DataPlaneAdmin extends NodeAdmin {
  /** GET /admin/ring: the epoch the node routes by (0 = no ring yet). */
  ringEpoch(node: RingMember): Promise<number>;
}

/** The HTTP client: the data plane's HttpNodeAdmin plus `ringEpoch`. */
export class HttpDataPlaneAdmin extends HttpNodeAdmin implements DataPlaneAdmin {
  constructor(
    private readonly clusterToken: string,
    private readonly callTimeoutMs = 10_000,
  ) {
    super(clusterToken, callTimeoutMs);
  }

  async ringEpoch(node: RingMember): Promise<number> {
    const res = await fetch(`http://${node.address}/admin/ring`, {
      headers: this.clusterToken ? { [CLUSTER_TOKEN_HEADER]: this.clusterToken } : {},
      // A cheap read: a node that cannot answer it in 2 s is not one to push a ring to now.
      signal: AbortSignal.timeout(Math.min(this.callTimeoutMs, 2000)),
    });
    if (!res.ok) throw new Error(`GET /admin/ring on ${node.id} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return ((await res.json()) as { epoch?: number }).epoch ?? 0;
  }
}
