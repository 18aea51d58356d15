import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, nextLoopbackHost, REPO_ROOT } from '../helpers/server-process.ts';

function sh(script: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync('bash', [join(REPO_ROOT, script), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('operations scripts (deploy_standalone.sh, utils/health_check.sh)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'scripts-test-'));
  const runDir = join(tmp, 'run');
  afterAll(() => {
    sh('scripts/deploy_standalone.sh', ['--stop', '--run-dir', runDir]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('deploys a standalone server in the background, reports it healthy, and stops it', async () => {
    const host = nextLoopbackHost();
    const [port, metricsPort] = [await freePort(host), await freePort(host)];
    const config = join(tmp, 'node.json');
    writeFileSync(config, JSON.stringify({
      storage: { data_dir: join(tmp, 'data') },
      network: { bind_address: host, port },
      monitoring: { metrics_port: metricsPort },
      logging: { dir: join(tmp, 'logs') },
      performance: { worker_threads: 1 },
    }));
    const up = sh('scripts/deploy_standalone.sh', ['--config', config, '--run-dir', runDir]);
    expect(up.code, up.out).toBe(0);
    expect(up.out).toMatch(/healthy: \{"status":"ok"/);
    expect(up.out).toContain(`listening data=${host}:${port}`);
    const again = sh('scripts/deploy_standalone.sh', ['--config', config, '--run-dir', runDir]);
    expect(again.code).not.toBe(0);
    expect(again.out).toMatch(/already running/);

    const health = sh('scripts/utils/health_check.sh', ['--url', `http://${host}:${metricsPort}`]);
    expect(health.code, health.out).toBe(0);

    const down = sh('scripts/deploy_standalone.sh', ['--stop', '--run-dir', runDir]);
    expect(down.code, down.out).toBe(0);
    const gone = sh('scripts/utils/health_check.sh', ['--url', `http://${host}:${metricsPort}`, '--retries', '1']);
    expect(gone.code).toBe(1);
    expect(gone.out).toMatch(/unhealthy/);
  }, 90_000);

  it('utils/process.sh: process_running is false for a zombie, which `kill -0` still finds', () => {
    // The child waits on a FIFO until its parent has exec'd into `sleep 5`, then exits: `sleep`
    // never collects it, so it is a zombie for the next 5 s, like a stopped server that init has
    // not reaped yet. (Had the child exited before the exec, bash could have collected it.)
    const probe = `
      . "${join(REPO_ROOT, 'scripts/utils/process.sh')}"
      mkfifo "$T/go"
      bash -c 'head -c1 "$1" > /dev/null & echo $! > "$2"; exec sleep 5' _ "$T/go" "$T/zombie" & parent=$!
      for _ in $(seq 1 100); do [ -s "$T/zombie" ] && [ "$(cat /proc/$parent/comm 2>/dev/null)" = sleep ] && break; sleep 0.05; done
      echo x > "$T/go"
      for _ in $(seq 1 100); do [ "$(sed -e 's/^.*) //' /proc/$(cat "$T/zombie")/stat 2>/dev/null | cut -d' ' -f1)" = Z ] && break; sleep 0.05; done
      z=$(cat "$T/zombie")
      kill -0 "$z" && echo "kill0=yes"
      process_running "$z" && echo "zombie=running" || echo "zombie=gone"
      process_running "$parent" && echo "parent=running"
      process_running 999999999 || echo "missing=gone"
      kill "$parent"`;
    const r = spawnSync('bash', ['-c', probe], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, T: tmp } });
    expect(r.stdout.trim().split('\n'), r.stderr).toEqual(['kill0=yes', 'zombie=gone', 'parent=running', 'missing=gone']);
  });
});
