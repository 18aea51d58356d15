/**
 * The operator process: `bun control-plane/src/main.ts [--kubeconfig FILE] [--namespace NS]`.
 *
 * Runs on Bun (README "Kubernetes operator"): @kubernetes/client-node 2.x needs Node ≥ 22.19 and
 * does not load on Node 20, and under Bun it authenticates with bearer tokens only (client
 * certificates are not sent) and trusts the API server's CA only through NODE_EXTRA_CA_CERTS. In a
 * pod that is the ServiceAccount token and
 * NODE_EXTRA_CA_CERTS=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt (manifests/operator.yaml).
 *
 * Flags (env in brackets): --kubeconfig [KUBECONFIG] (default: in-cluster), --namespace
 * [WATCH_NAMESPACE] (default all), --lease-namespace [POD_NAMESPACE] (default stock-tsdb-system),
 * --identity [POD_NAME] (default hostname), --cluster-domain [CLUSTER_DOMAIN] (cluster.local),
 * --cluster-token-file [CLUSTER_TOKEN_FILE] (the data plane's cluster.token, for its admin API;
 * default none), --member-address [MEMBER_ADDRESS] dns|pod-ip (how the ring addresses nodes;
 * default dns: the headless Service's pod names), --handoff-grace-ms [HANDOFF_GRACE_MS] (how long
 * old owners keep a moved vnode after the flip so in-flight reads finish; default 5000).
 * Logs JSON lines on stdout. Exit: 0 on SIGTERM/SIGINT, 1 on lost leadership or a start failure,
 * 2 on a bad command line.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { HttpDataPlaneAdmin } from './data-plane-admin.ts';
import { ClientNodeKubeApi, loadKubeConfig } from './kube/client-node-kube-api.ts';
import { Operator, type Log } from './operator.ts';

const FLAGS: Record<string, string> = {
  '--kubeconfig': 'KUBECONFIG',
  '--namespace': 'WATCH_NAMESPACE',
  '--lease-namespace': 'POD_NAMESPACE',
  '--identity': 'POD_NAME',
  '--cluster-domain': 'CLUSTER_DOMAIN',
  '--cluster-token-file': 'CLUSTER_TOKEN_FILE',
  '--member-address': 'MEMBER_ADDRESS',
  '--handoff-grace-ms': 'HANDOFF_GRACE_MS',
};

const USAGE = `usage: bun control-plane/src/main.ts [flags]   (each flag also reads the env var named)
${Object.entries({
  '--kubeconfig FILE': 'KUBECONFIG; default: in-cluster ServiceAccount',
  '--namespace NS': 'WATCH_NAMESPACE; default: all namespaces',
  '--lease-namespace NS': 'POD_NAMESPACE; default stock-tsdb-system',
  '--identity NAME': 'POD_NAME; default: host name',
  '--cluster-domain DOMAIN': 'CLUSTER_DOMAIN; default cluster.local',
  '--cluster-token-file FILE': "CLUSTER_TOKEN_FILE; the data plane's cluster.token",
  '--member-address dns|pod-ip': 'MEMBER_ADDRESS; default dns',
  '--handoff-grace-ms MS': 'HANDOFF_GRACE_MS; default 5000',
})
  .map(([f, d]) => `  ${f.padEnd(30)} ${d}`)
  .join('\n')}
`;

function parseArgs(argv: string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [flag, env] of Object.entries(FLAGS)) out[flag] = process.env[env] || undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!(flag in FLAGS)) throw new Error(`unknown argument "${argv[i]}" (known: ${Object.keys(FLAGS).join(' ')})`);
    const value = inline ?? argv[++i];
    if (!value) throw new Error(`${flag} needs a value`);
    out[flag] = value;
  }
  return out;
}

const log: Log = (level, msg, extra) => {
  process.stdout.write(`${JSON.stringify({ ts: new Date().toISOString(), level, msg, ...extra })}\n`);
};

async function main(): Promise<number> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let args: Record<string, string | undefined>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`stock-tsdb-operator: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const kc = args['--kubeconfig'] ? loadKubeConfig(args['--kubeconfig']) : loadKubeConfig();
  const token = args['--cluster-token-file'] ? readFileSync(args['--cluster-token-file'], 'utf8').trim() : '';
  const memberAddress = args['--member-address'] ?? 'dns';
  if (memberAddress !== 'dns' && memberAddress !== 'pod-ip') {
    process.stderr.write(`stock-tsdb-operator: --member-address must be dns or pod-ip, not "${memberAddress}"\n`);
    return 2;
  }
  const operator = new Operator({
    api: new ClientNodeKubeApi(kc),
    admin: new HttpDataPlaneAdmin(token),
    memberAddress,
    graceMs: args['--handoff-grace-ms'] ? Number(args['--handoff-grace-ms']) : undefined,
    log,
    watchNamespace: args['--namespace'],
    leaseNamespace: args['--lease-namespace'] ?? 'stock-tsdb-system',
    identity: `${args['--identity'] ?? hostname()}_${randomBytes(4).toString('hex')}`,
    clusterDomain: args['--cluster-domain'],
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('info', 'stopping', { signal });
    await operator.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  try {
    await operator.start(() => {
      // Reconciles may be mid-way; a fresh process resumes from the stored intent.
      log('error', 'lost leadership; exiting');
      process.exit(1);
    });
  } catch (err) {
    log('error', 'cannot start', { err: String((err as Error)?.message ?? err) });
    return 1;
  }
  return new Promise<number>(() => {}); // runs until a signal
}

const code = await main();
process.exit(code);
