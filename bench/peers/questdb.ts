/**
 * QuestDB (the org.questdb:questdb jar from Maven Central, on Java 17) as a benchmark peer:
 * `java -p questdb.jar -m io.questdb/io.questdb.ServerMain -d ROOT` with ROOT/conf/server.conf
 * binding HTTP to 127.0.0.1:P (ILP over HTTP on /write, SQL on /exec), PostgreSQL wire, ILP/TCP,
 * UDP and the health "min" server off, telemetry off. ILP auto-creates table `bars`
 * (`symbol` → SYMBOL column, floats → DOUBLE, `volume` → LONG, designated timestamp,
 * PARTITION BY DAY, WAL table).
 *
 * Settling: wait until `wal_tables()` shows writerTxn = sequencerTxn for `bars` (all WAL
 * transactions applied) and the table folder size stays still for 5 s (WAL segments purged).
 * Disk: allocated bytes of ROOT/db/bars~N after a clean shutdown, without its walN/ folders:
 * once writerTxn = sequencerTxn those segments are already-applied copies that QuestDB purges
 * when their writers are released (the four ILP connections' writers still held some at
 * shutdown). While running, QuestDB keeps column and WAL files extended by whole mapped pages
 * (143 MiB for 20K rows); it trims them on close. The size with walN/ is in the details.
 *
 * Queries (SQL over `GET /exec?query=…`):
 *   symbol-day: SELECT timestamp, first(open), max(high), min(low), last(close), sum(volume) FROM bars
 *               WHERE symbol = 'S' AND timestamp >= 'START' AND timestamp < 'END' SAMPLE BY 1h ALIGN TO CALENDAR
 *   batch:      SELECT timestamp, symbol, first(open), … FROM bars WHERE symbol IN ('S1', …, 'S100')
 *               AND timestamp >= 'START' AND timestamp < 'END' SAMPLE BY 1h ALIGN TO CALENDAR
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Candle } from '../lp-body.ts';
import { ServerProcess, dirBytes, freePort, removeDir, tempDir, waitStable, waitUntil } from './proc.ts';
import { type DiskUsage, type HttpRequestSpec, type Range, type Target, peersEnv, rfc3339, sortCandles } from './target.ts';

const AGG = 'first(open), max(high), min(low), last(close), sum(volume)';

export class QuestDbTarget implements Target {
  readonly name = 'questdb';
  readonly diskAfterStop = true;
  version = 'unknown';
  readonly queryDoc = {
    symbolDay: `SQL /exec: SELECT timestamp, ${AGG} FROM bars WHERE symbol = 'S' AND timestamp >= 'START' AND timestamp < 'END' SAMPLE BY 1h ALIGN TO CALENDAR`,
    batch: `SQL /exec: SELECT timestamp, symbol, ${AGG} FROM bars WHERE symbol IN ('S1', …, 'S100') AND timestamp >= 'START' AND timestamp < 'END' SAMPLE BY 1h ALIGN TO CALENDAR`,
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
    this.version = `${env.QUESTDB_VERSION} (Java ${env.JAVA_VERSION})`;
    this.dir = tempDir('questdb');
    this.port = await freePort();
    mkdirSync(join(this.dir, 'conf'));
    writeFileSync(join(this.dir, 'conf', 'server.conf'), config(this.port));
    this.server = ServerProcess.spawn(
      [env.JAVA, '-XX:+UseParallelGC', '-p', env.QUESTDB_JAR, '-m', 'io.questdb/io.questdb.ServerMain', '-d', this.dir],
      { logPath: join(this.dir, 'questdb.out') },
    );
    await waitUntil('questdb /exec', async () => (await fetch(`${this.base}/exec?query=select%201`)).ok, {
      timeoutMs: 90_000,
      server: this.server,
    });
  }

  lineProtocolWrite(precision: string): HttpRequestSpec {
    return { url: precision === 'ns' ? `${this.base}/write` : `${this.base}/write?precision=${precision === 'us' ? 'u' : precision}` };
  }

  async settle(): Promise<string> {
    const t0 = Date.now();
    await waitUntil('questdb WAL applied', async () => this.walApplied(), { timeoutMs: 300_000, server: this.server, intervalMs: 500 });
    const walMs = Date.now() - t0;
    const r = await waitStable(() => this.tableBytes(true), { stableMs: 5000, timeoutMs: 120_000 });
    return `WAL applied after ${(walMs / 1000).toFixed(1)} s; size still for 5 s after ${(r.waitedMs / 1000).toFixed(0)} s more${r.stable ? '' : ' (timed out)'}`;
  }

  async diskUsage(): Promise<DiskUsage> {
    return {
      bytes: this.tableBytes(false),
      how: `table folder db/bars~N without applied walN/ segments, after a clean shutdown (live, with WAL: ${(this.tableBytes(true) / 2 ** 20).toFixed(1)} MiB)`,
    };
  }

  symbolDayQuery(symbol: string, range: Range): HttpRequestSpec {
    return this.sql(`SELECT timestamp, ${AGG} FROM bars WHERE symbol = '${symbol}' AND ${timeWhere(range)} SAMPLE BY 1h ALIGN TO CALENDAR`);
  }

  parseSymbolDay(body: string): Candle[] {
    return dataset(body).map((r) => [isoSec(r[0] as string), ...(r.slice(1, 6) as number[])] as Candle);
  }

  batchQuery(symbols: readonly string[], range: Range): HttpRequestSpec {
    const list = symbols.map((s) => `'${s}'`).join(', ');
    return this.sql(`SELECT timestamp, symbol, ${AGG} FROM bars WHERE symbol IN (${list}) AND ${timeWhere(range)} SAMPLE BY 1h ALIGN TO CALENDAR`);
  }

  parseBatch(body: string): Map<string, Candle[]> {
    const out = new Map<string, Candle[]>();
    for (const r of dataset(body)) {
      const sym = r[1] as string;
      let list = out.get(sym);
      if (!list) out.set(sym, (list = []));
      list.push([isoSec(r[0] as string), ...(r.slice(2, 7) as number[])] as Candle);
    }
    return sortCandles(out);
  }

  async stop(): Promise<{ bytesAfterStop: number; graceful: boolean }> {
    const r = (await this.server?.stop()) ?? { graceful: true };
    const wal = this.tableBytes(true) - this.tableBytes(false);
    if (wal > 0) console.error(`[bench] questdb: ${(wal / 2 ** 20).toFixed(1)} MiB of applied WAL segments left at shutdown (not counted)`);
    return { bytesAfterStop: this.tableBytes(false), graceful: r.graceful };
  }

  logTail(): string {
    return this.server?.logTail(1500) ?? '';
  }

  cleanup(): void {
    if (this.dir) removeDir(this.dir);
  }

  private sql(q: string): HttpRequestSpec {
    return { url: `${this.base}/exec?query=${encodeURIComponent(q)}` };
  }

  private async walApplied(): Promise<boolean> {
    const res = await fetch(this.sql(`SELECT sequencerTxn, writerTxn, suspended FROM wal_tables() WHERE name = 'bars'`).url);
    const rows = dataset(await res.text());
    if (rows.length === 0) return false;
    const [seq, writer, suspended] = rows[0] as [number, number, boolean];
    if (suspended) throw new Error('questdb: table bars is suspended');
    return seq === writer;
  }

  /** Allocated bytes of the table folder, with or without its walN/ segment folders. */
  private tableBytes(withWal: boolean): number {
    const db = join(this.dir, 'db');
    let sum = 0;
    for (const e of readdirSync(db)) {
      if (!/^bars(~\d+)?$/.test(e)) continue;
      for (const f of readdirSync(join(db, e))) if (withWal || !/^wal\d+$/.test(f)) sum += dirBytes(join(db, e, f));
    }
    return sum;
  }
}

function timeWhere(r: Range): string {
  return `timestamp >= '${rfc3339(r.start)}' AND timestamp < '${rfc3339(r.end)}'`;
}

function dataset(body: string): unknown[][] {
  const j = JSON.parse(body) as { dataset?: unknown[][]; error?: string };
  if (j.error) throw new Error(`questdb: ${j.error}`);
  return j.dataset ?? [];
}

/** `2024-01-02T01:00:00.000000Z` → epoch seconds. */
function isoSec(s: string): number {
  return Date.parse(`${s.slice(0, 19)}Z`) / 1000;
}

function config(port: number): string {
  return `# Generated by bench/peers/questdb.ts for one benchmark run.
http.bind.to=127.0.0.1:${port}
http.min.enabled=false
pg.enabled=false
line.tcp.enabled=false
line.udp.enabled=false
telemetry.enabled=false
telemetry.hide.tables=true
# Purge applied WAL segments every second (default 30 s) so the settled size is the table's.
cairo.wal.purge.interval=1000
`;
}
