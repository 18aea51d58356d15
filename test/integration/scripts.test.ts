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
});
