/**
 * Runs the operator as a Bun process, as it runs in its pod: token auth (the operator's
 * ServiceAccount identity from control-plane.ts's token file) and NODE_EXTRA_CA_CERTS naming the
 * API server's CA (README "Kubernetes operator": Bun ignores the kubeconfig's CA).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { OPERATOR_NAMESPACE, REPO_ROOT, type ControlPlane } from './control-plane.ts';

/** A running operator process. */
export interface OperatorProcess {
  proc: ChildProcess;
  output(): string;
  /** SIGTERM (graceful: releases the Lease) and wait. */
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

/** Starts the operator and waits for its "watches synced" log line. */
export async function startOperator(cp: ControlPlane, opts: { timeoutMs?: number } = {}): Promise<OperatorProcess> {
  const proc = spawn(join(REPO_ROOT, 'node_modules/.bin/bun'), ['control-plane/src/main.ts', '--kubeconfig', cp.operatorKubeconfig, '--lease-namespace', OPERATOR_NAMESPACE, '--identity', 'e2e-operator', '--member-address', 'pod-ip', '--handoff-grace-ms', '500'], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: cp.caFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => void (out = (out + b.toString()).slice(-200_000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stopWith = async (sig: NodeJS.Signals) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(sig);
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  const op: OperatorProcess = { proc, output: () => out, stop: () => stopWith('SIGTERM'), kill9: () => stopWith('SIGKILL') };
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while (!out.includes('"watches synced"')) {
    if (proc.exitCode !== null) throw new Error(`operator exited with ${proc.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      await op.kill9();
      throw new Error(`operator did not sync its watches in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return op;
}
