/**
 * The process around the server: CLI (--help, bad flags, bad config), startup and config
 * warnings in system.log and on stderr, slow_query lines in performance.log, and a graceful
 * SIGTERM (an in-flight write finishes and is durable, new requests are refused, exit 0).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { get, type QueryAnswer } from '../helpers/http-calls.ts';
import { REPO_ROOT, sleep, startServer, type ServerProcess } from '../helpers/server-process.ts';

const T = 1633046400;
const LAUNCHER = join(REPO_ROOT, 'bin/stock-tsdb');
const running: ServerProcess[] = [];
const tmp: string[] = [];
afterAll(async () => {
  for (const s of running) {
    await s.kill9();
    s.cleanup();
  }
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

/** Polls a log file until `pattern` shows up (logs are flushed within ~200 ms). */
async function waitForLog(path: string, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (pattern.test(text) || Date.now() > deadline) return text;
    await sleep(50);
  }
}

describe('command line', () => {
  it('bin/stock-tsdb --help prints the usage and exits 0', () => {
    const r = spawnSync(LAUNCHER, ['--help'], { encoding: 'utf8', cwd: tmpdir() });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: stock-tsdb \[--config FILE\]/);
    expect(r.stdout).toMatch(/--data-dir/);
  });

  it('an unknown flag or a bad port exits 2 naming it', () => {
    const a = spawnSync(LAUNCHER, ['--bogus'], { encoding: 'utf8' });
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/unknown argument "--bogus"/);
    const b = spawnSync(LAUNCHER, ['--port', '70000'], { encoding: 'utf8' });
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--port/);
  });

  it('a second server on a port in use exits 1 naming the port; the first keeps serving alone', async () => {
    const first = await startServer();
    running.push(first);
    const dir = mkdtempSync(join(tmpdir(), 'stsdb-second-'));
    tmp.push(dir);
    // Bun with development off would otherwise share the port (SO_REUSEPORT) and split the
    // connections between two data directories.
    for (const ports of [
      ['--port', String(first.dataPort), '--metrics-port', '0'],
      ['--port', '0', '--metrics-port', String(first.metricsPort)],
    ]) {
      const r = spawnSync(LAUNCHER, ['--data-dir', join(dir, 'data'), '--bind', first.host, ...ports], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stdout + r.stderr).toBe(1);
      expect(r.stdout + r.stderr).toMatch(new RegExp(`port (${first.dataPort}|${first.metricsPort}) in use`));
    }
    for (let i = 0; i < 6; i++) expect((await get(`${first.metricsUrl}/health`)).status).toBe(200);
  });

  it('an invalid config exits 2 with a message naming the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stsdb-cfg-'));
    tmp.push(dir);
    const cfg = join(dir, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ network: { port: 'six' } }));
    const r = spawnSync(LAUNCHER, ['--config', cfg], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/network\.port/);
  });
});

describe('logs', () => {
  it('startup goes to system.log with the ports; config warnings to system.log and stderr', async () => {
    const s = await startServer({ config: { storage: { no_such_key: 1 } } });
    running.push(s);
    const system = await waitForLog(join(s.logDir, 'system.log'), /stock-tsdb started/);
    const started = system.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.msg === 'stock-tsdb started');
    expect(started).toMatchObject({ level: 'INFO', data: `${s.host}:${s.dataPort}`, metrics: `${s.host}:${s.metricsPort}` });
    expect(system).toMatch(/"level":"WARN".*no_such_key/);
    expect(s.output()).toMatch(/no_such_key/);
  });

  it('queries over monitoring.slow_query_ms are logged as slow_query with parameters and duration', async () => {
    const s = await startServer({ config: { monitoring: { slow_query_ms: 0 } } });
    running.push(s);
    await get(`${s.dataUrl}/v1/query?symbol=stock.SH.600519&start=${T}&end=${T + 60}`);
    const perf = await waitForLog(join(s.logDir, 'performance.log'), /slow_query/);
    const line = perf.split('\n').find((l) => l.includes('slow_query'))!;
    expect(line).toBeDefined();
    expect(JSON.parse(line)).toMatchObject({
      event: 'slow_query',
      route: '/v1/query',
      params: { symbol: 'stock.SH.600519', start: String(T), end: String(T + 60) },
      duration_ms: expect.any(Number),
    });
  });
});

describe('SIGTERM', () => {
  it('finishes the in-flight write, refuses new requests, flushes, exits 0; the write survives', async () => {
    const s = await startServer();
    running.push(s);
    // A write whose body trickles in over ~1 s, so it is in flight when SIGTERM arrives.
    const rows = Array.from({ length: 50 }, (_, i) => JSON.stringify({ symbol: 'term.s', timestamp: T + i, price: i, volume: 1 }));
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        if (i === rows.length) return ctrl.close();
        await sleep(20);
        ctrl.enqueue(new TextEncoder().encode(rows[i++] + '\n'));
      },
    });
    const inFlight = fetch(`${s.dataUrl}/v1/write`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson' }, duplex: 'half' } as RequestInit);
    await sleep(300);
    const exited = s.stop(); // sends SIGTERM once (a second SIGTERM means "exit now")
    await sleep(100);
    // New connections are refused (listener closed) or answered 503 while draining.
    const late = await fetch(`${s.dataUrl}/ping`).then((r) => r.status, () => 'refused');
    expect(['refused', 503]).toContain(late);
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ written: 50 });
    const exit = await exited;
    expect(exit).toEqual({ code: 0, signal: null });
    const system = readFileSync(join(s.logDir, 'system.log'), 'utf8');
    expect(system).toMatch(/"msg":"shutting down"/);
    expect(system).toMatch(/"msg":"stopped"/);

    const again = await startServer({ dataDir: s.dataDir });
    running.push(again);
    const q = await get<QueryAnswer>(`${again.dataUrl}/v1/query?symbol=term.s&start=${T}&end=${T + 100}&fields=price`);
    expect(q.status, q.text + again.output()).toBe(200);
    expect(q.json.rows).toHaveLength(50);
    expect((await again.stop()).code).toBe(0);
  });
});
