/**
 * How many cores this process may use: the CPUs it may run on, capped by a cgroup CPU quota.
 * A container (a Kubernetes pod with a CPU limit) sees every host CPU through `os`, so "one
 * codec worker per core" would otherwise start 32 workers in a 2-CPU pod.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

let cached: number | null = null;

/** Usable cores (≥ 1), read once per process. */
export function usableCores(): number {
  cached ??= Math.max(
    1,
    Math.min(
      availableParallelism(),
      cpuQuotaCores(readText('/sys/fs/cgroup/cpu.max'), readText('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'), readText('/sys/fs/cgroup/cpu/cpu.cfs_period_us')) ??
        Infinity,
    ),
  );
  return cached;
}

/**
 * A CPU quota in whole cores (rounded up), from cgroup v2 `cpu.max` ("QUOTA PERIOD", or "max
 * PERIOD" when unlimited) or, without it, cgroup v1's cfs quota and period (quota -1 when
 * unlimited). Null when there is no limit or the files say nothing usable.
 */
export function cpuQuotaCores(v2CpuMax: string | null, v1Quota: string | null, v1Period: string | null): number | null {
  let quota = NaN;
  let period = NaN;
  if (v2CpuMax) {
    const [q, p] = v2CpuMax.trim().split(/\s+/);
    if (q === 'max') return null;
    [quota, period] = [Number(q), Number(p)];
  } else if (v1Quota && v1Period) {
    [quota, period] = [Number(v1Quota), Number(v1Period)];
  }
  if (!(quota > 0) || !(period > 0)) return null;
  return Math.max(1, Math.ceil(quota / period));
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}
