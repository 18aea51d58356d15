/**
 * `npm run bench -- engine [--symbols N] [--day-rows N] [--quick] [--no-record]` (Bun).
 *
 * In-process storage engine benchmark (no HTTP): A-share-like data from bench/market-data.ts,
 * 1-second OHLCV bars, 1-minute bars and 3-second ticks, each kind into its own engine.
 * Prints ingest rows/s (durably acknowledged, and including sealing into segments), bytes/row on
 * disk after sealing and compaction, candle-scan rows/s (cold: decoding in the worker pool on both
 * cores), p50/p99 of one symbol-day of 1h candles (warm) and of a 100-symbol batch; appends the
 * figures and the command to bench/RESULTS.md.
 *
 * `--wide-series N` adds a phase with N series holding rows in their heads (one row each), then
 * 2000 writes of 10 rows one after another: what one small write costs when many symbols are
 * live (the seal check after a write must not walk every series).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { SeriesRows, WriteBatch } from '../data-plane/src/model.ts';
import { Engine } from '../data-plane/src/storage/engine.ts';
import { RocksKvStore } from '../data-plane/src/storage/rocks-kv-store.ts';
import { percentiles } from './load.ts';
import { generateBars, generateTicks } from './market-data.ts';
import { appendResults, machineInfo, uptime } from './report.ts';

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    symbols: { type: 'string', default: '1000' },
    'day-rows': { type: 'string' },
    quick: { type: 'boolean', default: false },
    'no-record': { type: 'boolean', default: false },
    'rows-per-batch': { type: 'string', default: '10000' },
    inflight: { type: 'string', default: '4' },
    'wide-series': { type: 'string', default: '0' },
  },
});

const SYMBOLS = Number(flags.symbols);
/** rows per symbol of 1-second bars: one A-share trading day is 4 h = 14400 s */
const DAY_ROWS = Number(flags['day-rows'] ?? (flags.quick ? 3600 : 14400));
const ROWS_PER_BATCH = Number(flags['rows-per-batch']);
const INFLIGHT = Number(flags.inflight);
const T0 = Date.UTC(2024, 0, 2, 1, 30) * 1000; // 2024-01-02 09:30 Asia/Shanghai, µs

interface KindResult {
  kind: string;
  rows: number;
  ackRowsPerSec: number;
  sealedRowsPerSec: number;
  bytesPerRow: number;
  scanRowsPerSec?: number;
  dayP?: ReturnType<typeof percentiles>;
  batchP?: ReturnType<typeof percentiles>;
  coldBatchMs?: number;
}

/** Cuts per-symbol columns into time-major batches (each batch: the next rows of every symbol). */
function timeMajorBatches(series: SeriesRows[], rowsPerBatch: number): WriteBatch[] {
  const perSymbol = Math.max(1, Math.floor(rowsPerBatch / series.length));
  const n = series[0].ts.length;
  const out: WriteBatch[] = [];
  for (let from = 0; from < n; from += perSymbol) {
    const to = Math.min(n, from + perSymbol);
    const part = series.map((s) => ({
      symbol: s.symbol,
      ts: s.ts.subarray(from, to),
      columns: new Map([...s.columns].map(([k, v]) => [k, v.subarray(from, to)])),
    }));
    out.push({ series: part, rowCount: part.length * (to - from) });
  }
  return out;
}

async function ingest(engine: Engine, batches: WriteBatch[]): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < batches.length) {
      const b = batches[next++];
      for (;;) {
        try {
          await engine.write(b);
          break;
        } catch (err) {
          // Head full: the engine asks writers to back off while sealing catches up.
          if ((err as Error).name !== 'OverloadError') throw err;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  return (performance.now() - t0) / 1000;
}

async function runKind(kind: string, series: SeriesRows[], queries: boolean): Promise<KindResult> {
  const dir = mkdtempSync(join(tmpdir(), `engine-bench-${kind}-`));
  const engine = await Engine.open({ dataDir: dir, idleSealMs: 5_000 });
  try {
    const rows = series.reduce((s, x) => s + x.ts.length, 0);
    const batches = timeMajorBatches(series, ROWS_PER_BATCH);
    const t0 = performance.now();
    const ackSec = await ingest(engine, batches);
    await engine.flush();
    const sealedSec = (performance.now() - t0) / 1000;
    const kv = engine.kv as RocksKvStore;
    await kv.compactRange(Buffer.alloc(0), Buffer.alloc(8, 0xff));
    const disk = Number(kv.property('rocksdb.live-sst-files-size') ?? 0) + Number(kv.property('rocksdb.cur-size-all-mem-tables') ?? 0);
    const result: KindResult = { kind, rows, ackRowsPerSec: rows / ackSec, sealedRowsPerSec: rows / sealedSec, bytesPerRow: disk / rows };
    console.log(`${kind}: ${rows} rows, ack ${fmt(result.ackRowsPerSec)} rows/s, sealed ${fmt(result.sealedRowsPerSec)} rows/s, ${result.bytesPerRow.toFixed(2)} B/row on disk`);
    if (queries) Object.assign(result, await queryFigures(engine, series));
    return result;
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function queryFigures(engine: Engine, series: SeriesRows[]): Promise<Partial<KindResult>> {
  const start = series[0].ts[0];
  const end = start + 86_400e6;
  const symbols = series.map((s) => s.symbol);
  engine.cache?.clear();
  // Cold scan: 1-minute candles over every symbol's day, 8 symbols in flight: decoding and
  // aggregation run in the worker pool.
  let scanned = 0;
  const t0 = performance.now();
  let k = 0;
  const worker = async () => {
    while (k < symbols.length) {
      const s = symbols[k++];
      await engine.candles({ symbol: s, start, end, interval: '1m', tz: 'Asia/Shanghai' });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  for (const s of series) scanned += s.ts.length;
  const scanRowsPerSec = scanned / ((performance.now() - t0) / 1000);
  // Warm: one symbol-day of 1h candles over 100 symbols whose segments were read once first.
  const hot = Array.from({ length: 100 }, (_, i) => symbols[(i * 7919) % symbols.length]);
  const candle = (s: string) => engine.candles({ symbol: s, start, end, interval: '1h', tz: 'Asia/Shanghai' });
  engine.cache?.clear();
  const cold0 = performance.now();
  await Promise.all(hot.map(candle)); // the cold 100-symbol batch, and the warm-up
  const coldBatchMs = performance.now() - cold0;
  const day: number[] = [];
  for (let i = 0; i < 300; i++) {
    const q0 = performance.now();
    await candle(hot[i % hot.length]);
    day.push(performance.now() - q0);
  }
  const batch: number[] = [];
  for (let i = 0; i < 40; i++) {
    const q0 = performance.now();
    await Promise.all(hot.map(candle));
    if (i >= 5) batch.push(performance.now() - q0);
  }
  const dayP = percentiles(day);
  const batchP = percentiles(batch);
  console.log(`  candle scan (cold, 1m candles): ${fmt(scanRowsPerSec)} rows/s; symbol-day 1h warm p50 ${dayP.p50.toFixed(3)} ms p99 ${dayP.p99.toFixed(3)} ms; 100-symbol batch cold ${coldBatchMs.toFixed(0)} ms, warm p50 ${batchP.p50.toFixed(1)} ms p99 ${batchP.p99.toFixed(1)} ms`);
  return { scanRowsPerSec, dayP, batchP, coldBatchMs };
}

function fmt(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}K`;
}

/** Small writes with `n` series in the heads: ms per write and CPU ms per write. */
async function runWide(n: number): Promise<{ msPerWrite: number; cpuMsPerWrite: number; writes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'stsdb-wide-'));
  const e = await Engine.open({ dataDir: dir, workerThreads: 0 });
  try {
    const one = (symbol: string, t: number): SeriesRows => ({ symbol, ts: Float64Array.of(t), columns: new Map([['close', Float64Array.of(1.5)]]) });
    for (let off = 0; off < n; off += 10_000) {
      const series = Array.from({ length: Math.min(10_000, n - off) }, (_, i) => one(`W${off + i}`, T0));
      await e.write({ series, rowCount: series.length });
    }
    const writes = 2000;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < writes; i++) {
      const series = Array.from({ length: 10 }, (_, k) => one(`W${k}`, T0 + (i + 1) * 1e6));
      await e.write({ series, rowCount: 10 });
      await new Promise((r) => setImmediate(r)); // the seal check runs between writes, as between requests
    }
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { msPerWrite: ms / writes, cpuMsPerWrite: (cpu.user + cpu.system) / 1000 / writes, writes };
  } finally {
    await e.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const before = uptime();
  const results: KindResult[] = [];
  const genT0 = performance.now();
  let data = generateBars({ symbols: SYMBOLS, start: T0, count: DAY_ROWS, stepSec: 1, seed: 1 });
  console.log(`generated ${SYMBOLS}×${DAY_ROWS} 1-second bars in ${((performance.now() - genT0) / 1000).toFixed(1)} s`);
  results.push(await runKind('1s bars', data, true));
  data = generateBars({ symbols: SYMBOLS, start: T0, count: Math.max(240, Math.floor(DAY_ROWS / 6)), stepSec: 60, seed: 2 });
  results.push(await runKind('1m bars', data, false));
  data = generateTicks({ symbols: SYMBOLS, start: T0, count: Math.floor(DAY_ROWS / 3), stepSec: 3, seed: 3 });
  results.push(await runKind('3s ticks', data, false));
  const wideN = Number(flags['wide-series']);
  const wide = wideN > 0 ? await runWide(wideN) : null;
  const wideLine = wide
    ? `Small writes with ${wideN} series holding rows in their heads: ${wide.writes} writes of 10 rows one after another, ${wide.msPerWrite.toFixed(3)} ms per write, ${wide.cpuMsPerWrite.toFixed(3)} ms of process CPU per write (all threads).`
    : '';
  if (wideLine) console.log(wideLine);
  const after = uptime();
  const m = machineInfo();
  const cmd = `npm run bench -- engine ${process.argv.slice(2).join(' ')}`.trim();
  const table = [
    '| data | rows | ingest rows/s (acknowledged, durable) | ingest rows/s incl. sealing | disk B/row | cold candle scan rows/s | symbol-day 1h warm p50 / p99 ms | 100 symbols cold ms; warm p50 / p99 ms |',
    '|---|---|---|---|---|---|---|---|',
    ...results.map((r) =>
      `| ${r.kind} | ${r.rows} | ${fmt(r.ackRowsPerSec)} | ${fmt(r.sealedRowsPerSec)} | ${r.bytesPerRow.toFixed(2)} | ${r.scanRowsPerSec ? fmt(r.scanRowsPerSec) : '–'} | ${r.dayP ? `${r.dayP.p50.toFixed(3)} / ${r.dayP.p99.toFixed(3)}` : '–'} | ${r.batchP ? `${r.coldBatchMs!.toFixed(0)}; ${r.batchP.p50.toFixed(1)} / ${r.batchP.p99.toFixed(1)}` : '–'} |`,
    ),
  ].join('\n');
  console.log('\n' + table);
  if (!flags['no-record']) {
    const section = [
      `## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — engine suite (in-process, no HTTP)`,
      '',
      `Command: \`${cmd}\``,
      '',
      `Machine: ${m.nproc} cores (${m.cpuModel}), ${m.memGiB.toFixed(1)} GiB, Bun ${Bun.version}. Load before \`${before}\`, after \`${after}\`.`,
      '',
      `Data: ${SYMBOLS} symbols; 1-second bars ${DAY_ROWS} rows/symbol, 1-minute bars, 3-second ticks (bench/market-data.ts, 2-decimal prices, volumes in lots of 100); time-major batches of ${ROWS_PER_BATCH} rows, ${INFLIGHT} in flight, WAL fsync on every batch (default config). Disk = RocksDB live SST bytes after sealing everything and a full compaction. Candle scan = 1-minute candles over every symbol's rows with a cold cache, 8 queries in flight. Latencies: 100 symbols read once (that first pass is the cold batch figure), then warm: one query at a time over those symbols; the batch is the 100 symbols' candle queries in flight together.`,
      '',
      table,
      '',
      wideLine,
    ].join('\n');
    appendResults(import.meta.dir, section);
  }
}

await main();
