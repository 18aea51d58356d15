/**
 * What the cluster benchmark (bench/cluster-bench.ts) measured, and how it is shown: the tables
 * printed at the end and the section appended to bench/RESULTS.md.
 */
import type { BarColumns } from './gen-bars.ts';
import { fmtRate } from './http-suite.ts';
import type { Percentiles } from './load.ts';
import type { MachineInfo } from './report.ts';
import type { ProfileSummary } from './cluster-nodes.ts';
import type { SpreadResult, VerifyResult } from './cluster-load.ts';

/** The handoff phase writes a later day than the ingest, so its rows never overwrite those. */
export const START_DAY = '2024-01-02';
export const HANDOFF_DAY = '2024-02-01';
export const HANDOFF_ROWS_PER_REQUEST = 2000;
/** --history-rows are older trading days from this one, HISTORY_ROWS_PER_DAY rows a day. */
export const HISTORY_DAY = '2023-06-01';
/** Day of the untimed warm-up rows (--warmup-rows): before START_DAY, after any history day. */
export const WARMUP_DAY = '2023-12-01';
export const HISTORY_ROWS_PER_DAY = 2_000_000;
/** storage.vnodes of every node (the config default, as in the original doc). */
export const VNODES = 1000;

/** The run's settings (bench/cluster-bench.ts flags). */
export interface Config {
  rows: number;
  symbols: number;
  rowsPerRequest: number;
  clients: number;
  querySamples: number;
  batchSamples: number;
  grow: number;
  writeRate: number;
  /** rows of older days loaded before the handoff (0 = none) */
  historyRows: number;
  /** untimed rows of WARMUP_DAY written to the standalone server and to the cluster before their timed ingests (0 = none) */
  warmupRows: number;
  maxMoves: number;
  /** performance.worker_threads of the cluster nodes (0 = one per core each) */
  nodeWorkers: number;
  /** rows of each copy probe's symbol (one probe per size; empty = none) */
  fatRows: number[];
  /** untimed pulls before the copy probe's three timed ones */
  probeWarmups: number;
  profile: boolean;
  seed: number;
  quick: boolean;
  /** ingest pairs (a fresh standalone server, then 3 fresh nodes) run in all; the last goes on to the queries and the handoff */
  repeat: number;
}

/** CPU seconds per process and for the machine over one phase. */
export interface CpuSplit {
  wallSec: number;
  perProcess: Record<string, number>;
  machine: number;
}

/** The two candle queries' latencies and the reference check. */
export interface QueryTimes {
  symbolDayMs: Percentiles;
  batchMs: Percentiles;
  check: string;
}

/** Everything one run measured (also written to bench/out/cluster-*.json). */
export interface Results {
  standalone?: { ingest: { rowsPerSec: number; wallSec: number; rows: number; serverCpuSec: number; clientCpuSec: number; requestMs: Percentiles }; cpu: CpuSplit; queries?: QueryTimes; load: string };
  cluster?: { ingest: Omit<SpreadResult, 'acked'>; cpu: CpuSplit; queries?: QueryTimes; hintsStored: number; unacked: number; ringSec: number; load: string };
  history?: { rows: number; days: number; failed: number; sec: number; flushSec: number; verify?: VerifyResult };
  handoff?: HandoffResult;
  verify?: { node: string; r: VerifyResult }[];
  disk?: Record<string, number>;
  profiles?: Record<string, ProfileSummary>;
  fat?: FatCopy[];
  /** every ingest pair's rates, in run order (the last is the pair in the tables) */
  pairs?: IngestPair[];
  errors: string[];
}

/** One standalone ingest and the 3-node ingest after it, each into fresh servers. */
export interface IngestPair {
  standalone: number;
  cluster: number;
}

/** The median of the pairs' cluster ÷ standalone ratios. */
export function medianPairRatio(pairs: readonly IngestPair[]): number {
  const r = pairs.map((p) => p.cluster / p.standalone).sort((a, b) => a - b);
  const m = r.length >> 1;
  return r.length % 2 ? r[m] : (r[m - 1] + r[m]) / 2;
}

/** Phase 3: growing the ring while writing and reading. */
export interface HandoffResult {
  from: number;
  to: number;
  epochBefore: number;
  epochAfter: number;
  moved: number;
  jobs: number;
  jobsFailed: number;
  bytes: number;
  rowsCopied: number;
  /** first observed ring change → settled ring */
  windowSec: number;
  /** nodes started → first observed ring change */
  detectSec: number;
  /** time when at least one copy job ran */
  copySec: number;
  jobMs: Percentiles;
  writes: { sent: number; failed: number; errors: string[]; ackedRows: number; rate: number; cycles: number };
  reads: { ok: number; failed: number; errors: string[]; ms: Percentiles };
  cpu: CpuSplit;
  load: string;
}

/** What the single-vnode copy probe measured. */
export interface FatCopy {
  symbol: string;
  vnode: number;
  rows: number;
  ingestRowsPerSec: number;
  from: string;
  to: string;
  state: string;
  bytes: number;
  rowsCopied: number;
  /** the median of the three pulls */
  sec: number;
  runsSec: number[];
  /** the untimed warm-up pulls before them */
  warmupSec: number[];
  /** CPU over the three pulls with their polling and drops */
  cpu: CpuSplit;
  /** the paced writes through node-1..3 that ran during the pulls */
  writes?: { sent: number; failed: number; rate: number };
}

// ---------------------------------------------------------------------------------------------
// Report

/** Number formatting for the tables ('–' for missing values). */
export const f1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));
export const f2 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
export const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : '–');
export const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** The result tables (Markdown), printed and recorded. */
export function renderTables(cfg: Config, res: Results): string {
  const s = res.standalone;
  const c = res.cluster;
  const base = s?.ingest.rowsPerSec ?? NaN;
  const baseUs = s ? (s.ingest.serverCpuSec / s.ingest.rows) * 1e6 : NaN;
  const q = (x?: QueryTimes) => (x ? `${f2(x.symbolDayMs.p50)} / ${f2(x.symbolDayMs.p99)} | ${f1(x.batchMs.p50)} / ${f1(x.batchMs.p99)}` : '– | –');
  const out: string[] = [];
  out.push('| setup | rows/s total | rows/s per node | rows/s per core (÷ 2 cores), ÷ standalone\'s (target ≥ 40%) | per node ÷ standalone, 3 nodes on one machine | servers\' CPU µs/row | rows/s per busy server core | symbol-day 1h p50 / p99 ms | 100 symbols 1h p50 / p99 ms |');
  out.push('|---|---|---|---|---|---|---|---|---|');
  if (s) {
    out.push(`| standalone, 1 node | ${fmtRate(base)} | ${fmtRate(base)} | ${fmtRate(base / 2)} | 100% | ${f2(baseUs)} | ${fmtRate(1e6 / baseUs)} | ${q(s.queries)} |`);
  }
  if (c) {
    const nodeCpu = ['node-1', 'node-2', 'node-3'].reduce((a, id) => a + (c.cpu.perProcess[id] ?? 0), 0);
    const us = (nodeCpu / c.ingest.rows) * 1e6;
    const r = c.ingest.rowsPerSec;
    out.push(`| 3 nodes, RF 2, quorum, each coordinates ⅓ | ${fmtRate(r)} (${pct(r / base)}) | ${fmtRate(r / 3)} | ${fmtRate(r / 2)} (**${pct(r / base)}**) | ${pct(r / 3 / base)} | ${f2(us)} (${f2(us / baseUs)}×) | ${fmtRate(1e6 / us)} (${pct(baseUs / us)}) | ${q(c.queries)} |`);
    out.push('');
    out.push(
      'The target compares a node with a standalone server on the same hardware. Here the three nodes share the two cores one standalone server has, so the like-for-like figure is per core: the cluster\'s rate per core against the standalone\'s (what each node would ingest with two cores of its own, if the rate scales with cores; loopback costs no NIC time). Per node on this one machine each node has ⅔ of a core, hence the lower column beside it.',
    );
  }
  const h = res.handoff;
  if (h) {
    out.push('');
    out.push('| handoff while writing | vnode replicas moved | copied | ring change → settled | vnodes/s | MiB/s over the window (target ≥ 100 MB/s) | MiB/s while copy jobs ran | writes sent / failed | reads ok / failed | acknowledged rows readable |');
    out.push('|---|---|---|---|---|---|---|---|---|---|');
    const v = res.verify ?? [];
    const missing = v.reduce((a, x) => a + x.r.missing + x.r.wrong, 0);
    const hv = res.history?.verify;
    const hist = hv ? `; history: ${hv.missing + hv.wrong === 0 ? 'all' : `${hv.missing + hv.wrong} MISSING/WRONG`} (${hv.expected} rows via node-4)` : '';
    const verified = v.length ? `${missing === 0 ? 'all' : `${missing} MISSING/WRONG`} (${v[0].r.expected} rows × ${v.length} nodes)${hist}` : 'not checked';
    out.push(`| ${h.from} → ${h.to} nodes, ${fmtRate(h.writes.rate)} rows/s written | ${h.moved} (${h.jobs} jobs, ${h.jobsFailed} failed) | ${mib(h.bytes)}, ${fmtRate(h.rowsCopied)} rows | ${f1(h.windowSec)} s | ${f1(h.moved / h.windowSec)} | ${f2(h.bytes / 2 ** 20 / h.windowSec)} | ${f2(h.bytes / 2 ** 20 / h.copySec)} | ${h.writes.sent} / ${h.writes.failed} | ${h.reads.ok} / ${h.reads.failed} | ${verified} |`);
  }
  for (const fat of res.fat ?? []) {
    out.push('');
    out.push(`Single-vnode copy probe (no rebalance steps): ${fmtRate(fat.rows)} rows of one symbol (vnode ${fat.vnode}) (${f2(fat.bytes / fat.rows)} B/row in the stream) pulled ${fat.from} → ${fat.to} with POST /admin/vnodes/${fat.vnode}/pull, 3 times (dropped in between) after ${fat.warmupSec.length} untimed warm-up pulls (${fat.warmupSec.map(f2).join(' / ') || 'none'} s)${fat.writes ? `, while ${fmtRate(fat.writes.rate)} rows/s were written through node-1..3 (${fat.writes.sent} requests, ${fat.writes.failed} failed)` : ''}: ${mib(fat.bytes)} in ${fat.runsSec.map(f2).join(' / ')} s, median **${f2(fat.bytes / 2 ** 20 / fat.sec)} MiB/s** = ${fmtRate(fat.rowsCopied / fat.sec)} rows/s (job start → verified finish, as the job reports it). Over the ${f1(fat.cpu.wallSec)} s of the three pulls (with polling and drops) the source used ${f2(fat.cpu.perProcess.source / fat.cpu.wallSec)} cores, the receiver ${f2(fat.cpu.perProcess.receiver / fat.cpu.wallSec)}, the machine ${f2(fat.cpu.machine / fat.cpu.wallSec)}.`);
  }
  const split = pullCostSplit(res.fat ?? []);
  if (split) {
    out.push('');
    out.push(`The two probe sizes as one line, time = fixed + bytes ÷ rate, through the two medians: about ${Math.round(split.fixedSec * 1000)} ms per pull whatever its size (request, source flush, first chunk, final synced write, verification), then about ${Math.round(split.bytesPerSec / 2 ** 20)} MiB/s. A rough estimate: the jobs time themselves in whole milliseconds, and a pull of the smaller vnode takes only tens of them.`);
  }
  out.push('');
  out.push(cpuTable(res));
  return out.join('\n');
}

/** Cores used per process in each phase (CPU seconds ÷ wall seconds). */
function cpuTable(res: Results): string {
  const phases: [string, CpuSplit | undefined][] = [
    ['standalone ingest', res.standalone?.cpu],
    ['3-node ingest', res.cluster?.cpu],
    ['handoff window', res.handoff?.cpu],
  ];
  const names = [...new Set(phases.flatMap(([, p]) => (p ? Object.keys(p.perProcess) : [])))];
  const head = `| cores used (CPU s ÷ wall s) | wall s | ${names.join(' | ')} | all of ours | whole machine | others' work |`;
  const rows = phases
    .filter(([, p]) => p)
    .map(([label, p]) => {
      const ours = Object.values(p!.perProcess).reduce((a, b) => a + b, 0);
      const cell = (x: number | undefined) => (x === undefined ? '' : f2(x / p!.wallSec));
      return `| ${label} | ${f1(p!.wallSec)} | ${names.map((n) => cell(p!.perProcess[n])).join(' | ')} | ${cell(ours)} | ${cell(p!.machine)} | ${cell(Math.max(0, p!.machine - ours))} |`;
    });
  return [head, `|${'---|'.repeat(names.length + 5)}`, ...rows].join('\n');
}

/** The section appended to bench/RESULTS.md: command, machine and load, method, tables, details. */
export function renderSection(o: {
  cfg: Config; res: Results; command: string; date: string; machine: MachineInfo; rev: string; label: string;
  cols: BarColumns; barsPerSymbol: number; lpMiB: number; pool: BarColumns; tables: string;
}): string {
  const { cfg, res, machine } = o;
  const lines = [
    `## ${o.date.slice(0, 16).replace('T', ' ')} UTC — cluster suite${o.label ? ` — ${o.label}` : ''}`,
    '',
    `Command: \`${o.command}\``,
    '',
    `Machine: ${machine.nproc} cores (${machine.cpuModel}), ${machine.memGiB.toFixed(1)} GiB, kernel ${machine.kernel}, Bun ${machine.bun}; server at ${o.rev}. Shared with other engineers' work: uptime before \`${machine.uptimeBefore}\`, after \`${machine.uptimeAfter}\`. Every node, the Consul agent and the load generator run on the same 2 cores.`,
    '',
    `Data: ${o.cols.count} rows = ${cfg.symbols} symbols × ${o.barsPerSymbol} one-second bars from ${START_DAY} 09:30 Asia/Shanghai (bench/gen-bars.ts, time-major), line protocol precision=ns, ${Math.ceil(o.cols.count / cfg.rowsPerRequest)} requests of ${cfg.rowsPerRequest} rows (${o.lpMiB.toFixed(0)} MiB), ${cfg.clients} requests in flight in total. Standalone: \`bun data-plane/src/main.ts --config config/standalone_performance.lua\` on 127.0.0.1. Cluster: the same config plus \`cluster\` (Consul membership, a dev agent from scripts/build-consul.sh; RF 2, consistency quorum, ${1000} vnodes, rebalance_max_moves ${cfg.maxMoves}${cfg.nodeWorkers ? `, performance.worker_threads ${cfg.nodeWorkers} (the cores shared out between the nodes, as scripts/deploy_cluster.sh does)` : ''}); node-1..3 on 127.0.0.11–13, each ingest request to the next node in turn.${cfg.warmupRows > 0 ? ` Before each timed ingest, untimed, ${fmtRate(cfg.warmupRows)} rows of ${WARMUP_DAY} in the same kind of requests go to the standalone server and (spread the same way) to the 3 nodes, so both rates are steady-state rates rather than mostly start-up: in cold runs the JIT compiler threads used 0.4–0.6 CPU s of each node's ~2.6 s and 0.6 s of the standalone server's 1.8 s.` : ''} Queries (1h candles over the first trading day): ${cfg.querySamples} symbol-day samples and ${cfg.batchSamples} batches of 100 symbols, one at a time after warm-up, through the nodes in turn; 3 symbol-days checked against candles computed from the data first.`,
    '',
    `Handoff: ${cfg.historyRows > 0 ? `first ${res.history?.rows ?? 0} rows of older days (--history-rows) are loaded, so the change has more to move; then ` : ''}writes of a later day (${o.pool.count} distinct rows, ${HANDOFF_ROWS_PER_REQUEST} rows a request, paced at ${fmtRate(cfg.writeRate)} rows/s from 2 loops through node-1..3${res.handoff?.writes.cycles ? `; they ran out ${res.handoff.writes.cycles}× and started over, rewriting equal rows` : ''}) and symbol-day reads (one at a time, 20 ms apart) run from 3 s before node-${4}${cfg.grow > 1 ? '/5' : ''} start until 2 s after the ring settled. Window = first ring epoch change seen on node-1 (polled every 100 ms) → every node reports the same epoch, nothing pending and the ${3 + cfg.grow} nodes holding the 2000 replicas evenly (as test/integration/cluster-rebalance.test.ts). Bytes and rows = sum over the copy jobs of GET /admin/handoff on every node. Afterwards every acknowledged row (ingest${cfg.warmupRows > 0 ? ', warm-up' : ''} + handoff writes; close and volume) is read back through every node (raw batch queries).`,
    '',
    o.tables,
    '',
    ...details(cfg, res),
  ];
  return lines.join('\n');
}

/** One bullet per phase with the figures the tables leave out. */
export function details(cfg: Config, res: Results): string[] {
  const out: string[] = [];
  const s = res.standalone;
  const c = res.cluster;
  const h = res.handoff;
  if (s) out.push(`- standalone: ${s.ingest.rows} rows in ${f1(s.ingest.wallSec)} s, request p50 ${f1(s.ingest.requestMs.p50)} ms p99 ${f1(s.ingest.requestMs.p99)} ms; server CPU ${f1(s.ingest.serverCpuSec)} s, client ${f1(s.ingest.clientCpuSec)} s; queries ${s.queries?.check ?? 'not run'}; load at start \`${s.load}\``);
  if (c) {
    out.push(`- 3 nodes: ring of 3 settled ${f1(c.ringSec)} s after start; ${c.ingest.rows} rows acknowledged in ${f1(c.ingest.wallSec)} s (${c.ingest.failed} failed requests), request p50 ${f1(c.ingest.requestMs.p50)} ms p99 ${f1(c.ingest.requestMs.p99)} ms; hints stored during ingest ${c.hintsStored}, unacknowledged writes ${c.unacked}; queries ${c.queries?.check ?? 'not run'}; load at start \`${c.load}\``);
  }
  const hi = res.history;
  if (hi) out.push(`- history before the handoff: ${hi.rows} rows (${cfg.symbols} symbols, ${hi.days} trading days from ${HISTORY_DAY}) loaded through node-1..3 in ${f1(hi.sec)} s (${fmtRate(hi.rows / hi.sec)} rows/s, ${hi.failed} failed requests), then sealed with POST /admin/flush on each (${f1(hi.flushSec)} s) as idle heads would be; read back through node-4 after the handoff in ${f1(hi.verify?.sec)} s: ${hi.verify ? `${hi.verify.missing} missing, ${hi.verify.wrong} wrong${hi.verify.examples.length ? ` (${hi.verify.examples.join('; ')})` : ''}` : 'not checked'}`);
  if (h) {
    const steps = Math.round((h.epochAfter - h.epochBefore) / 2);
    out.push(`- handoff ${h.from} → ${h.to}: epochs ${h.epochBefore} → ${h.epochAfter}, i.e. about ${steps} rebalance step${steps === 1 ? '' : 's'} of ≤ ${cfg.maxMoves} replica moves (each publishes pending moves, copies, then publishes the flip; old replicas are dropped 2 s later in the background); ring change seen ${f1(h.detectSec)} s after the new nodes were started (Consul check + leader loop); copy jobs per vnode p50 ${f1(h.jobMs.p50)} ms p99 ${f1(h.jobMs.p99)} ms max ${f1(h.jobMs.max)} ms; copy jobs running during ${f1(h.copySec)} s of the ${f1(h.windowSec)} s window; writes ${fmtRate(h.writes.rate)} rows/s acknowledged (${h.writes.ackedRows} rows)${h.writes.errors.length ? `, errors: ${h.writes.errors.join('; ')}` : ''}; reads p50 ${f2(h.reads.ms.p50)} ms p99 ${f2(h.reads.ms.p99)} ms max ${f1(h.reads.ms.max)} ms${h.reads.errors.length ? `, errors: ${h.reads.errors.join('; ')}` : ''}; load at start \`${h.load}\``);
  }
  if ((res.pairs?.length ?? 0) > 1) {
    const ps = res.pairs!;
    out.push(`- ingest repeated: ${ps.length} pairs, each a fresh standalone server then 3 fresh nodes (fresh Consul agent), with the same warm-up; cluster ÷ standalone per pair (= per core): ${ps.map((p) => `${fmtRate(p.cluster)} ÷ ${fmtRate(p.standalone)} = ${(100 * p.cluster / p.standalone).toFixed(0)}%`).join(', ')}; **median ${(100 * medianPairRatio(ps)).toFixed(0)}%**. The tables show the last pair (the one queried and grown).`);
  }
  for (const v of res.verify ?? []) {
    if (v.r.missing || v.r.wrong) out.push(`- verify via ${v.node}: ${v.r.missing} missing, ${v.r.wrong} wrong of ${v.r.expected}: ${v.r.examples.join('; ')}`);
  }
  if (res.verify?.length) out.push(`- verify: ${res.verify.map((v) => `${v.node} ${f1(v.r.sec)} s`).join(', ')}`);
  if (res.disk) out.push(`- data folders after the run: ${Object.entries(res.disk).map(([k, b]) => `${k} ${mib(b)}`).join(', ')}`);
  for (const [node, p] of Object.entries(res.profiles ?? {})) {
    out.push(`- CPU profile of ${node} (bun --cpu-prof, main thread, process start → ${node === 'standalone' ? 'end of its queries' : 'end of the ingest'}, ${p.samples} samples), self time by area: ${p.areas.map((a) => `${a.area} ${a.pct.toFixed(0)}%`).join(', ')}; hottest functions: ${p.top.map((l) => `\`${l.fn}\` ${l.selfPct.toFixed(1)}%`).join('; ')}`);
  }
  for (const e of res.errors) out.push(`- ERROR: ${e}`);
  return out;
}

/** Fixed cost per pull and streaming rate from the smallest and largest probe (null unless two sizes with distinct times). */
export function pullCostSplit(fat: readonly FatCopy[]): { fixedSec: number; bytesPerSec: number } | null {
  if (fat.length < 2) return null;
  const sorted = [...fat].sort((a, b) => a.bytes - b.bytes);
  const [a, b] = [sorted[0], sorted[sorted.length - 1]];
  if (b.bytes <= a.bytes || b.sec <= a.sec) return null;
  const secPerByte = (b.sec - a.sec) / (b.bytes - a.bytes);
  return { fixedSec: Math.max(0, a.sec - a.bytes * secPerByte), bytesPerSec: 1 / secPerByte };
}
