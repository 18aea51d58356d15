/**
 * Our own server as a benchmark target, started exactly as a user would:
 * `bun data-plane/src/main.ts --config config/standalone_performance.lua --data-dir DIR
 *  --port P --metrics-port M --bind 127.0.0.1` (working directory: the temp folder, so its logs/
 * land there too). Line protocol to `POST /write?precision=…`, JSON to `POST /v1/write?precision=s`.
 *
 * Settling: nothing to force over HTTP yet; wait until the data folder's size stays still for 5 s.
 * Disk: the data folder after a clean shutdown and one more open + clean shutdown. The first close
 * seals the head blocks, but RocksDB keeps the memtable in its WAL file (000NNN.log) rather than
 * flushing it to SSTs; opening the folder again replays that log into an L0 SST and drops it —
 * the equivalent of the peers' forced flush. Both sizes are in the details.
 *
 * Queries:
 *   symbol-day: GET /v1/query?symbol=S&start=START&end=END&interval=1h&precision=s
 *   batch:      POST /v1/query/batch {"symbols":[S1…S100],"start":START,"end":END,"interval":"1h","precision":"s"}
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Candle } from '../lp-body.ts';
import { ServerProcess, dirBytes, freePort, removeDir, tempDir, waitStable, waitUntil } from './proc.ts';
import type { DiskUsage, HttpRequestSpec, Range, Target } from './target.ts';

/** The repository root (bench/peers/../..). */
export const REPO_ROOT = resolve(import.meta.dir, '..', '..');
const MAIN = join(REPO_ROOT, 'data-plane', 'src', 'main.ts');

/** Whether our server's entry point exists in this checkout. */
export function stockTsdbAvailable(): boolean {
  return existsSync(MAIN);
}

interface QueryAnswer {
  symbol: string;
  columns: string[];
  rows: number[][];
}

/** The environment bin/stock-tsdb gives the server (the benches start main.ts directly). */
export const SERVER_ENV: Record<string, string> = { MIMALLOC_PURGE_DELAY: process.env.MIMALLOC_PURGE_DELAY ?? '-1' };

export class StockTsdbTarget implements Target {
  readonly name: string;
  readonly diskAfterStop = true;
  version = 'unknown';
  readonly queryDoc = {
    symbolDay: 'GET /v1/query?symbol=S&start=START&end=END&interval=1h&precision=s',
    batch: 'POST /v1/query/batch {"symbols":[S1,…,S100],"start":START,"end":END,"interval":"1h","precision":"s"}',
  };
  private dir = '';
  private port = 0;
  private metricsPort = 0;
  private server?: ServerProcess;

  constructor(
    private readonly opts: { name?: string; config?: string; extraArgs?: string[] } = {},
  ) {
    this.name = opts.name ?? 'stock-tsdb';
  }

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
    this.version = gitVersion();
    this.dir = tempDir(this.name);
    await this.launch();
  }

  /** Starts the server on the current data folder and waits for /health. */
  private async launch(): Promise<void> {
    this.port = await freePort();
    this.metricsPort = await freePort();
    const bun = join(REPO_ROOT, 'node_modules', '.bin', 'bun');
    const config = resolve(REPO_ROOT, this.opts.config ?? 'config/standalone_performance.lua');
    this.server = ServerProcess.spawn(
      [
        existsSync(bun) ? bun : process.execPath,
        MAIN,
        '--config',
        config,
        '--data-dir',
        this.dataDir,
        '--port',
        String(this.port),
        '--metrics-port',
        String(this.metricsPort),
        '--bind',
        '127.0.0.1',
        ...(this.opts.extraArgs ?? []),
      ],
      { logPath: join(this.dir, 'server.out'), cwd: this.dir, env: SERVER_ENV },
    );
    await waitUntil('stock-tsdb /health', async () => (await fetch(`http://127.0.0.1:${this.metricsPort}/health`)).ok, {
      timeoutMs: 60_000,
      server: this.server,
    });
  }

  lineProtocolWrite(precision: string): HttpRequestSpec {
    return { url: `${this.base}/write?precision=${precision}` };
  }

  /** Where to POST a JSON body of `{symbol, timestamp, …}` rows with timestamps in seconds. */
  jsonWrite(): HttpRequestSpec {
    return { url: `${this.base}/v1/write?precision=s`, init: { headers: { 'content-type': 'application/json' } } };
  }

  async settle(): Promise<string> {
    // The equivalent of VictoriaMetrics' force_flush + force_merge: seal every head and compact.
    const res = await fetch(`${this.base}/admin/compact`, { method: 'POST' });
    const r = await waitStable(() => dirBytes(this.dataDir), { stableMs: 3000, timeoutMs: 120_000 });
    return `POST /admin/compact → ${res.status}; size still for 3 s after ${(r.waitedMs / 1000).toFixed(0)} s${r.stable ? '' : ' (timed out)'}`;
  }

  async diskUsage(): Promise<DiskUsage> {
    return { bytes: dirBytes(this.dataDir), how: 'data dir after POST /admin/compact (every head sealed, full RocksDB compaction)' };
  }

  symbolDayQuery(symbol: string, range: Range): HttpRequestSpec {
    const p = new URLSearchParams({ symbol, start: String(range.start), end: String(range.end), interval: '1h', precision: 's' });
    return { url: `${this.base}/v1/query?${p}` };
  }

  parseSymbolDay(body: string): Candle[] {
    return candles(JSON.parse(body) as QueryAnswer);
  }

  batchQuery(symbols: readonly string[], range: Range): HttpRequestSpec {
    return {
      url: `${this.base}/v1/query/batch`,
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ symbols, start: range.start, end: range.end, interval: '1h', precision: 's' }),
      },
    };
  }

  parseBatch(body: string): Map<string, Candle[]> {
    const j = JSON.parse(body) as { results: QueryAnswer[] };
    const out = new Map<string, Candle[]>();
    for (const a of j.results) out.set(a.symbol, candles(a));
    return out;
  }

  /**
   * Clean shutdown, then start again on the same folder (RocksDB replays its WAL into an SST).
   * Returns the folder's bytes after the first shutdown.
   */
  async reopen(): Promise<number> {
    const r = (await this.server?.stop()) ?? { graceful: true };
    if (!r.graceful) throw new Error('stock-tsdb: shutdown was not graceful (SIGKILL after 30 s)');
    const first = dirBytes(this.dataDir);
    await this.launch();
    return first;
  }

  async stop(): Promise<{ bytesAfterStop: number; graceful: boolean }> {
    const r = (await this.server?.stop()) ?? { graceful: true };
    return { bytesAfterStop: dirBytes(this.dataDir), graceful: r.graceful };
  }

  logTail(): string {
    let errors = '';
    try {
      errors = readFileSync(join(this.dir, 'logs', 'error.log'), 'utf8').slice(-1500);
    } catch {
      /* no error log */
    }
    return `${errors}${this.server?.logTail(800) ?? ''}`;
  }

  cleanup(): void {
    if (this.dir) removeDir(this.dir);
  }
}

function candles(a: QueryAnswer): Candle[] {
  if (!a.columns) throw new Error(`stock-tsdb: unexpected answer ${JSON.stringify(a).slice(0, 300)}`);
  const idx = ['timestamp', 'open', 'high', 'low', 'close', 'volume'].map((c) => a.columns.indexOf(c));
  return a.rows.map((r) => idx.map((i) => (i < 0 ? NaN : r[i])) as Candle);
}

function gitVersion(): string {
  const r = Bun.spawnSync(['git', '-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = Bun.spawnSync(['git', '-C', REPO_ROOT, 'status', '--porcelain', '--', 'data-plane']).stdout.toString().trim() ? '+dirty' : '';
  return `${r.stdout.toString().trim()}${dirty} (Bun ${Bun.version})`;
}
