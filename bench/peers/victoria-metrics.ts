/**
 * VictoriaMetrics single-node (Debian's `victoria-metrics` package) as a benchmark peer:
 * `victoria-metrics -storageDataPath DIR -httpListenAddr 127.0.0.1:P -retentionPeriod 100y`,
 * line protocol to `/write?precision=…`. VM stores each LP field as its own metric
 * `bars_open{symbol="S"}`, `bars_high{…}`, … (measurement + "_" + field), at millisecond precision.
 *
 * Settling: `/internal/force_flush`, then `/internal/force_merge`, then wait until
 * `vm_active_merges` is 0 and the folder size stays still for 5 s.
 *
 * Queries (MetricsQL over `GET /api/v1/query_range?start=START&end=END-1h&step=3600&nocache=1`;
 * nocache=1 turns off VM's rollup-result cache, which would otherwise answer repeated ranges
 * from memory): one request per query, the five fields joined with union():
 *   union(
 *     label_set(first_over_time(bars_open{symbol="S"}[1h] offset -3599999ms), "f", "open"),
 *     label_set(max_over_time(bars_high{…}[1h] offset -3599999ms), "f", "high"),
 *     label_set(min_over_time(bars_low{…}[1h] offset -3599999ms), "f", "low"),
 *     label_set(last_over_time(bars_close{…}[1h] offset -3599999ms), "f", "close"),
 *     label_set(sum_over_time(bars_volume{…}[1h] offset -3599999ms), "f", "volume"))
 *   A point at t looks at (t - offset - 1h, t - offset] = (t - 1 ms, t + 1h - 1 ms], i.e. the
 *   bucket [t, t + 1h) for whole-second data, labelled with its start like ours and InfluxDB's.
 *   batch: the same with {symbol=~"S1|…|S100"} (dots escaped).
 */
import { join } from 'node:path';
import type { Candle } from '../lp-body.ts';
import { ServerProcess, dirBytes, freePort, removeDir, tempDir, waitStable, waitUntil } from './proc.ts';
import { type DiskUsage, type HttpRequestSpec, type Range, type Target, peersEnv, sortCandles } from './target.ts';

const OFFSET = 'offset -3599999ms';
const FIELDS: readonly [fn: string, field: string][] = [
  ['first_over_time', 'open'],
  ['max_over_time', 'high'],
  ['min_over_time', 'low'],
  ['last_over_time', 'close'],
  ['sum_over_time', 'volume'],
];
const COLUMN: Record<string, number> = { open: 1, high: 2, low: 3, close: 4, volume: 5 };

/** The MetricsQL text for 1h candles of the series matching `selector` (e.g. `symbol="S"`). */
export function candleQuery(selector: string): string {
  return `union(${FIELDS.map(([fn, f]) => `label_set(${fn}(bars_${f}{${selector}}[1h] ${OFFSET}), "f", "${f}")`).join(', ')})`;
}

export class VictoriaMetricsTarget implements Target {
  readonly name = 'victoria-metrics';
  version = 'unknown';
  readonly queryDoc = {
    symbolDay: `MetricsQL /api/v1/query_range step=3600 nocache=1: ${candleQuery('symbol="S"')}`,
    batch: `MetricsQL /api/v1/query_range step=3600 nocache=1: the same with {symbol=~"S1|…|S100"}`,
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

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  async start(): Promise<void> {
    const env = peersEnv();
    this.version = env.VM_VERSION ?? 'unknown';
    this.dir = tempDir('victoria-metrics');
    this.port = await freePort();
    this.server = ServerProcess.spawn(
      [
        env.VICTORIA_METRICS,
        `-storageDataPath=${this.dataDir}`,
        `-httpListenAddr=127.0.0.1:${this.port}`,
        '-retentionPeriod=100y',
        '-loggerLevel=WARN',
      ],
      { logPath: join(this.dir, 'victoria-metrics.log') },
    );
    await waitUntil('victoria-metrics /health', async () => (await fetch(`${this.base}/health`)).ok, {
      timeoutMs: 60_000,
      server: this.server,
    });
  }

  lineProtocolWrite(precision: string): HttpRequestSpec {
    return { url: `${this.base}/write?precision=${precision === 'us' ? 'u' : precision}` };
  }

  async settle(): Promise<string> {
    const steps: string[] = [];
    for (const path of ['/internal/force_flush', '/internal/force_merge']) {
      const res = await fetch(this.base + path);
      steps.push(`${path} → ${res.status}`);
      await res.arrayBuffer();
    }
    const r = await waitStable(() => dirBytes(this.dataDir), {
      stableMs: 5000,
      timeoutMs: 180_000,
      extra: async () => (await this.activeMerges()) === 0,
    });
    return `${steps.join(', ')}; waited ${(r.waitedMs / 1000).toFixed(0)} s for merges${r.stable ? '' : ' (timed out)'}`;
  }

  async diskUsage(): Promise<DiskUsage> {
    return { bytes: dirBytes(this.dataDir), how: 'storageDataPath (data + indexdb) after force_flush + force_merge; VM writes its caches there on shutdown' };
  }

  symbolDayQuery(symbol: string, range: Range): HttpRequestSpec {
    return this.rangeQuery(candleQuery(`symbol="${symbol}"`), range);
  }

  parseSymbolDay(body: string): Candle[] {
    const m = this.parseBatch(body);
    return m.values().next().value ?? [];
  }

  batchQuery(symbols: readonly string[], range: Range): HttpRequestSpec {
    const re = symbols.map((s) => s.replace(/[.]/g, '\\\\.')).join('|');
    return this.rangeQuery(candleQuery(`symbol=~"${re}"`), range);
  }

  parseBatch(body: string): Map<string, Candle[]> {
    const j = JSON.parse(body) as {
      status: string;
      error?: string;
      data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
    };
    if (j.status !== 'success') throw new Error(`victoria-metrics: ${j.error ?? body.slice(0, 300)}`);
    const bySymbol = new Map<string, Map<number, Candle>>();
    for (const s of j.data.result) {
      const sym = s.metric.symbol ?? '';
      const col = COLUMN[s.metric.f ?? ''];
      let m = bySymbol.get(sym);
      if (!m) bySymbol.set(sym, (m = new Map()));
      for (const [t, v] of s.values) {
        let c = m.get(t);
        if (!c) m.set(t, (c = [t, NaN, NaN, NaN, NaN, NaN]));
        c[col] = Number(v);
      }
    }
    const out = new Map<string, Candle[]>();
    for (const [sym, m] of bySymbol) out.set(sym, [...m.values()]);
    return sortCandles(out);
  }

  async stop(): Promise<{ bytesAfterStop: number; graceful: boolean }> {
    const r = (await this.server?.stop()) ?? { graceful: true };
    return { bytesAfterStop: dirBytes(this.dataDir), graceful: r.graceful };
  }

  logTail(): string {
    return this.server?.logTail(1500) ?? '';
  }

  cleanup(): void {
    if (this.dir) removeDir(this.dir);
  }

  private rangeQuery(q: string, range: Range): HttpRequestSpec {
    // Points at bucket starts: START, START+1h, …, END-1h.
    const p = new URLSearchParams({ query: q, start: String(range.start), end: String(range.end - 3600), step: '3600', nocache: '1' });
    return { url: `${this.base}/api/v1/query_range?${p}` };
  }

  private async activeMerges(): Promise<number> {
    const text = await (await fetch(`${this.base}/metrics`)).text();
    let n = 0;
    for (const line of text.split('\n')) if (line.startsWith('vm_active_merges')) n += Number(line.split(' ').pop());
    return n;
  }
}
