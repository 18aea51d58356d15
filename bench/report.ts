/**
 * Results of a bench run: the machine it ran on, a Markdown table per suite with ratios
 * ours/peer, the JSON file under bench/out/ and the section appended to bench/RESULTS.md.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { type TargetResult, fmtRate } from './http-suite.ts';

/** Where and under what load a run happened. */
export interface MachineInfo {
  nproc: number;
  memGiB: number;
  cpuModel: string;
  uptimeBefore: string;
  uptimeAfter?: string;
  bun: string;
  kernel: string;
}

export function machineInfo(): MachineInfo {
  return {
    nproc: cpus().length,
    memGiB: totalmem() / 2 ** 30,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    uptimeBefore: uptime(),
    bun: Bun.version,
    kernel: Bun.spawnSync(['uname', '-r']).stdout.toString().trim(),
  };
}

/** `uptime`'s line (load averages over 1, 5, 15 minutes). */
export function uptime(): string {
  const r = Bun.spawnSync(['uptime']);
  return r.success ? r.stdout.toString().trim() : `load average: ${loadavg().map((x) => x.toFixed(2)).join(', ')}`;
}

const OURS = 'stock-tsdb';
const ms = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));

/** The main table: one line per target. */
export function resultsTable(results: readonly TargetResult[]): string {
  const head =
    '| system | version | LP ingest rows/s | JSON ingest rows/s | disk B/row | 1 symbol-day → 1h p50 / p99 ms | 100 symbols × day → 1h p50 / p99 ms | server CPU µs/row during ingest | client CPU (% of wall) | check |';
  const sep = '|---|---|---|---|---|---|---|---|---|---|';
  const lines = results.map((r) => {
    const i = r.ingest;
    const srvUs = i ? (i.serverCpuSec / i.rows) * 1e6 : NaN;
    const cli = i ? `${((i.clientCpuSec / i.wallSec) * 100).toFixed(0)}%` : '–';
    return `| ${r.name} | ${r.version} | ${i ? fmtRate(i.rowsPerSec) : '–'} | ${r.jsonIngest ? fmtRate(r.jsonIngest.rowsPerSec) : '–'} | ${ms(r.disk?.bytesPerRow, 2)} | ${ms(r.symbolDayMs?.p50, 2)} / ${ms(r.symbolDayMs?.p99, 2)} | ${ms(r.batchMs?.p50)} / ${ms(r.batchMs?.p99)} | ${ms(srvUs, 2)} | ${cli} | ${r.error ? `FAILED: ${r.error.split('\n')[0].slice(0, 120)}` : (r.check ?? '–')} |`;
  });
  return [head, sep, ...lines].join('\n');
}

/** Ratios ours/peer per figure (ingest: higher is better for us; bytes and latency: lower is). */
export function ratioTable(results: readonly TargetResult[]): string {
  const ours = results.find((r) => r.name === OURS);
  const peers = results.filter((r) => r.name !== OURS);
  if (!ours || !ours.ingest || peers.length === 0) return '';
  const q = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}×` : '–');
  const head = '| ours / peer | LP ingest rows/s (↑) | JSON ingest vs peer LP (↑) | disk B/row (↓) | symbol-day p50 (↓) | symbol-day p99 (↓) | batch p50 (↓) | batch p99 (↓) |';
  const sep = '|---|---|---|---|---|---|---|---|';
  const lines = peers.map(
    (p) =>
      `| vs ${p.name} | ${q(ours.ingest?.rowsPerSec, p.ingest?.rowsPerSec)} | ${q(ours.jsonIngest?.rowsPerSec, p.ingest?.rowsPerSec)} | ${q(ours.disk?.bytesPerRow, p.disk?.bytesPerRow)} | ${q(ours.symbolDayMs?.p50, p.symbolDayMs?.p50)} | ${q(ours.symbolDayMs?.p99, p.symbolDayMs?.p99)} | ${q(ours.batchMs?.p50, p.batchMs?.p50)} | ${q(ours.batchMs?.p99, p.batchMs?.p99)} |`,
  );
  return [head, sep, ...lines].join('\n');
}

/** Per-target details that do not fit the table: queries, settling, client cost, memory. */
export function details(results: readonly TargetResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`- **${r.name}** ${r.version}`);
    if (r.ingest) {
      const i = r.ingest;
      out.push(
        `  - LP ingest: ${i.rows} rows, ${(i.bytes / 2 ** 20).toFixed(0)} MiB in ${i.requests} requests, ${i.wallSec.toFixed(1)} s wall, ${fmtRate(i.rowsPerSec * 5)} field-values/s; request p50 ${ms(i.requestMs.p50)} ms p99 ${ms(i.requestMs.p99)} ms; client CPU ${i.clientCpuSec.toFixed(1)} s, server CPU ${i.serverCpuSec.toFixed(1)} s${runsNote(r.ingestRuns)}`,
      );
    }
    if (r.jsonIngest) {
      const j = r.jsonIngest;
      out.push(`  - JSON ingest (fresh instance): ${fmtRate(j.rowsPerSec)} rows/s, ${(j.bytes / 2 ** 20).toFixed(0)} MiB, ${j.wallSec.toFixed(1)} s wall, client CPU ${j.clientCpuSec.toFixed(1)} s, server CPU ${j.serverCpuSec.toFixed(1)} s${runsNote(r.jsonIngestRuns)}`);
    }
    if (r.disk) out.push(`  - disk: ${(r.disk.bytes / 2 ** 20).toFixed(1)} MiB (${r.disk.how}); after shutdown ${(r.disk.bytesAfterStop / 2 ** 20).toFixed(1)} MiB${r.disk.liveBytes !== undefined ? `; live before shutdown ${(r.disk.liveBytes / 2 ** 20).toFixed(1)} MiB` : ''}; settle: ${r.settle}`);
    if (r.stopNote) out.push(`  - shutdown: ${r.stopNote}`);
    if (r.rssAfterIngest) out.push(`  - memory: RSS after ingest ${(r.rssAfterIngest / 2 ** 20).toFixed(0)} MiB, peak ${(r.peakRss! / 2 ** 20).toFixed(0)} MiB`);
    if (r.symbolDayMs) out.push(`  - symbol-day: ${r.symbolDayMs.n} samples, ${r.candlesPerSymbolDay} candles each, mean ${ms(r.symbolDayMs.mean, 2)} ms, max ${ms(r.symbolDayMs.max, 2)} ms`);
    if (r.batchMs) out.push(`  - batch: ${r.batchMs.n} samples, mean ${ms(r.batchMs.mean)} ms, max ${ms(r.batchMs.max)} ms`);
    out.push(`  - query, symbol-day: \`${r.queryDoc.symbolDay}\``);
    out.push(`  - query, batch: \`${r.queryDoc.batch}\``);
    out.push(`  - load average before: ${r.loadBefore.map((x) => x.toFixed(2)).join(' ')}`);
    if (r.error) out.push(`  - error: ${r.error.split('\n').slice(0, 3).join(' ')}`);
  }
  return out.join('\n');
}

function runsNote(runs: number[] | undefined): string {
  return runs && runs.length > 1 ? `; runs: ${runs.map(fmtRate).join(', ')} rows/s (median shown)` : '';
}

/** Writes bench/out/<suite>-<stamp>.json; returns its path. */
export function writeJson(benchDir: string, suite: string, doc: unknown): string {
  const dir = join(benchDir, 'out');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${suite}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
  return path;
}

/** Appends a section to bench/RESULTS.md (creating it with a header if needed). */
export function appendResults(benchDir: string, section: string): string {
  const path = join(benchDir, 'RESULTS.md');
  if (!existsSync(path) || readFileSync(path, 'utf8').trim() === '') {
    writeFileSync(
      path,
      '# Benchmark results\n\nAppended by `npm run bench -- <suite>` (bench/run.ts); newest last. Each section names the exact command, the machine and its load, the versions, and how each figure was measured. Ratios are ours / peer.\n',
    );
  }
  appendFileSync(path, `\n${section.trim()}\n`);
  return path;
}
