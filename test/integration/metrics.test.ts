/**
 * The metrics port: /health answer shape, /metrics content after real traffic, and
 * `promtool check metrics` (Prometheus' own linter, installed by scripts/test-setup.sh) on the
 * real output.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post } from '../helpers/http-calls.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const T = 1633046400;
let s: ServerProcess;
beforeAll(async () => {
  s = await startServer();
  await post(`${s.dataUrl}/v1/write`, { symbol: 'stock.SH.600519', rows: [{ timestamp: T, price: 1, volume: 2 }, { timestamp: T + 1, price: 2, volume: 3 }] });
  await get(`${s.dataUrl}/v1/query?symbol=stock.SH.600519&start=${T}&end=${T + 10}`);
  await get(`${s.dataUrl}/v1/query?symbol=stock.SH.600519&start=${T}&end=${T + 10}&interval=1m`);
  await get(`${s.dataUrl}/v1/query?symbol=bad%20symbol&start=${T}&end=${T + 10}`);
  await get(`${s.dataUrl}/no/such/route`);
});
afterAll(async () => {
  await s?.stop();
  s?.cleanup();
});

/** Samples of `name` as `labels-text → value`. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) out.set(m[2] ?? '', Number(m[3]));
  }
  return out;
}

describe('GET /health', () => {
  it('answers 200 {"status":"ok", version, uptime, rows, series}', async () => {
    const r = await get(`${s.metricsUrl}/health`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      status: 'ok',
      version: expect.any(String),
      uptime_seconds: expect.any(Number),
      rows_written: 2,
      series: 1,
    });
  });
});

describe('GET /metrics', () => {
  let text = '';
  beforeAll(async () => {
    const r = await fetch(`${s.metricsUrl}/metrics`);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    text = await r.text();
  });

  it('passes promtool check metrics', () => {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (r.error) throw new Error(`promtool missing: run scripts/test-setup.sh (${r.error.message})`);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('counts requests and latencies per route, method and status (unmatched routes folded)', () => {
    const req = samples(text, 'stock_tsdb_http_requests_total');
    expect(req.get('{route="/v1/write",method="POST",status="200"}')).toBe(1);
    expect(req.get('{route="/v1/query",method="GET",status="200"}')).toBe(2);
    expect(req.get('{route="/v1/query",method="GET",status="400"}')).toBe(1);
    expect(req.get('{route="unmatched",method="GET",status="404"}')).toBe(1);
    const count = samples(text, 'stock_tsdb_http_request_duration_seconds_count');
    expect(count.get('{route="/v1/query",method="GET",status="200"}')).toBe(2);
    expect(text).toMatch(/stock_tsdb_http_request_duration_seconds_bucket\{route="\/v1\/write",method="POST",status="200",le="\+Inf"\} 1/);
  });

  it('reports engine, cache and process figures', () => {
    const one = (name: string) => samples(text, name).get('');
    expect(one('stock_tsdb_rows_written_total')).toBe(2);
    expect(one('stock_tsdb_rows_read_total')).toBeGreaterThanOrEqual(2);
    expect(one('stock_tsdb_series')).toBe(1);
    for (const name of [
      'stock_tsdb_storage_bytes', 'stock_tsdb_head_rows', 'stock_tsdb_head_bytes', 'stock_tsdb_wal_bytes',
      'stock_tsdb_cache_hit_ratio', 'stock_tsdb_worker_queue_depth', 'stock_tsdb_corruptions_detected_total',
      'stock_tsdb_reads_without_storage_total', 'stock_tsdb_segment_directory_misses_total',
      'process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds', 'process_start_time_seconds',
    ]) {
      expect(one(name), name).toBeGreaterThanOrEqual(0);
    }
    expect(one('process_resident_memory_bytes')).toBeGreaterThan(1e6);
    expect(samples(text, 'stock_tsdb_build_info').size).toBe(1);
  });

  it('unknown metrics-port paths are a JSON 404', async () => {
    const r = await get(`${s.metricsUrl}/nope`);
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('not_found');
  });
});

describe('line-protocol bodies by parser', () => {
  it('counts bodies the WebAssembly fast path parsed and those left to the TypeScript parser', async () => {
    const lines = (sym: string) => Array.from({ length: 1000 }, (_, i) => `bars,symbol=${sym} open=1.5,close=2,volume=${i}i ${T + i}`).join('\n');
    const bodies = [
      lines('lp.fast'), // ≥ 32 KB in the common shape: a codec worker, the fast path
      lines('lp.escaped').replaceAll('bars,', 'bars\\ x,'), // as big, but an escape: the TypeScript parser
      `bars,symbol=lp.small close=1 ${T}`, // small: parsed on the request thread
    ];
    for (const body of bodies) {
      const r = await fetch(`${s.dataUrl}/write?precision=s`, { method: 'POST', body });
      expect(r.status).toBe(204);
    }
    const text = await (await fetch(`${s.metricsUrl}/metrics`)).text();
    const by = samples(text, 'stock_tsdb_line_protocol_bodies_total');
    expect(by.get('{parser="fast"}')).toBe(1);
    expect(by.get('{parser="reference"}')).toBe(2);
    const q = await get(`${s.dataUrl}/v1/query?symbol=lp.escaped&start=${T}&end=${T + 1000}`);
    expect((q.json as { rows: unknown[] }).rows).toHaveLength(1000);
  });
});
