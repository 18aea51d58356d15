/**
 * InfluxDB 1.x (Debian's `influxdb` package) as a benchmark peer: a private `influxd` on
 * 127.0.0.1 with a generated config that moves meta/data/wal into a temporary folder, database
 * `bench`, line protocol to `/write?db=bench&precision=…`.
 *
 * Settling: the config makes the cache snapshot after 5 s without writes and a full compaction
 * after 10 s (defaults 10 min and 4 h) so the measured size is compacted TSM; we wait until the
 * WAL is empty and the folder size stays still for 10 s.
 *
 * Queries (InfluxQL over `GET /query?db=bench&epoch=s`):
 *   symbol-day: SELECT first(open),max(high),min(low),last(close),sum(volume) FROM bars
 *               WHERE symbol='S' AND time >= 'START' AND time < 'END' GROUP BY time(1h) fill(none)
 *   batch:      the same with WHERE (symbol='S1' OR … OR symbol='S100') … GROUP BY time(1h),symbol fill(none)
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Candle } from '../lp-body.ts';
import { ServerProcess, dirBytes, freePort, removeDir, tempDir, waitStable, waitUntil } from './proc.ts';
import { type DiskUsage, type HttpRequestSpec, type Range, type Target, peersEnv, rfc3339, sortCandles } from './target.ts';

const DB = 'bench';
const SELECT = 'SELECT first(open),max(high),min(low),last(close),sum(volume) FROM bars';

export class InfluxDbTarget implements Target {
  readonly name = 'influxdb';
  version = 'unknown';
  readonly queryDoc = {
    symbolDay: `InfluxQL: ${SELECT} WHERE symbol='S' AND time >= 'START' AND time < 'END' GROUP BY time(1h) fill(none)`,
    batch: `InfluxQL, one statement: ${SELECT} WHERE (symbol='S1' OR … OR symbol='S100') AND time >= 'START' AND time < 'END' GROUP BY time(1h),symbol fill(none)`,
  };
  private dir = '';
  private port = 0;
  private server?: ServerProcess;

  get pid(): number {
    return this.server?.pid ?? 0;
  }

  private get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const env = peersEnv();
    this.version = env.INFLUX_VERSION ?? 'unknown';
    this.dir = tempDir('influxdb');
    this.port = await freePort();
    const rpcPort = await freePort();
    for (const d of ['meta', 'data', 'wal']) mkdirSync(join(this.dir, d));
    const conf = join(this.dir, 'influxdb.conf');
    writeFileSync(conf, config(this.dir, this.port, rpcPort));
    this.server = ServerProcess.spawn([env.INFLUXD, '-config', conf], { logPath: join(this.dir, 'influxd.log') });
    await waitUntil('influxd /ping', async () => (await fetch(`${this.base}/ping`)).status === 204, {
      timeoutMs: 60_000,
      server: this.server,
    });
    const res = await fetch(`${this.base}/query`, {
      method: 'POST',
      body: new URLSearchParams({ q: `CREATE DATABASE ${DB}` }),
    });
    if (!res.ok) throw new Error(`influxdb CREATE DATABASE: ${res.status} ${await res.text()}`);
  }

  lineProtocolWrite(precision: string): HttpRequestSpec {
    return { url: `${this.base}/write?db=${DB}&precision=${precision === 'us' ? 'u' : precision}` };
  }

  async settle(): Promise<string> {
    const wal = join(this.dir, 'wal');
    const r = await waitStable(() => dirBytes(this.dir), {
      stableMs: 10_000,
      timeoutMs: 240_000,
      intervalMs: 1000,
      // An empty WAL means the cache was snapshotted to TSM files.
      extra: async () => dirBytes(wal) < 256 * 1024,
    });
    return `waited ${(r.waitedMs / 1000).toFixed(0)} s for cache snapshot + full compaction${r.stable ? '' : ' (timed out, still changing)'}`;
  }

  async diskUsage(): Promise<DiskUsage> {
    return { bytes: dirBytes(this.dir) - dirBytes(join(this.dir, 'influxd.log')), how: 'meta+data+wal after snapshot and full compaction' };
  }

  symbolDayQuery(symbol: string, range: Range): HttpRequestSpec {
    return this.query(`${SELECT} WHERE symbol='${symbol}' AND ${timeWhere(range)} GROUP BY time(1h) fill(none)`);
  }

  parseSymbolDay(body: string): Candle[] {
    const series = seriesOf(body);
    return series.length ? series[0].values.map(toCandle) : [];
  }

  batchQuery(symbols: readonly string[], range: Range): HttpRequestSpec {
    const or = symbols.map((s) => `symbol='${s}'`).join(' OR ');
    return this.query(`${SELECT} WHERE (${or}) AND ${timeWhere(range)} GROUP BY time(1h),symbol fill(none)`);
  }

  parseBatch(body: string): Map<string, Candle[]> {
    const out = new Map<string, Candle[]>();
    for (const s of seriesOf(body)) out.set(s.tags?.symbol ?? '', s.values.map(toCandle));
    return sortCandles(out);
  }

  async stop(): Promise<{ bytesAfterStop: number; graceful: boolean }> {
    const r = (await this.server?.stop()) ?? { graceful: true };
    return { bytesAfterStop: dirBytes(this.dir) - dirBytes(join(this.dir, 'influxd.log')), graceful: r.graceful };
  }

  logTail(): string {
    return this.server?.logTail(1500) ?? '';
  }

  cleanup(): void {
    if (this.dir) removeDir(this.dir);
  }

  private query(q: string): HttpRequestSpec {
    return { url: `${this.base}/query?db=${DB}&epoch=s&q=${encodeURIComponent(q)}` };
  }
}

function timeWhere(r: Range): string {
  return `time >= '${rfc3339(r.start)}' AND time < '${rfc3339(r.end)}'`;
}

interface InfluxSeries {
  tags?: Record<string, string>;
  values: number[][];
}

function seriesOf(body: string): InfluxSeries[] {
  const j = JSON.parse(body) as { results: { series?: InfluxSeries[]; error?: string }[]; error?: string };
  if (j.error) throw new Error(`influxdb: ${j.error}`);
  const res = j.results[0];
  if (res.error) throw new Error(`influxdb: ${res.error}`);
  return res.series ?? [];
}

function toCandle(v: number[]): Candle {
  return [v[0], v[1], v[2], v[3], v[4], v[5]];
}

function config(dir: string, httpPort: number, rpcPort: number): string {
  return `# Generated by bench/peers/influxdb.ts for one benchmark run.
reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${dir}/meta"

[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
  # Snapshot the cache and fully compact soon after writes stop (defaults: 10m, 4h), so that the
  # size measured after the run is compacted TSM rather than WAL.
  cache-snapshot-write-cold-duration = "5s"
  compact-full-write-cold-duration = "10s"

[retention]
  enabled = false

[shard-precreation]
  enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false

[continuous_queries]
  enabled = false

[logging]
  level = "warn"
`;
}
