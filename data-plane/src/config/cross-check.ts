/**
 * Rules that involve more than one key, run after every key was checked on its own. A rule is
 * skipped when one of its keys was already rejected, so one mistake is reported once.
 */
import type { StockTsdbConfig } from './types.ts';
import type { WalkState } from './validate.ts';



/**
 * Reconciles and derives values in `c` (still mutable: it is frozen after this) and adds
 * problems to `st`. Order matters: vnodes are reconciled before anything reads them.
 */
export function crossCheck(c: StockTsdbConfig, st: WalkState): void {
  syncVnodes(c, st);
  checkPorts(c, st);
  checkAuth(c, st);
  checkCluster(c, st);
  deriveAdvertiseAddress(c, st);
}

const VNODES = 'storage.vnodes';
const VIRTUAL_NODES = 'cluster.sharding.virtual_nodes';

/** storage.vnodes and cluster.sharding.virtual_nodes are one number: either spelling sets both. */
function syncVnodes(c: StockTsdbConfig, st: WalkState): void {
  const a = st.given.has(VNODES) && !st.invalid.has(VNODES);
  const b = st.given.has(VIRTUAL_NODES) && !st.invalid.has(VIRTUAL_NODES);
  if (a && b && c.storage.vnodes !== c.cluster.sharding.virtual_nodes) {
    st.errors.push(`${VIRTUAL_NODES}: must equal ${VNODES} (${c.cluster.sharding.virtual_nodes} vs ${c.storage.vnodes}); they are the same setting`);
  } else if (b) c.storage.vnodes = c.cluster.sharding.virtual_nodes;
  else c.cluster.sharding.virtual_nodes = c.storage.vnodes;
}

function checkPorts(c: StockTsdbConfig, st: WalkState): void {
  if (st.invalid.has('network.port') || st.invalid.has('monitoring.metrics_port')) return;
  if (c.monitoring.enabled && c.network.port !== 0 && c.network.port === c.monitoring.metrics_port) {
    st.errors.push(`monitoring.metrics_port: must differ from network.port (both are ${c.network.port})`);
  }
}

function checkAuth(c: StockTsdbConfig, st: WalkState): void {
  if (st.invalid.has('auth.tokens') || st.invalid.has('auth.enabled')) return;
  if (c.auth.enabled && c.auth.tokens.length === 0) {
    st.errors.push('auth.tokens: auth.enabled is true but no token is configured, so every request would be refused');
  }
}

function checkCluster(c: StockTsdbConfig, st: WalkState): void {
  if (!c.cluster.enabled) return;
  const sd = c.cluster.service_discovery;
  if (sd.provider === 'consul' && sd.servers.length === 0 && !st.invalid.has('cluster.service_discovery.servers')) {
    st.errors.push('cluster.service_discovery.servers: the consul provider needs at least one Consul agent address "host:port"');
  }
  if (!c.cluster.sharding.enabled) {
    st.warnings.push('cluster.sharding.enabled: false is not supported and ignored; cluster data is always sharded over vnodes');
  }
  if (c.cluster.token === '') {
    st.warnings.push('cluster.token: empty, so node-to-node traffic is not authenticated; set a shared secret for production');
  }
  checkStaticMembers(c, st);
}

/** A static member list must name this node, or its ring would route nothing here. */
function checkStaticMembers(c: StockTsdbConfig, st: WalkState): void {
  const { members, node_id: self } = c.cluster;
  if (members.length === 0 || st.invalid.has('cluster.members') || st.invalid.has('cluster.node_id')) return;
  if (c.cluster.service_discovery.provider !== 'static') {
    st.warnings.push(`cluster.members: ignored with service_discovery.provider "${c.cluster.service_discovery.provider}" (only "static" reads it)`);
  } else if (!members.some((m) => m.id === self)) {
    st.errors.push(`cluster.members: does not list this node (cluster.node_id "${self}")`);
  }
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

/** Fills advertise_address from bind:port; other hosts cannot reach a wildcard, hence the warning. */
function deriveAdvertiseAddress(c: StockTsdbConfig, st: WalkState): void {
  if (c.cluster.advertise_address !== '') return;
  const bind = c.network.bind_address;
  const hostPart = WILDCARDS.has(bind) ? '127.0.0.1' : bind.includes(':') ? `[${bind}]` : bind;
  c.cluster.advertise_address = `${hostPart}:${c.network.port}`;
  if (c.cluster.enabled && WILDCARDS.has(bind)) {
    st.warnings.push(
      `cluster.advertise_address: not set and network.bind_address is ${bind}, so this node advertises ` +
        `${c.cluster.advertise_address}, which other hosts cannot reach; set it to this node's reachable host:port`,
    );
  }
}
