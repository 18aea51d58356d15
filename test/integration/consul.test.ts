/**
 * Consul membership against a REAL Consul agent (`consul agent -dev` on 127.0.0.1, built by
 * scripts/build-consul.sh). Fails, never skips, when Consul is unavailable.
 *
 * The "nodes" are tiny HTTP servers on 127.0.0.2 / 127.0.0.3 answering /health, so Consul's
 * HTTP checks really pass, and really fail once a server is stopped.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsulClient } from '../../data-plane/src/cluster/consul-client.ts';
import { ConsulMembership, SERVICE_NAME } from '../../data-plane/src/cluster/consul-membership.ts';
import type { Member, SelfRegistration } from '../../data-plane/src/cluster/membership.ts';
import { describeMembershipContract, waitFor } from '../../data-plane/src/cluster/membership-source.case.ts';
import type { ClusterNode } from '../../data-plane/src/cluster/node/cluster-node.ts';
import { ConsulCoordinator } from '../../data-plane/src/cluster/rebalance/consul-coordinator.ts';
import type { NodeAdmin } from '../../data-plane/src/cluster/rebalance/rebalance-driver.ts';
import { planPlacement } from '../../data-plane/src/cluster/planner.ts';
import { CorruptionError } from '../../data-plane/src/errors.ts';
import { type ConsulAgent, startConsulAgent } from '../tools/consul/consul-agent.ts';

const run = promisify(execFile);
let agent: ConsulAgent;
let agentError: unknown;
let clusterSeq = 0;

beforeAll(async () => {
  try {
    agent = await startConsulAgent(); // builds Consul on a fresh machine: minutes, once
  } catch (err) {
    // Kept and rethrown by every test, so each one FAILS (a throwing beforeAll marks them skipped).
    agentError = err;
  }
}, 30 * 60_000);

/** Throws the agent's start-up error, if any: no Consul means failed tests, never skipped ones. */
function requireAgent(): void {
  if (agentError !== undefined) throw new Error(`Consul unavailable: ${(agentError as Error).message}`, { cause: agentError });
}

afterAll(async () => {
  await agent?.stop();
});

/** A fake node: an HTTP server on `host` whose /health answers 200 until stopped. */
interface HealthServer {
  reg: SelfRegistration;
  stop(): Promise<void>;
}

async function startHealthServer(id: string, host: string): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const ok = req.url === '/health';
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' }).end(ok ? '{"status":"ok"}' : '{}');
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const { port } = server.address() as { port: number };
  let stopped = false;
  return {
    // One port plays both the data port and the metrics port of a real node.
    reg: { id, address: host, port, healthUrl: `http://${host}:${port}/health`, meta: { metrics_port: String(port) } },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function curlJson(path: string): Promise<unknown> {
  const { stdout } = await run('curl', ['-sS', '--fail', `${agent.httpUrl}${path}`]);
  return JSON.parse(stdout);
}

type CurlEntry = { Service: { ID: string }; Checks: { ServiceID: string; Status: string }[] };
const statusOf = (entries: CurlEntry[], id: string) =>
  entries.find((e) => e.Service.ID === id)?.Checks.find((c) => c.ServiceID === id)?.Status;

function membership(service?: string): ConsulMembership {
  requireAgent();
  return new ConsulMembership({
    consul: { servers: [agent.address] },
    cluster: `it-${process.pid}-${++clusterSeq}`,
    service,
    checkInterval: '1s',
    checkTimeout: '1s',
    watch: { wait: '10s' },
  });
}

describe('Consul membership (real agent)', () => {
  it('registers two nodes that curl lists as passing, then sees one go critical when it dies', async () => {
    const m = membership();
    const a = await startHealthServer('node-a', '127.0.0.2');
    const b = await startHealthServer('node-b', '127.0.0.3');
    const events: Member[][] = [];
    const off = m.onMembersChanged((ms) => events.push(ms));
    try {
      await m.register(a.reg);
      await m.register(b.reg);
      const all = await waitFor('both passing in curl', 15_000, async () => {
        const entries = (await curlJson(`/v1/health/service/${SERVICE_NAME}`)) as CurlEntry[];
        return statusOf(entries, 'node-a') === 'passing' && statusOf(entries, 'node-b') === 'passing' ? entries : undefined;
      });
      expect(all.map((e) => e.Service.ID).sort()).toEqual(['node-a', 'node-b']);
      const client = new ConsulClient({ servers: [agent.address] });
      expect((await client.healthyInstances(SERVICE_NAME)).map((i) => [i.id, i.address, i.port])).toEqual([
        ['node-a', '127.0.0.2', a.reg.port],
        ['node-b', '127.0.0.3', b.reg.port],
      ]);

      await b.stop();
      await waitFor('node-b critical in curl', 15_000, async () => {
        const entries = (await curlJson(`/v1/health/service/${SERVICE_NAME}`)) as CurlEntry[];
        return statusOf(entries, 'node-b') === 'critical' ? true : undefined;
      });
      const passing = (await curlJson(`/v1/health/service/${SERVICE_NAME}?passing`)) as CurlEntry[];
      expect(passing.map((e) => e.Service.ID)).toEqual(['node-a']);
      // The watch saw it too, and node-b stays a member (unhealthy), not removed.
      await waitFor('watch event with node-b unhealthy', 15_000, () =>
        events.some((ms) => ms.find((x) => x.id === 'node-b')?.healthy === false && ms.find((x) => x.id === 'node-a')?.healthy)
          ? true
          : undefined,
      );
      expect((await m.members()).map((x) => [x.id, x.healthy])).toEqual([
        ['node-a', true],
        ['node-b', false],
      ]);
    } finally {
      off();
      await m.deregister('node-a');
      await m.deregister('node-b');
      await Promise.all([a.stop(), b.stop(), m.close()]);
    }
    expect(await new ConsulClient({ servers: [agent.address] }).healthyInstances(SERVICE_NAME)).toEqual([]);
  });

  it('never lets two concurrent placement CAS updates from two nodes both succeed', async () => {
    requireAgent();
    const cluster = `it-${process.pid}-${++clusterSeq}`;
    const opts = { consul: { servers: [agent.address] }, cluster };
    const [n1, n2] = [new ConsulMembership(opts), new ConsulMembership(opts)];
    try {
      const vopts = { vnodes: 1000, replicationFactor: 2 };
      let wins = 0;
      for (let round = 0; round < 25; round++) {
        // Both nodes read the same version and each proposes its own next placement.
        const [r1, r2] = await Promise.all([n1.getPlacement(), n2.getPlacement()]);
        expect(r1?.version).toBe(r2?.version);
        const base = r1?.placement ?? null;
        const p1 = planPlacement(base, ['a', 'b', `x${round}`], vopts);
        const p2 = planPlacement(base, ['a', 'b', `y${round}`], vopts);
        const [ok1, ok2] = await Promise.all([
          n1.casPlacement(p1, r1?.version ?? null),
          n2.casPlacement(p2, r2?.version ?? null),
        ]);
        expect(ok1 && ok2, `round ${round}: both CAS succeeded`).toBe(false);
        expect(ok1 || ok2, `round ${round}: neither CAS succeeded`).toBe(true);
        const stored = (await n1.getPlacement())!;
        expect(stored.placement).toEqual(ok1 ? p1 : p2);
        expect(stored.placement.epoch).toBe((base?.epoch ?? 0) + 1);
        wins++;
      }
      expect(wins).toBe(25);
    } finally {
      await new ConsulClient({ servers: [agent.address] }).kvDelete(n1.placementKey);
      await Promise.all([n1.close(), n2.close()]);
    }
  });

  it('reports a corrupt placement document as CorruptionError naming the key', async () => {
    const m = membership();
    const client = new ConsulClient({ servers: [agent.address] });
    try {
      expect(await client.kvCas(m.placementKey, '{"format":1,"epoch":1', 0)).toBe(true);
      const err = await m.getPlacement().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptionError);
      expect((err as Error).message).toContain(m.placementKey);
    } finally {
      await client.kvDelete(m.placementKey);
      await m.close();
    }
  });

  it('a stopping coordinator does not wait out its blocking ring watch', async () => {
    requireAgent();
    const consul = new ConsulClient({ servers: [agent.address] });
    const id = `stop-${process.pid}`;
    const c = new ConsulCoordinator({
      consul,
      cluster: `stop-${process.pid}-${clusterSeq++}`,
      // No ring document is ever written, so neither is touched; the check never passes, so
      // this node never leads and never runs the driver.
      node: { ringDoc: null, applyRing: async () => {} } as unknown as ClusterNode,
      self: { id, host: '127.0.0.1', port: 1, healthUrl: 'http://127.0.0.1:1/health' },
      admin: {} as NodeAdmin,
      driver: { vnodes: 16, replicationFactor: 1, maxMovesPerStep: 4, graceMs: 0, pollMs: 50 },
      intervalMs: 500,
      log: () => {},
    });
    try {
      await c.start();
      await new Promise((r) => setTimeout(r, 500)); // the watch now sits in its 10-s blocking query
      const t0 = performance.now();
      await c.stop();
      // Before, SIGTERM on a Consul-mode node took up to the query's 10 s (8.2 s measured).
      expect(performance.now() - t0).toBeLessThan(3000);
    } finally {
      await consul.deregisterService(id);
    }
  });

  it('ConsulClient moves on to the next agent address after a connection error', async () => {
    requireAgent();
    const dead = '127.0.0.1:1'; // nothing listens on port 1
    const client = new ConsulClient({ servers: [dead, agent.address], timeoutMs: 2000 });
    await expect(client.kvGet('stock-tsdb/none')).rejects.toThrow(/127\.0\.0\.1:1/);
    expect(await client.kvGet('stock-tsdb/none')).toMatchObject({ value: null });
  });
});

describeMembershipContract('ConsulMembership', async () => {
  // A service name of its own per test, so contract runs never see each other's nodes.
  const m = membership(`stock-tsdb-contract-${process.pid}-${clusterSeq}`);
  const servers = new Map<string, HealthServer>();
  let hostSeq = 0;
  return {
    source: m,
    startNode: async (id) => {
      const s = await startHealthServer(id, `127.0.0.${2 + (hostSeq++ % 2)}`);
      servers.set(id, s);
      return s.reg;
    },
    failNode: async (id) => servers.get(id)!.stop(),
    settleMs: 15_000,
    close: async () => {
      const client = new ConsulClient({ servers: [agent.address] });
      await Promise.all([...servers.keys()].map((id) => m.deregister(id)));
      await Promise.all([...servers.values()].map((s) => s.stop()));
      await client.kvDelete(m.placementKey);
      await m.close();
    },
  };
});
