/**
 * `npm run bench -- cluster [flags]`: the cluster benchmark of issue 4, all in one run on this
 * machine (loopback; every node is its own process on its own 127.0.0.N address):
 *
 *   1. standalone baseline: one node (bench/peers/stock-tsdb.ts, as the http suite runs it),
 *      line-protocol ingest of the generated bars → rows/s, then the two candle queries;
 *   2. 3 nodes (127.0.0.11–13) with Consul membership, RF 2, consistency quorum: the same ingest
 *      with each request sent to the next node in turn (every node coordinates a third), then the
 *      two candle queries through the coordinators in turn;
 *   3. handoff while writing (after loading --history-rows of older data, so the change has
 *      enough bytes to move that bandwidth, not per-step latency, decides the window): a paced
 *      writer and a reader run through nodes 1–3, nodes 4–5 join
 *      (127.0.0.14–15), and we time from the first ring change to a settled, balanced ring: vnode
 *      replicas moved/s and MB/s (the copy jobs' bytes from GET /admin/handoff on every node);
 *      failed writes and reads are counted; then every acknowledged row (ingest + handoff writes)
 *      is read back through every node;
 *   4. copy probe: one fat vnode (one symbol's rows) pulled to a non-owner with the admin API,
 *      three times while the paced writer runs again: the copy path's own rate, without the
 *      rebalance steps around it.
 *
 * Prints a table and appends a section to bench/RESULTS.md (unless --no-record). CPU seconds of
 * every process (nodes, Consul, this load generator) and of the whole machine are taken per
 * phase, so the section can say what was CPU-bound on a 2-core machine shared with others.
 *
 * Flags:
 *   --rows N             rows to ingest (default 2000000; --quick 300000)
 *   --quick              smaller run (< 3 min)
 *   --symbols N          symbols (default 1000)       --rows-per-request N (default 10000)
 *   --clients N          requests in flight during ingest, in total (default 4)
 *   --query-samples N    symbol-day queries (default 100)   --batch-samples N (default 20)
 *   --grow N             nodes added in phase 3 (default 2: 3 → 5)
 *   --write-rate N       rows/s written during the handoff (default 10000)
 *   --warmup-rows N      rows of an earlier day (WARMUP_DAY) written untimed to the standalone
 *                        server and to the 3 nodes before their timed ingest, so both rates are
 *                        steady-state ones rather than mostly JIT compilation (default 500000;
 *                        --quick 100000; 0 = none); in the cluster they are verified like the rest
 *   --history-rows N     rows of older trading days loaded through node-1..3 before the handoff
 *                        (1000 symbols, 2M-row days; default 0), verified through node-4 after it
 *   --max-moves N        cluster.rebalance_max_moves (default 64, the config default)
 *   --node-workers N     performance.worker_threads of the cluster nodes (default: cores ÷ 3, at
 *                        least 1, as scripts/deploy_cluster.sh gives nodes that share a machine;
 *                        0 = one per core each, as the standalone baseline runs)
 *   --fat-rows N[,M]     rows of one extra symbol per single-vnode copy probe after the handoff,
 *                        one probe per size, each its own symbol and vnode (default
 *                        3000000,10000000; --quick 1000000; 0 = skip). Two sizes give a rough
 *                        split of a pull's time into a fixed cost and a streaming rate
 *   --probe-warmups N    untimed pulls of that vnode before the three timed ones (default 2)
 *   --repeat N           ingest pairs to run (default 1): each a fresh standalone server, then 3
 *                        fresh nodes (and Consul agent), both warmed up as above; the report gives
 *                        every pair's cluster ÷ standalone ratio and their median (the machine is
 *                        shared and one pair's ratio moves by ±15%); the last pair goes on to the
 *                        queries, the handoff and the probes
 *   --profile            profile run: node-1..3 under `bun --cpu-prof`, stopped right after the
 *                        3-node ingest (no queries, no handoff), then their hottest functions
 *   --no-record          do not append to bench/RESULTS.md   --label TEXT   section title note
 *   --keep               keep the nodes' temp folders       --seed N (default 1)
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { generateBars, tradingDays, mulberry32, type BarColumns } from './gen-bars.ts';
import { lineProtocolBodies, referenceCandles, type Body } from './lp-body.ts';
import { percentiles, sendAll, timedRequest } from './load.ts';
import { killAllStarted, processCpuSec, removeDir, tempDir } from './peers/proc.ts';
import { StockTsdbTarget } from './peers/stock-tsdb.ts';
import type { Range } from './peers/target.ts';
import { appendResults, machineInfo, uptime, writeJson } from './report.ts';
import { fmtRate } from './http-suite.ts';
import { startConsulAgent, type ConsulAgent } from '../test/tools/consul/consul-agent.ts';
import { ConsulClient } from '../data-plane/src/cluster/consul-client.ts';
import { vnodeOf } from '../data-plane/src/storage/vnode-of.ts';
import { BenchNode, machineBusySec, movedReplicas, readCpuProfile, ringSettled, unionSec, type ClusterSettings, type HandoffJob, type RingAnswer } from './cluster-nodes.ts';
import {
  HANDOFF_DAY, HANDOFF_ROWS_PER_REQUEST, HISTORY_DAY, WARMUP_DAY, HISTORY_ROWS_PER_DAY, START_DAY, VNODES, details, f2, mib, renderSection, renderTables,
  type Config, type CpuSplit, type FatCopy, type HandoffResult, type IngestPair, type QueryTimes, type Results,
} from './cluster-report.ts';
import { backgroundReader, batchQuery, pacedWriter, sendSpread, symbolDayQuery, verifyAcked, type VerifyResult } from './cluster-load.ts';

const BENCH_DIR = import.meta.dir;
const log = (msg: string) => console.error(`[cluster] ${msg}`);

/** Takes CPU readings of named pids now; `end()` gives the seconds used since. */
function cpuMeter(pids: () => Record<string, number>): { end: () => CpuSplit } {
  const t0 = performance.now();
  const self0 = selfCpu();
  const m0 = machineBusySec();
  const p0 = Object.fromEntries(Object.entries(pids()).map(([k, pid]) => [k, processCpuSec(pid)]));
  return {
    end() {
      const perProcess: Record<string, number> = { 'load generator (this process)': selfCpu() - self0 };
      for (const [k, pid] of Object.entries(pids())) perProcess[k] = processCpuSec(pid) - (p0[k] ?? 0);
      return { wallSec: (performance.now() - t0) / 1000, perProcess, machine: machineBusySec() - m0 };
    },
  };
}

function selfCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function main(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      rows: { type: 'string' },
      quick: { type: 'boolean', default: false },
      symbols: { type: 'string', default: '1000' },
      'rows-per-request': { type: 'string', default: '10000' },
      clients: { type: 'string', default: '4' },
      'query-samples': { type: 'string', default: '100' },
      'batch-samples': { type: 'string', default: '20' },
      grow: { type: 'string', default: '2' },
      'write-rate': { type: 'string', default: '10000' },
      'history-rows': { type: 'string', default: '0' },
      'warmup-rows': { type: 'string' },
      'max-moves': { type: 'string', default: '64' },
      'node-workers': { type: 'string' },
      'fat-rows': { type: 'string' },
      'probe-warmups': { type: 'string' },
      repeat: { type: 'string', default: '1' },
      profile: { type: 'boolean', default: false },
      'no-record': { type: 'boolean', default: false },
      label: { type: 'string', default: '' },
      keep: { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
    },
    strict: true,
  });
  const cfg: Config = {
    rows: Number(v.rows ?? (v.quick ? 300_000 : 2_000_000)),
    symbols: Number(v.symbols),
    rowsPerRequest: Number(v['rows-per-request']),
    clients: Number(v.clients),
    querySamples: Number(v['query-samples']),
    batchSamples: Number(v['batch-samples']),
    grow: Number(v.grow),
    writeRate: Number(v['write-rate']),
    historyRows: Number(v['history-rows']),
    warmupRows: Number(v['warmup-rows'] ?? (v.quick ? 100_000 : 500_000)),
    maxMoves: Number(v['max-moves']),
    nodeWorkers: v['node-workers'] !== undefined ? Number(v['node-workers']) : Math.max(1, Math.floor(availableParallelism() / 3)),
    fatRows: (v['fat-rows'] ?? (v.quick ? '1000000' : '3000000,10000000')).split(',').map(Number).filter((n) => n > 0),
    probeWarmups: Number(v['probe-warmups'] ?? 2),
    profile: v.profile!,
    seed: Number(v.seed),
    quick: v.quick!,
    repeat: Math.max(1, Math.floor(Number(v.repeat))),
  };
  if (!Number.isFinite(cfg.repeat)) throw new Error('--repeat must be a number ≥ 1');
  if (!(cfg.grow >= 1 && cfg.grow <= 2)) throw new Error('--grow must be 1 or 2 (nodes 127.0.0.14–15)');
  const command = `npm run bench -- cluster ${argv.map(shellQuote).join(' ')}`.trim();
  const machine = machineInfo();
  log(`${command}\n[cluster] ${machine.nproc} cores, ${machine.memGiB.toFixed(1)} GiB; ${machine.uptimeBefore}`);

  const t0 = performance.now();
  const barsPerSymbol = Math.ceil(cfg.rows / cfg.symbols);
  const cols = generateBars({ symbols: cfg.symbols, start: START_DAY, count: barsPerSymbol, stepSec: 1, seed: cfg.seed });
  const lp = lineProtocolBodies(cols, { rowsPerRequest: cfg.rowsPerRequest, precision: 'ns' });
  // Enough distinct rows for ~90 s of handoff writes (45 s with --quick); then they repeat.
  const poolBars = Math.max(1, Math.ceil((cfg.writeRate * (cfg.quick ? 45 : 90)) / cfg.symbols));
  const pool = generateBars({ symbols: cfg.symbols, start: HANDOFF_DAY, count: poolBars, stepSec: 1, seed: cfg.seed + 1 });
  const poolBodies = lineProtocolBodies(pool, { rowsPerRequest: HANDOFF_ROWS_PER_REQUEST, precision: 'ns' });
  const day = tradingDays(START_DAY, 1)[0];
  const range: Range = { start: day, end: day + 86400 };
  const warm = generateBars({ symbols: cfg.symbols, start: WARMUP_DAY, count: Math.ceil(cfg.warmupRows / cfg.symbols), stepSec: 1, seed: cfg.seed + 2 });
  const warmLp = cfg.warmupRows > 0 ? lineProtocolBodies(warm, { rowsPerRequest: cfg.rowsPerRequest, precision: 'ns' }) : [];
  const lpMiB = lp.reduce((a, b) => a + b.bytes.length, 0) / 2 ** 20;
  log(`generated ${cols.count} rows (${cfg.symbols} symbols × ${barsPerSymbol} bars, ${lp.length} LP bodies, ${lpMiB.toFixed(0)} MiB) + ${pool.count} handoff-phase rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const res: Results = { errors: [] };
  const order = symbolOrder(cols.symbols, cfg.seed);
  const w = { lp, warmLp, cols, range, order };
  res.pairs = [];
  for (let pair = 1; pair < cfg.repeat; pair++) {
    log(`ingest pair ${pair} of ${cfg.repeat} (ingest only)`);
    const p = await ingestPair(cfg, w, res);
    if (p) res.pairs.push(p);
  }
  if (cfg.repeat > 1) log(`ingest pair ${cfg.repeat} of ${cfg.repeat}`);
  await standalone(cfg, w, res);

  const procs = new ClusterProcs();
  const nodes = procs.nodes;
  try {
    const consul = (procs.consul = await startConsulAgent());
    log(`consul dev agent at ${consul.address}`);
    const settings = clusterSettings(cfg, consul);
    const pids = procs.pids;
    const { acked: ackedIngest, warmAcked } = await clusterIngest(cfg, { ...w, nodes, settings, pids }, res);
    if (res.standalone && res.cluster) res.pairs.push({ standalone: res.standalone.ingest.rowsPerSec, cluster: res.cluster.ingest.rowsPerSec });
    if (cfg.profile) throw new ProfileDone();
    const history = await loadHistory(cfg, { nodes, settings, pids }, res);
    await handoff(cfg, { poolBodies, nodes, settings, pids, order, range }, res);
    res.verify = [];
    const verifyRange: Range = { start: cfg.warmupRows > 0 ? tradingDays(WARMUP_DAY, 1)[0] : range.start, end: tradingDays(HANDOFF_DAY, 1)[0] + 86400 };
    for (const n of nodes) {
      log(`verifying every acknowledged row through ${n.id}`);
      const r = await verifyAcked(n.url, [
        { cols, rowsPerBody: cfg.rowsPerRequest, acked: ackedIngest },
        { cols: pool, rowsPerBody: HANDOFF_ROWS_PER_REQUEST, acked: handoffAcked },
        ...(warmLp.length ? [{ cols: warm, rowsPerBody: cfg.rowsPerRequest, acked: warmAcked }] : []),
      ], verifyRange);
      log(`${n.id}: ${r.expected} rows expected, ${r.missing} missing, ${r.wrong} wrong (${r.sec.toFixed(1)} s)${r.examples.length ? `; e.g. ${r.examples.join('; ')}` : ''}`);
      res.verify.push({ node: n.id, r });
    }
    if (history.length) res.history!.verify = await verifyHistory(cfg, history, nodes[3]);
    res.disk = Object.fromEntries(nodes.map((n) => [n.id, n.dataBytes()]));
    if (cfg.fatRows.length) {
      res.fat = [];
      for (const [i, rows] of cfg.fatRows.entries()) res.fat.push(await fatVnodeCopy(cfg, nodes, poolBodies, FAT_SYMBOLS[i % FAT_SYMBOLS.length], rows));
    }
  } catch (e) {
    if (e instanceof ProfileDone) {
      log('profile run: stopping the nodes after the ingest');
    } else {
    res.errors.push((e as Error).message);
    log(`FAILED: ${(e as Error).stack ?? e}`);
    for (const n of nodes) log(`${n.id} log tail:\n${n.logTail()}`);
    }
  } finally {
    for (const n of nodes) {
      const st = await n.stop().catch(() => ({ graceful: false }));
      if (!st.graceful) res.errors.push(`${n.id}: shutdown was not graceful`);
    }
    if (cfg.profile) {
      res.profiles ??= {};
      for (const n of nodes) {
        const p = n.profileSummary(15);
        if (p) res.profiles[n.id] = p;
      }
    }
    if (!v.keep) for (const n of nodes) n.cleanup();
    await procs.consul?.stop();
  }
  machine.uptimeAfter = uptime();

  const date = new Date().toISOString();
  const tables = renderTables(cfg, res);
  console.log(`\n${tables}\n\n${details(cfg, res).join('\n')}\n`);
  const section = renderSection({ cfg, res, command, date, machine, rev: gitRev(), label: v.label!, cols, barsPerSymbol, lpMiB, pool, tables });
  const json = writeJson(BENCH_DIR, 'cluster', { command, date, machine, config: cfg, results: { ...res, cluster: res.cluster } });
  log(`wrote ${json}`);
  if (!v['no-record']) log(`appended to ${appendResults(BENCH_DIR, section)}`);
  return res.errors.length ? 1 : 0;
}

let stopEverything: () => Promise<void> = async () => {};
/** Ends a --profile run after the 3-node ingest. */
class ProfileDone extends Error {}
let handoffAcked: Uint8Array = new Uint8Array(0);

/** One cluster's processes: the signal handler stops the latest one made (stopEverything). */
class ClusterProcs {
  consul?: ConsulAgent;
  readonly nodes: BenchNode[] = [];
  constructor() {
    stopEverything = () => this.stopAll();
  }
  readonly pids = (): Record<string, number> => ({ ...Object.fromEntries(this.nodes.map((n) => [n.id, n.pid])), consul: this.consul?.proc.pid ?? 0 });
  async stopAll(): Promise<void> {
    for (const n of this.nodes) await n.stop().catch(() => undefined);
    await this.consul?.stop();
  }
}

function clusterSettings(cfg: Config, consul: ConsulAgent): ClusterSettings {
  return {
    name: 'bench',
    token: `bench-${process.pid}-${Date.now()}`,
    consul: new ConsulClient({ servers: [consul.address] }),
    consulAddress: consul.address,
    replicationFactor: 2,
    consistency: 'quorum',
    maxMoves: cfg.maxMoves,
    profile: cfg.profile,
    workerThreads: cfg.nodeWorkers,
  };
}

type IngestWork = { lp: Body[]; warmLp: Body[]; cols: BarColumns; range: Range; order: string[] };

/**
 * One extra ingest pair for --repeat: phases 1 and 2 without their queries, each into fresh
 * servers (a fresh Consul agent too, so no ring state carries over), everything stopped after.
 * Null when either ingest failed (its error goes to `res.errors`).
 */
async function ingestPair(cfg: Config, w: IngestWork, res: Results): Promise<IngestPair | null> {
  const r: Results = { errors: [] };
  await standalone(cfg, w, r, false);
  const procs = new ClusterProcs();
  try {
    const consul = (procs.consul = await startConsulAgent());
    await clusterIngest(cfg, { ...w, nodes: procs.nodes, settings: clusterSettings(cfg, consul), pids: procs.pids }, r, false);
  } catch (e) {
    r.errors.push(`cluster: ${(e as Error).message}`);
  } finally {
    await procs.stopAll();
    for (const n of procs.nodes) n.cleanup();
  }
  res.errors.push(...r.errors.map((e) => `ingest pair: ${e}`));
  if (!r.standalone || !r.cluster || r.errors.length) return null;
  log(`pair: cluster ${fmtRate(r.cluster.ingest.rowsPerSec)} ÷ standalone ${fmtRate(r.standalone.ingest.rowsPerSec)} rows/s = ${((100 * r.cluster.ingest.rowsPerSec) / r.standalone.ingest.rowsPerSec).toFixed(0)}%`);
  return { standalone: r.standalone.ingest.rowsPerSec, cluster: r.cluster.ingest.rowsPerSec };
}

// ---------------------------------------------------------------------------------------------
// Phase 1: standalone baseline

/** `withQueries`: time the candle queries after the ingest (extra --repeat pairs skip them). */
async function standalone(cfg: Config, w: IngestWork, res: Results, withQueries = true): Promise<void> {
  const t = new StockTsdbTarget({ name: 'standalone' });
  // --profile: the server inherits BUN_OPTIONS (Bun reads extra CLI flags from it).
  const profDir = cfg.profile ? tempDir('standalone-prof') : '';
  try {
    log('standalone: starting one node');
    if (profDir) process.env.BUN_OPTIONS = `--cpu-prof --cpu-prof-dir=${profDir}`;
    await t.start();
    delete process.env.BUN_OPTIONS;
    if (w.warmLp.length) {
      const wr = await sendAll(w.warmLp, t.lineProtocolWrite('ns'), { clients: cfg.clients });
      log(`standalone: warm-up ${fmtRate(wr.rowsPerSec)} rows/s (${wr.wallSec.toFixed(1)} s, untimed)`);
    }
    const load = uptime();
    const cpu = cpuMeter(() => ({ standalone: t.pid }));
    const r = await sendAll(w.lp, t.lineProtocolWrite('ns'), { clients: cfg.clients, serverPid: t.pid });
    const split = cpu.end();
    log(`standalone: ${fmtRate(r.rowsPerSec)} rows/s (${r.wallSec.toFixed(1)} s; server CPU ${r.serverCpuSec.toFixed(1)} s, client ${r.clientCpuSec.toFixed(1)} s, machine ${split.machine.toFixed(1)} s)`);
    if (!withQueries) {
      res.standalone = { ingest: r, cpu: split, load };
      return;
    }
    const bases = [new URL(t.lineProtocolWrite('ns').url).origin];
    const q = await timeQueries(cfg, { bases, cols: w.cols, range: w.range, order: w.order });
    log(`standalone: symbol-day p50 ${q.symbolDayMs.p50.toFixed(2)} ms p99 ${q.symbolDayMs.p99.toFixed(2)} ms; batch p50 ${q.batchMs.p50.toFixed(1)} ms p99 ${q.batchMs.p99.toFixed(1)} ms; ${q.check}`);
    res.standalone = { ingest: r, cpu: split, queries: q, load };
  } catch (e) {
    res.errors.push(`standalone: ${(e as Error).message}`);
    log(`standalone FAILED: ${(e as Error).message}\n${t.logTail()}`);
  } finally {
    delete process.env.BUN_OPTIONS;
    await t.stop().catch(() => undefined);
    t.cleanup();
    if (profDir) {
      const p = readCpuProfile(profDir, 15);
      if (p) (res.profiles ??= {}).standalone = p;
      removeDir(profDir);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 2: 3 nodes, RF 2, quorum

interface ClusterCtx {
  nodes: BenchNode[];
  settings: ClusterSettings;
  pids: () => Record<string, number>;
}

async function clusterIngest(
  cfg: Config,
  c: ClusterCtx & IngestWork,
  res: Results,
  withQueries = true,
): Promise<{ acked: Uint8Array; warmAcked: Uint8Array }> {
  const ids = ['node-1', 'node-2', 'node-3'];
  log('cluster: registering node-1..3 in Consul and starting them');
  const t0 = performance.now();
  const prepared = await Promise.all(ids.map((id, i) => BenchNode.prepare(id, `127.0.0.${11 + i}`, c.settings)));
  c.nodes.push(...(await Promise.all(prepared.map((p) => p.start()))));
  await waitForRing(c.nodes, ids, 180_000);
  const ringSec = (performance.now() - t0) / 1000;
  log(`cluster: ring of 3 settled ${ringSec.toFixed(1)} s after start (epoch ${(await c.nodes[0].ring()).epoch})`);
  const urls = c.nodes.map((n) => `${n.url}/write?precision=ns`);
  let warmAcked: Uint8Array = new Uint8Array(0);
  if (c.warmLp.length) {
    const wr = await sendSpread(c.warmLp, urls, cfg.clients);
    if (wr.failed) res.errors.push(`cluster warm-up: ${wr.failed} failed requests (${wr.firstError})`);
    warmAcked = wr.acked;
    log(`cluster: warm-up ${fmtRate(wr.rowsPerSec)} rows/s (${wr.wallSec.toFixed(1)} s, untimed, ${wr.failed} failed requests)`);
  }

  const load = uptime();
  const cpu = cpuMeter(c.pids);
  const r = await sendSpread(c.lp, urls, cfg.clients);
  const split = cpu.end();
  const nodeCpu = ids.reduce((a, id) => a + (split.perProcess[id] ?? 0), 0);
  log(`cluster: ${fmtRate(r.rowsPerSec)} rows/s total (${r.wallSec.toFixed(1)} s, ${r.failed} failed requests${r.firstError ? `, first: ${r.firstError}` : ''}); nodes' CPU ${nodeCpu.toFixed(1)} s, client ${r.clientCpuSec.toFixed(1)} s, machine ${split.machine.toFixed(1)} s`);
  if (r.failed) res.errors.push(`cluster ingest: ${r.failed} failed requests (${r.firstError})`);
  let hintsStored = 0;
  let unacked = 0;
  for (const n of c.nodes) {
    hintsStored += (await n.metric('stock_tsdb_cluster_hints_stored_total')) || 0;
    unacked += (await n.metric('stock_tsdb_cluster_writes_unacknowledged_total')) || 0;
  }
  const { acked, ...ingest } = r;
  if (cfg.profile || !withQueries) {
    res.cluster = { ingest, cpu: split, hintsStored, unacked, ringSec, load };
    return { acked, warmAcked };
  }
  const queries = await timeQueries(cfg, { bases: c.nodes.map((n) => n.url), cols: c.cols, range: c.range, order: c.order });
  log(`cluster: symbol-day p50 ${queries.symbolDayMs.p50.toFixed(2)} ms p99 ${queries.symbolDayMs.p99.toFixed(2)} ms; batch p50 ${queries.batchMs.p50.toFixed(1)} ms p99 ${queries.batchMs.p99.toFixed(1)} ms; ${queries.check}`);
  res.cluster = { ingest, cpu: split, queries, hintsStored, unacked, ringSec, load };
  return { acked, warmAcked };
}

// ---------------------------------------------------------------------------------------------
// Phase 2b: older data, so the handoff has bytes to move

/** One loaded day of history: what regenerates its rows (for the check) and which bodies were acknowledged. */
interface HistoryDay {
  start: string;
  bars: number;
  seed: number;
  acked: Uint8Array;
}

/**
 * Loads `cfg.historyRows` rows of older trading days (from HISTORY_DAY, one day of `bars` bars per
 * symbol at a time, generated and sent one day at a time to bound memory) through node-1..3.
 */
async function loadHistory(cfg: Config, c: ClusterCtx, res: Results): Promise<HistoryDay[]> {
  if (cfg.historyRows <= 0) return [];
  const bars = Math.min(14_400, Math.ceil(HISTORY_ROWS_PER_DAY / cfg.symbols));
  const days = tradingDays(HISTORY_DAY, Math.ceil(cfg.historyRows / (bars * cfg.symbols)));
  const out: HistoryDay[] = [];
  const t0 = performance.now();
  let rows = 0;
  let failed = 0;
  for (const [k, midnight] of days.entries()) {
    const start = new Date((midnight + 8 * 3600) * 1000).toISOString().slice(0, 10);
    const seed = cfg.seed + 100 + k;
    const cols = generateBars({ symbols: cfg.symbols, start, count: bars, stepSec: 1, seed });
    const r = await sendSpread(lineProtocolBodies(cols, { rowsPerRequest: cfg.rowsPerRequest, precision: 'ns' }), c.nodes.slice(0, 3).map((n) => `${n.url}/write?precision=ns`), cfg.clients);
    if (r.failed) res.errors.push(`history ${start}: ${r.failed} failed requests (${r.firstError})`);
    rows += r.rows;
    failed += r.failed;
    out.push({ start, bars, seed, acked: r.acked });
  }
  const sec = (performance.now() - t0) / 1000;
  // Older days are sealed data in a real cluster (a head idle for storage.head_idle_seal is
  // sealed): without this, the handoff's source flushes would do the load's deferred sealing.
  const f0 = performance.now();
  await Promise.all(c.nodes.slice(0, 3).map((n) => n.adminCall('POST', '/admin/flush')));
  const flushSec = (performance.now() - f0) / 1000;
  res.history = { rows, days: out.length, failed, sec, flushSec };
  log(`history: ${rows} rows over ${out.length} trading days from ${HISTORY_DAY} in ${sec.toFixed(1)} s (${fmtRate(rows / sec)} rows/s, ${failed} failed requests), heads sealed in ${flushSec.toFixed(1)} s`);
  return out;
}

/** Reads every acknowledged history row back through `node`, one day at a time. */
async function verifyHistory(cfg: Config, days: HistoryDay[], node: BenchNode): Promise<VerifyResult> {
  const sum: VerifyResult = { expected: 0, missing: 0, wrong: 0, examples: [], sec: 0 };
  for (const d of days) {
    const cols = generateBars({ symbols: cfg.symbols, start: d.start, count: d.bars, stepSec: 1, seed: d.seed });
    const day = tradingDays(d.start, 1)[0];
    const r = await verifyAcked(node.url, [{ cols, rowsPerBody: cfg.rowsPerRequest, acked: d.acked }], { start: day, end: day + 86400 });
    sum.expected += r.expected;
    sum.missing += r.missing;
    sum.wrong += r.wrong;
    sum.sec += r.sec;
    sum.examples.push(...r.examples.slice(0, 3 - sum.examples.length));
  }
  log(`history via ${node.id}: ${sum.expected} rows expected, ${sum.missing} missing, ${sum.wrong} wrong (${sum.sec.toFixed(1)} s)${sum.examples.length ? `; e.g. ${sum.examples.join('; ')}` : ''}`);
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Phase 3: grow while writing

async function handoff(cfg: Config, c: ClusterCtx & { poolBodies: Body[]; order: string[]; range: Range }, res: Results): Promise<void> {
  const coordinators = c.nodes.slice(0, 3);
  const before = await c.nodes[0].ring();
  const writer = pacedWriter(c.poolBodies, () => coordinators.map((n) => `${n.url}/write?precision=ns`), cfg.writeRate);
  const reader = backgroundReader((k) => symbolDayQuery(coordinators[k % 3].url, c.order[k % c.order.length], c.range), 20);
  await Bun.sleep(3000); // writes and reads under way before the change
  const load = uptime();
  const cpu = cpuMeter(c.pids);
  const newIds = Array.from({ length: cfg.grow }, (_, i) => `node-${4 + i}`);
  log(`handoff: registering and starting ${newIds.join(', ')} while writing ${fmtRate(cfg.writeRate)} rows/s`);
  const tStart = performance.now();
  const prepared = await Promise.all(newIds.map((id, i) => BenchNode.prepare(id, `127.0.0.${14 + i}`, c.settings)));
  c.nodes.push(...(await Promise.all(prepared.map((p) => p.start()))));
  const want = c.nodes.map((n) => n.id);
  // The ring change: the leader publishes the first step's pending moves (epoch + 1).
  let tChange = NaN;
  while (Number.isNaN(tChange)) {
    if ((await c.nodes[0].ring()).epoch > before.epoch) tChange = performance.now();
    else await Bun.sleep(100);
    if (performance.now() - tStart > 120_000) throw new Error('handoff: no ring change within 120 s of the new nodes starting');
  }
  log(`handoff: ring changed ${((tChange - tStart) / 1000).toFixed(1)} s after the start of the new nodes`);
  let lastLog = performance.now();
  for (;;) {
    const views = await Promise.all(c.nodes.map((n) => n.ring()));
    if (ringSettled(views, want)) break;
    if (performance.now() - tChange > 600_000) throw new Error(`handoff: ring not settled after 600 s: ${JSON.stringify(views.map((x) => [x.node_id, x.epoch, x.pending.length]))}`);
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      const p = (await c.nodes[0].rebalance()).progress;
      log(`handoff: epoch ${views[0].epoch}, ${p ? `${p.vnodesMoved}/${p.vnodesTotal} replicas moved` : 'no progress on node-1'}`);
    }
    await Bun.sleep(200);
  }
  const tSettled = performance.now();
  const split = cpu.end();
  await Bun.sleep(2000); // writes continue on the new ring
  const w = await writer.stop();
  const rd = await reader.stop();
  handoffAcked = w.acked;
  const after = await c.nodes[0].ring();
  const jobs: (HandoffJob & { node: string })[] = [];
  for (const n of c.nodes) for (const j of await n.handoffJobs()) jobs.push({ ...j, node: n.id });
  const intervals = jobs.filter((j) => j.finishedAt).map((j) => [Date.parse(j.startedAt), Date.parse(j.finishedAt!)] as const);
  const h: HandoffResult = {
    from: 3,
    to: c.nodes.length,
    epochBefore: before.epoch,
    epochAfter: after.epoch,
    moved: movedReplicas(before, after),
    jobs: jobs.length,
    jobsFailed: jobs.filter((j) => j.state === 'failed').length,
    bytes: jobs.reduce((a, j) => a + j.bytes, 0),
    rowsCopied: jobs.reduce((a, j) => a + j.rows, 0),
    windowSec: (tSettled - tChange) / 1000,
    detectSec: (tChange - tStart) / 1000,
    copySec: unionSec(intervals),
    jobMs: percentiles(intervals.map(([a, b]) => b - a)),
    writes: { sent: w.sent, failed: w.failed, errors: w.errors, ackedRows: w.ackedRows, rate: w.ackedRows / w.wallSec, cycles: w.cycles },
    reads: rd,
    cpu: split,
    load,
  };
  res.handoff = h;
  log(`handoff: ${h.moved} vnode replicas (${h.jobs} copy jobs, ${h.jobsFailed} failed), ${(h.bytes / 2 ** 20).toFixed(1)} MiB, ${h.rowsCopied} rows in ${h.windowSec.toFixed(1)} s → ${(h.moved / h.windowSec).toFixed(1)} vnodes/s, ${(h.bytes / 2 ** 20 / h.windowSec).toFixed(2)} MiB/s (copy jobs ran during ${h.copySec.toFixed(1)} s); writes ${w.sent} sent / ${w.failed} failed, reads ${rd.ok} ok / ${rd.failed} failed`);
  if (w.failed) res.errors.push(`handoff: ${w.failed} failed writes (${w.errors[0]})`);
  if (rd.failed) res.errors.push(`handoff: ${rd.failed} failed reads (${rd.errors[0]})`);
  if (h.jobsFailed) res.errors.push(`handoff: ${h.jobsFailed} copy jobs failed`);
}

/** The copy probes' symbols, one per size (distinct vnodes). */
const FAT_SYMBOLS = ['stock.SH.688001', 'stock.SZ.300750'];

/**
 * The copy path without the rebalance steps around it: one symbol's `rows` rows (one vnode,
 * written through an owner), then `POST /admin/vnodes/:v/pull` on a node that does not own it,
 * timed by the job's own start and finish, then `DELETE /admin/vnodes/:v` there. Tells whether
 * streaming + importing bytes or the per-step overheads bound the handoff.
 */
async function fatVnodeCopy(cfg: Config, nodes: BenchNode[], poolBodies: Body[], symbol: string, rows: number): Promise<FatCopy> {
  const vnode = vnodeOf(symbol, VNODES);
  const ring = await nodes[0].ring();
  const owners = ring.placement!.owners[vnode].map((i) => ring.placement!.nodes[i]);
  const source = nodes.find((n) => n.id === owners[0])!;
  const to = nodes.find((n) => !owners.includes(n.id))!;
  const cols = generateBars({ symbols: [symbol], start: '2024-03-01', count: rows, stepSec: 1, seed: cfg.seed + 2 });
  const bodies = lineProtocolBodies(cols, { rowsPerRequest: cfg.rowsPerRequest, precision: 'ns' });
  log(`copy probe: writing ${cols.count} rows of ${symbol} (vnode ${vnode}, owners ${owners.join(', ')}) through ${source.id}`);
  const ing = await sendSpread(bodies, [`${source.url}/write?precision=ns`], cfg.clients);
  if (ing.failed) throw new Error(`copy probe: ${ing.failed} failed writes (${ing.firstError})`);
  // Three timed pulls (drop in between), so one slow moment on the shared machine does not
  // decide; writes continue meanwhile, as in the handoff phase (the same rows again, through
  // node-1..3). Before them, untimed warm-up pulls: source and receiver may not have run this
  // side of the copy path yet (in the default run node-5, which only received during the
  // handoff, sends to node-1, which only sent), and a first copy runs before the JIT has
  // compiled it (measured: 77, 60, 53, 52, 44, 43 ms for the same 5.4 MiB pull repeated). A
  // handoff of many vnodes pays that once, not per vnode.
  let last: HandoffJob | undefined;
  const pullOnce = async () => {
    const prev = last?.startedAt;
    await to.adminCall('POST', `/admin/vnodes/${vnode}/pull`, { from: source.id });
    for (const t0 = Date.now(); ; ) {
      last = (await to.handoffJobs()).find((j) => j.vnode === vnode && j.startedAt !== prev);
      if (last && last.state !== 'running') break;
      if (Date.now() - t0 > 300_000) throw new Error(`copy probe: vnode ${vnode} still copying to ${to.id} after 300 s`);
      await Bun.sleep(50);
    }
    await to.adminCall('DELETE', `/admin/vnodes/${vnode}`);
    if (last.state !== 'done') throw new Error(`copy probe: pull ${last.state}: ${last.error ?? ''}`);
    return { sec: (Date.parse(last.finishedAt!) - Date.parse(last.startedAt)) / 1000, bytes: last.bytes, rows: last.rows };
  };
  // Every node's heads are sealed first, as their 60-s idle seal would do anyway: in the default
  // run that seal (about 1.7M rows on the receiver, with one codec worker) otherwise fell due
  // during the timed pulls (the receiver then used 1.05 cores and the probe gave 61 MiB/s).
  const headRows = await to.metric('stock_tsdb_head_rows');
  await Promise.all(nodes.map((n) => n.adminCall('POST', '/admin/flush')));
  log(`copy probe: sealed every node's heads first (${headRows} head rows on ${to.id})`);
  const writer = pacedWriter(poolBodies, () => nodes.slice(0, 3).map((n) => `${n.url}/write?precision=ns`), cfg.writeRate);
  await Bun.sleep(1000);
  const warmups: number[] = [];
  for (let rep = 0; rep < cfg.probeWarmups; rep++) warmups.push((await pullOnce()).sec);
  const runs: { sec: number; bytes: number; rows: number }[] = [];
  const cpu = cpuMeter(() => ({ source: source.pid, receiver: to.pid }));
  for (let rep = 0; rep < 3; rep++) runs.push(await pullOnce());
  const split = cpu.end();
  const w = await writer.stop();
  if (w.failed) throw new Error(`copy probe: ${w.failed} failed writes while copying (${w.errors[0]})`);
  const median = [...runs].sort((a, b) => a.sec - b.sec)[1];
  const r: FatCopy = {
    symbol, vnode, rows: cols.count, ingestRowsPerSec: ing.rowsPerSec, from: source.id, to: to.id, state: 'done', bytes: median.bytes, rowsCopied: median.rows, sec: median.sec,
    runsSec: runs.map((x) => x.sec), warmupSec: warmups, cpu: split, writes: { sent: w.sent, failed: w.failed, rate: w.ackedRows / w.wallSec },
  };
  log(`copy probe: ${mib(r.bytes)} (${r.rowsCopied} rows) ${source.id} → ${to.id} in ${runs.map((x) => x.sec.toFixed(2)).join(', ')} s after warm-up pulls of ${warmups.map((x) => x.toFixed(2)).join(', ')} s; median ${f2(r.bytes / 2 ** 20 / r.sec)} MiB/s`);
  return r;
}

async function waitForRing(nodes: BenchNode[], want: string[], timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    const views: RingAnswer[] = await Promise.all(nodes.map((n) => n.ring()));
    if (ringSettled(views, want)) return;
    if (performance.now() - t0 > timeoutMs) throw new Error(`ring did not settle on ${want}: ${JSON.stringify(views.map((v) => [v.epoch, v.placement?.nodes, v.pending.length]))}`);
    await Bun.sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------
// Queries

/** Symbols for the samples: the http suite's seeded permutation. */
function symbolOrder(symbols: readonly string[], seed: number): string[] {
  const names = [...symbols];
  const rand = mulberry32(seed ^ 0x5eed);
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [names[i], names[j]] = [names[j], names[i]];
  }
  return names;
}

/** Checks 3 symbol-days against the reference, then times the queries, round-robin over `bases`. */
async function timeQueries(cfg: Config, w: { bases: string[]; cols: BarColumns; range: Range; order: string[] }): Promise<QueryTimes> {
  const { bases, order, range } = w;
  const base = (i: number) => bases[i % bases.length];
  const problems: string[] = [];
  for (const [i, s] of [w.cols.symbols[0], w.cols.symbols[1], w.cols.symbols[w.cols.symbols.length - 1]].entries()) {
    const got = candlesOf((await timedRequest(symbolDayQuery(base(i), s, range))).body);
    const want = referenceCandles(w.cols, s, { ...range, intervalSec: 3600 });
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${s} via ${base(i)}: ${JSON.stringify(got).slice(0, 120)} ≠ ${JSON.stringify(want).slice(0, 120)}`);
  }
  const batchOf = (k: number) => Array.from({ length: 100 }, (_, i) => order[(k * 97 + i) % order.length]);
  for (let i = 0; i < 6; i++) await timedRequest(symbolDayQuery(base(i), order[order.length - 1 - i], range));
  for (let i = 0; i < bases.length; i++) await timedRequest(batchQuery(base(i), batchOf(cfg.batchSamples + 1), range));
  const day: number[] = [];
  for (let i = 0; i < cfg.querySamples; i++) day.push((await timedRequest(symbolDayQuery(base(i), order[i % order.length], range))).ms);
  const batch: number[] = [];
  for (let k = 0; k < cfg.batchSamples; k++) batch.push((await timedRequest(batchQuery(base(k), batchOf(k), range))).ms);
  return { symbolDayMs: percentiles(day), batchMs: percentiles(batch), check: problems.length ? `MISMATCH ${problems.join('; ')}` : 'candles equal the reference' };
}

function candlesOf(body: string): number[][] {
  const a = JSON.parse(body) as { columns: string[]; rows: number[][] };
  const idx = ['timestamp', 'open', 'high', 'low', 'close', 'volume'].map((c) => a.columns.indexOf(c));
  return a.rows.map((r) => idx.map((i) => r[i]));
}

function gitRev(): string {
  const r = Bun.spawnSync(['git', 'rev-parse', '--short', 'HEAD'], { cwd: BENCH_DIR });
  const dirty = Bun.spawnSync(['git', 'status', '--porcelain', '--', '../data-plane'], { cwd: BENCH_DIR }).stdout.toString().trim() ? '+dirty' : '';
  return `${r.stdout.toString().trim()}${dirty}`;
}

/** Quotes a shell word when it needs it, so the recorded command can be pasted back. */
function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAllStarted();
    void stopEverything().finally(() => process.exit(130));
  });
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  console.error(`[cluster] ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
} finally {
  killAllStarted();
}

