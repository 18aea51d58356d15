import type { Engine } from '../../storage/engine.ts';
import type { VnodeDigest } from '../../storage/engine-vnodes.ts';
import type { PullJobs } from './pull-jobs.ts';

/** One vnode whose replicas disagree. */
export interface ReplicaMismatch {
  vnode: number;
  peer: string;
  local: VnodeDigest;
  remote: VnodeDigest;
  /** true when a repair ran and both replicas then agreed */
  repaired?: boolean;
}

export interface VerifyReport {
  self: string;
  vnodesChecked: number;
  mismatches: ReplicaMismatch[];
  errors: string[];
  ms: number;
}

export interface VerifyOptions {
  engine: Engine;
  self: string;
  /** vnode → every owner of it (this node included) in the applied ring */
  owners: readonly (readonly string[])[];
  urlOf(nodeId: string): string;
  headers(): Record<string, string>;
  jobs: PullJobs;
  repair: boolean;
}

/**
 * "Verify data sync state" (the original doc): for every vnode this node owns, compares the row
 * count and order-independent checksum of its sealed rows (both sides flush first) with every
 * other owner's. A difference is re-checked once (a write may have been in flight) before it is
 * reported. With `repair`, each side pulls the vnode from the other (imports keep rows already
 * there), so both end with the union of their rows; rows present on both sides with different
 * values for the same timestamp cannot be ordered without write times and stay reported.
 */
export async function verifyReplicas(o: VerifyOptions): Promise<VerifyReport> {
  const t0 = Date.now();
  const report: VerifyReport = { self: o.self, vnodesChecked: 0, mismatches: [], errors: [], ms: 0 };
  const owners = o.owners;
  for (let v = 0; v < owners.length; v++) {
    if (!owners[v]?.includes(o.self)) continue;
    report.vnodesChecked++;
    for (const peer of owners[v]) {
      if (peer === o.self) continue;
      try {
        const m = await compare(o, v, peer);
        if (!m) continue;
        if (o.repair) m.repaired = await repair(o, v, peer);
        report.mismatches.push(m);
      } catch (err) {
        report.errors.push(`vnode ${v} vs ${peer}: ${(err as Error).message}`);
      }
    }
  }
  report.ms = Date.now() - t0;
  return report;
}

async function compare(o: VerifyOptions, vnode: number, peer: string): Promise<ReplicaMismatch | null> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (attempt) await sleep(500);
    await o.engine.vnodes.flush(vnode);
    const [local, remote] = await Promise.all([o.engine.vnodes.digest(vnode), remoteDigest(o, vnode, peer)]);
    if (local.rows === remote.rows && local.checksum === remote.checksum) return null;
    if (attempt === 1) return { vnode, peer, local, remote };
  }
  return null;
}

async function repair(o: VerifyOptions, vnode: number, peer: string): Promise<boolean> {
  o.jobs.start(vnode, peer);
  const mine = await o.jobs.wait(vnode);
  if (mine?.state !== 'done') return false;
  const res = await fetch(`${o.urlOf(peer)}/admin/vnodes/${vnode}/pull`, { method: 'POST', headers: { ...o.headers(), 'content-type': 'application/json' }, body: JSON.stringify({ from: o.self }) });
  if (!res.ok) throw new Error(`asking ${peer} to pull vnode ${vnode} answered ${res.status}`);
  for (let i = 0; i < 600; i++) {
    await sleep(100);
    const r = await fetch(`${o.urlOf(peer)}/admin/handoff`, { headers: o.headers() });
    const job = ((await r.json()) as { jobs: { vnode: number; state: string }[] }).jobs.find((j) => j.vnode === vnode);
    if (job && job.state !== 'running') break;
  }
  return (await compare(o, vnode, peer)) === null;
}

async function remoteDigest(o: VerifyOptions, vnode: number, peer: string): Promise<VnodeDigest> {
  const res = await fetch(`${o.urlOf(peer)}/internal/v1/vnodes/${vnode}/digest?flush=1`, { headers: o.headers() });
  if (!res.ok) throw new Error(`digest of vnode ${vnode} on ${peer} answered ${res.status}`);
  return (await res.json()) as VnodeDigest;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
