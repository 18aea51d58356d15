import { readdirSync, readFileSync } from 'node:fs';
import type { Registry } from './registry.ts';

/**
 * Registers the standard `process_*` metrics (names as the Prometheus client libraries use them,
 * so stock dashboards work): CPU seconds, resident and virtual memory, heap, open and max file
 * descriptors, start time. Values are read at scrape time; the `/proc` ones are Linux-only and
 * left out elsewhere.
 */
export function registerProcessMetrics(registry: Registry): void {
  const startSec = Math.floor(Date.now() / 1000 - process.uptime());
  registry.callbackCounter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    collect: () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    },
  });
  registry.callbackCounter({
    name: 'process_cpu_user_seconds_total',
    help: 'User CPU time spent in seconds.',
    collect: () => process.cpuUsage().user / 1e6,
  });
  registry.callbackCounter({
    name: 'process_cpu_system_seconds_total',
    help: 'System CPU time spent in seconds.',
    collect: () => process.cpuUsage().system / 1e6,
  });
  registry.callbackGauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    collect: () => process.memoryUsage().rss,
  });
  registry.callbackGauge({
    name: 'process_heap_bytes',
    help: 'JavaScript heap in use, in bytes.',
    collect: () => process.memoryUsage().heapUsed,
  });
  registry.callbackGauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since unix epoch in seconds.',
    collect: () => startSec,
  });
  if (process.platform !== 'linux') return;
  registry.callbackGauge({
    name: 'process_virtual_memory_bytes',
    help: 'Virtual memory size in bytes.',
    collect: () => virtualMemoryBytes(),
  });
  registry.callbackGauge({
    name: 'process_open_fds',
    help: 'Number of open file descriptors.',
    collect: () => readdirSync('/proc/self/fd').length,
  });
  const maxFds = readMaxFds();
  if (maxFds !== undefined) {
    registry.callbackGauge({
      name: 'process_max_fds',
      help: 'Maximum number of open file descriptors.',
      collect: () => maxFds,
    });
  }
}

/** vsize from /proc/self/stat (field 23; the comm field may hold spaces, so split after ')'). */
function virtualMemoryBytes(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field 23 (vsize) is rest[20].
  return Number(rest[20]);
}

function readMaxFds(): number | undefined {
  try {
    const m = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
