/**
 * Reads what tune.ts needs to know about this machine: usable cores and memory (honouring
 * cgroup limits, since containers see the host's totals through `os`), free disk space and the
 * current size of the data directory.
 */
import { readFile, readdir, lstat, statfs } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { MachineInfo } from './tune.ts';
import { usableCores } from '../util/usable-cores.ts';

/**
 * Probes the machine for tuning storage in `dataDir` (relative paths resolve against the
 * working directory, as the server resolves them). Never throws: unknown values are null.
 */
export async function probeMachine(dataDir: string): Promise<MachineInfo> {
  const dir = resolve(dataDir);
  const [memLimit, freeDiskBytes, dataSizeBytes] = await Promise.all([cgroupMemoryLimit(), freeDisk(dir), directorySize(dir)]);
  const cores = usableCores();
  const memoryBytes = Math.min(totalmem(), memLimit ?? Infinity);
  return { cores, memoryBytes, freeDiskBytes, dataSizeBytes };
}

async function readText(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return null;
  }
}

/** cgroup v2 memory.max (or v1 limit_in_bytes) in bytes; null when unlimited or absent. */
async function cgroupMemoryLimit(): Promise<number | null> {
  const text = (await readText('/sys/fs/cgroup/memory.max')) ?? (await readText('/sys/fs/cgroup/memory/memory.limit_in_bytes'));
  const n = text && text !== 'max' ? Number(text) : NaN;
  // v1 reports "no limit" as a huge number near 2^63.
  return Number.isFinite(n) && n > 0 && n < 2 ** 60 ? n : null;
}

/** Free bytes for unprivileged users on the file system that holds (or will hold) `dir`. */
async function freeDisk(dir: string): Promise<number | null> {
  for (let d = dir; ; d = dirname(d)) {
    try {
      const s = await statfs(d);
      return s.bavail * s.bsize;
    } catch {
      if (dirname(d) === d) return null;
    }
  }
}

/** Sum of file sizes under `dir` (symlinks not followed); null if `dir` does not exist. */
async function directorySize(dir: string): Promise<number | null> {
  try {
    const st = await lstat(dir);
    if (!st.isDirectory()) return st.size;
  } catch {
    return null;
  }
  let total = 0;
  const pending = [dir];
  while (pending.length > 0) {
    const d = pending.pop()!;
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) pending.push(p);
      else if (e.isFile()) total += (await lstat(p).catch(() => ({ size: 0 }))).size;
    }
  }
  return total;
}
