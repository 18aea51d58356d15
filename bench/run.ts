/**
 * `npm run bench -- <suite> [flags]` (Bun). Suites:
 *   http     ingest (line protocol, JSON) + candle queries against our server and the peers,
 *            same run, same generated data; prints a table and ratios ours/peer, writes
 *            bench/out/http-*.json and appends to bench/RESULTS.md.
 *   engine   in-process engine benchmark: runs bench/engine-bench.ts with the remaining flags.
 *   cluster  3-node ingest vs standalone, query latency, handoff while writing (bench/cluster-bench.ts).
 *
 * http flags:
 *   --rows N              rows to ingest (default 5000000; --quick: 500000)
 *   --symbols N           symbols (default 1000)
 *   --rows-per-request N  rows per write request (default 10000)
 *   --clients N           concurrent write requests in flight (default 4)
 *   --precision s|ms|us|ns  line-protocol timestamp precision (default ns, as Influx clients send)
 *   --query-samples N     symbol-day query samples (default 200)
 *   --batch-samples N     100-symbol batch samples (default 30)
 *   --targets a,b         any of stock-tsdb,influxdb,victoria-metrics,questdb (default: all;
 *                         stock-tsdb is skipped with a note if data-plane/src/main.ts is missing)
 *   --start YYYY-MM-DD    first trading day (default 2024-01-02)  --seed N (default 1)
 *   --no-json             skip the JSON ingest of our server
 *   --no-record           do not append to bench/RESULTS.md     --label TEXT   section title note
 *   --repeat N            ingest N times per target, each into a fresh instance; report the
 *                         median run (default 1; the machine is shared, so 3 is better)
 *   --keep                keep the targets' temp data folders
 *   --warmup-rows N       rows written untimed into every instance before its timed ingest (the
 *                         same symbols a week earlier, same request size and clients; default 0):
 *                         steady state (JIT-compiled code, grown buffers) instead of a cold start
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildWorkload, runHttpSuite, WARMUP_BATCHES, WARMUP_QUERIES, type HttpSuiteConfig } from './http-suite.ts';
import type { Precision } from './lp-body.ts';
import { killAllStarted } from './peers/proc.ts';
import type { Target } from './peers/target.ts';
import { InfluxDbTarget } from './peers/influxdb.ts';
import { VictoriaMetricsTarget } from './peers/victoria-metrics.ts';
import { QuestDbTarget } from './peers/questdb.ts';
import { StockTsdbTarget, stockTsdbAvailable } from './peers/stock-tsdb.ts';
import { appendResults, details, machineInfo, ratioTable, resultsTable, uptime, writeJson } from './report.ts';

const BENCH_DIR = import.meta.dir;
const ALL_TARGETS = ['stock-tsdb', 'influxdb', 'victoria-metrics', 'questdb'] as const;

async function main(argv: string[]): Promise<number> {
  const suite = argv[0];
  const rest = argv.slice(1);
  switch (suite) {
    case 'http':
      return httpSuite(rest);
    case 'engine':
      return delegate('engine-bench.ts', rest);
    case 'cluster':
      return delegate('cluster-bench.ts', rest);
    default:
      console.error('usage: npm run bench -- <http|engine|cluster> [flags]   (see bench/run.ts)');
      return 2;
  }
}

/** Runs another bench script (owned by whoever wrote it) with the remaining flags. */
async function delegate(file: string, args: string[]): Promise<number> {
  const path = join(BENCH_DIR, file);
  if (!existsSync(path)) {
    console.error(`bench/${file} does not exist yet; nothing to run for this suite.`);
    return 2;
  }
  const p = Bun.spawn([process.execPath, path, ...args], { stdio: ['inherit', 'inherit', 'inherit'] });
  return await p.exited;
}

function makeTarget(name: string): Target {
  switch (name) {
    case 'stock-tsdb':
      return new StockTsdbTarget();
    case 'influxdb':
      return new InfluxDbTarget();
    case 'victoria-metrics':
      return new VictoriaMetricsTarget();
    case 'questdb':
      return new QuestDbTarget();
    default:
      throw new Error(`unknown target ${name} (known: ${ALL_TARGETS.join(', ')})`);
  }
}

async function httpSuite(args: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      rows: { type: 'string' },
      quick: { type: 'boolean', default: false },
      symbols: { type: 'string', default: '1000' },
      'rows-per-request': { type: 'string', default: '10000' },
      clients: { type: 'string', default: '4' },
      precision: { type: 'string', default: 'ns' },
      'query-samples': { type: 'string', default: '200' },
      'batch-samples': { type: 'string', default: '30' },
      'batch-symbols': { type: 'string', default: '100' },
      targets: { type: 'string' },
      start: { type: 'string', default: '2024-01-02' },
      seed: { type: 'string', default: '1' },
      'no-json': { type: 'boolean', default: false },
      'no-record': { type: 'boolean', default: false },
      label: { type: 'string', default: '' },
      keep: { type: 'boolean', default: false },
      repeat: { type: 'string', default: '1' },
      'warmup-rows': { type: 'string', default: '0' },
    },
    strict: true,
  });
  if (!['s', 'ms', 'us', 'ns'].includes(v.precision!)) throw new Error(`--precision must be s|ms|us|ns`);
  let names = v.targets ? v.targets.split(',').map((s) => s.trim()) : [...ALL_TARGETS];
  const notes: string[] = [];
  if (names.includes('stock-tsdb') && !stockTsdbAvailable()) {
    names = names.filter((n) => n !== 'stock-tsdb');
    notes.push('stock-tsdb skipped: data-plane/src/main.ts does not exist yet in this checkout (peer-only run).');
  }
  const targets = names.map(makeTarget);
  const cfg: HttpSuiteConfig = {
    rows: Number(v.rows ?? (v.quick ? 500_000 : 5_000_000)),
    symbols: Number(v.symbols),
    rowsPerRequest: Number(v['rows-per-request']),
    clients: Number(v.clients),
    precision: v.precision as Precision,
    querySamples: Number(v['query-samples']),
    batchSamples: Number(v['batch-samples']),
    batchSymbols: Number(v['batch-symbols']),
    start: v.start!,
    seed: Number(v.seed),
    json: !v['no-json'] && names.includes('stock-tsdb'),
    keep: v.keep!,
    repeat: Math.max(1, Number(v.repeat)),
    warmupRows: Math.max(0, Number(v['warmup-rows'])),
  };
  const command = `npm run bench -- http ${args.map(shellQuote).join(' ')}`.trim();
  const machine = machineInfo();
  console.error(`[bench] ${command}\n[bench] ${machine.nproc} cores, ${machine.memGiB.toFixed(1)} GiB; ${machine.uptimeBefore}`);
  for (const n of notes) console.error(`[bench] ${n}`);

  const w = buildWorkload(cfg);
  const lpMiB = w.lp.reduce((a, b) => a + b.bytes.length, 0) / 2 ** 20;
  console.error(
    `[bench] generated ${w.cols.count} rows (${cfg.symbols} symbols × ${w.barsPerSymbol} bars), ${w.lp.length} LP bodies (${lpMiB.toFixed(0)} MiB) in ${w.generateSec.toFixed(1)} s`,
  );
  const results = await runHttpSuite(cfg, w, targets);
  machine.uptimeAfter = uptime();

  const date = new Date().toISOString();
  const table = resultsTable(results);
  const ratios = ratioTable(results);
  const data = `${w.cols.count} rows = ${cfg.symbols} symbols × ${w.barsPerSymbol} one-second bars from ${cfg.start} 09:30 Asia/Shanghai (trading hours only; ${w.rowsPerSymbolDay} rows per symbol-day), ${w.lp.length} requests of ${cfg.rowsPerRequest} rows (time-major: every symbol's bar for a second, then the next second), ${cfg.clients} requests in flight, ${cfg.repeat > 1 ? `ingest repeated ${cfg.repeat}× into fresh instances (median shown), ` : ''}${w.warmup ? `each instance first took an untimed warm-up of ${w.warmup.rows} rows (the same symbols on ${w.warmup.day}, same request size and clients; disk B/row counts them too), ` : 'each instance cold (no warm-up writes), '} line protocol precision=${cfg.precision} (${(lpMiB * 2 ** 20 / w.cols.count).toFixed(0)} B/row on the wire); queries over [${new Date(w.range.start * 1000).toISOString()}, ${new Date(w.range.end * 1000).toISOString()}) = the first trading day in Asia/Shanghai, ${cfg.querySamples} symbol-day samples and ${cfg.batchSamples} batch samples of ${cfg.batchSymbols} symbols, one at a time after ${WARMUP_QUERIES} symbol-day warm-up queries on other symbols and ${WARMUP_BATCHES} warm-up batches.`;
  const section = [
    `## ${date.slice(0, 16).replace('T', ' ')} UTC — http suite${v.label ? ` — ${v.label}` : ''}${names.includes('stock-tsdb') ? '' : ' — PEERS ONLY (our server not running yet)'}`,
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${machine.nproc} cores (${machine.cpuModel}), ${machine.memGiB.toFixed(1)} GiB, kernel ${machine.kernel}, Bun ${machine.bun}. Shared with other engineers' work: uptime before \`${machine.uptimeBefore}\`, after \`${machine.uptimeAfter}\`. The load generator runs on the same 2 cores.`,
    '',
    `Data: ${data}`,
    '',
    'Durability at acknowledgement (defaults of each): InfluxDB fsyncs its WAL; ours acknowledges durable rows; QuestDB commits without fsync (cairo.commit.mode=nosync); VictoriaMetrics buffers ~1 s in memory.',
    ...notes.map((n) => `\nNote: ${n}`),
    '',
    table,
    '',
    ratios,
    '',
    details(results),
  ].join('\n');
  console.log(`\n${table}\n${ratios ? `\n${ratios}\n` : ''}`);
  const json = writeJson(BENCH_DIR, 'http', { command, date, machine, config: cfg, data, notes, results });
  console.error(`[bench] wrote ${json}`);
  if (!v['no-record']) console.error(`[bench] appended to ${appendResults(BENCH_DIR, section)}`);
  return results.some((r) => r.error) ? 1 : 0;
}

/** Quotes a shell word when it needs it, so the recorded command can be pasted back. */
function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAllStarted();
    process.exit(130);
  });
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  console.error(`[bench] ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
} finally {
  killAllStarted();
}
