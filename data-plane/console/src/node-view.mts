/**
 * The node view: small live charts of the node's counters (ingest and query rates, cache hit
 * ratio, storage size) from `GET /console/api/stats` every POLL_MS while the view is open, and
 * the cluster panel (nodes, health, vnodes per node, ring epoch, handoffs), or "standalone".
 */
import { AreaSeries, createChart, type ISeriesApi, type Time, type UTCTimestamp } from 'lightweight-charts';
import { ApiError, type Api } from './api.mts';
import { HANDOFF_PATH, RING_PATH, readCluster, type ClusterView } from './cluster.mts';
import { bytes, esc } from './dom.mts';
import { requestLine } from './query-log.mts';
import { formatTime, tickMarkFormatter } from './time.mts';

const POLL_MS = 2000;
/** How often to look for cluster state again after a node answered that it has none. */
const STANDALONE_RECHECK_MS = 30_000;
const HISTORY = 300;

/** The answer of GET /console/api/stats. */
interface StatsAnswer {
  time_ms: number;
  engine: Record<string, number>;
  http: { queries: number; writes: number };
}

interface Tile {
  key: string;
  title: string;
  /** the value at `cur`, given the previous snapshot (null on the first) */
  value: (cur: StatsAnswer, prev: StatsAnswer | null) => number | null;
  format: (v: number) => string;
  series?: ISeriesApi<'Area'>;
  valueEl?: HTMLElement;
}

const rate = (f: (s: StatsAnswer) => number) => (cur: StatsAnswer, prev: StatsAnswer | null) =>
  prev && cur.time_ms > prev.time_ms ? Math.max(0, (f(cur) - f(prev)) / ((cur.time_ms - prev.time_ms) / 1000)) : null;
const perSec = (v: number) => `${v >= 100 ? v.toFixed(0) : v.toFixed(1)}/s`;

/** The node view. */
export class NodeView {
  private readonly tiles: Tile[] = [
    { key: 'ingest', title: 'Ingest (rows written)', value: rate((s) => s.engine.rowsWritten ?? 0), format: perSec },
    { key: 'queries', title: 'Queries (requests)', value: rate((s) => s.http.queries), format: perSec },
    { key: 'rows-read', title: 'Rows read by queries', value: rate((s) => s.engine.rowsRead ?? 0), format: perSec },
    {
      key: 'cache', title: 'Cache hit ratio (since start)', format: (v) => `${v.toFixed(1)} %`,
      value: (s) => {
        const n = (s.engine.cacheHits ?? 0) + (s.engine.cacheMisses ?? 0);
        return n === 0 ? 0 : (100 * (s.engine.cacheHits ?? 0)) / n;
      },
    },
    { key: 'storage', title: 'Storage size', value: (s) => s.engine.storageBytes ?? 0, format: bytes },
    { key: 'wal', title: 'WAL size', value: (s) => s.engine.walBytes ?? 0, format: bytes },
  ];
  private prev: StatsAnswer | null = null;
  private lastSecond = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private built = false;
  /** when the cluster endpoint answered 404 last (0 = never) */
  private standaloneAt = 0;

  constructor(
    private readonly statsEl: HTMLElement,
    private readonly requestEl: HTMLElement,
    private readonly clusterEl: HTMLElement,
    private readonly api: Api,
  ) {}

  /** Starts polling (the view became visible). */
  start(): void {
    if (!this.built) this.build();
    this.running = true;
    if (this.timer) clearTimeout(this.timer);
    void this.poll();
  }

  /** Stops polling (the view was hidden). */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private build(): void {
    this.built = true;
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone; // the viewer's clock
    for (const t of this.tiles) {
      const box = document.createElement('div');
      box.className = 'stat';
      box.dataset.stat = t.key;
      box.innerHTML = `<header><span>${esc(t.title)}</span><span class="value">–</span></header><div class="spark"></div>`;
      this.statsEl.append(box);
      t.valueEl = box.querySelector<HTMLElement>('.value')!;
      const chart = createChart(box.querySelector<HTMLElement>('.spark')!, {
        autoSize: true,
        layout: { background: { color: '#161b22' }, textColor: '#8b949e', fontSize: 10, attributionLogo: false },
        grid: { vertLines: { visible: false }, horzLines: { color: '#1b2129' } },
        timeScale: { timeVisible: true, secondsVisible: true, borderVisible: false, tickMarkFormatter: tickMarkFormatter(zone) },
        rightPriceScale: { borderVisible: false },
        localization: { priceFormatter: t.format, timeFormatter: (time: Time) => formatTime(time as number, zone, true) },
        handleScroll: false,
        handleScale: false,
      });
      t.series = chart.addSeries(AreaSeries, { lineColor: '#58a6ff', topColor: 'rgba(88,166,255,.35)', bottomColor: 'rgba(88,166,255,0)', lineWidth: 2, priceLineVisible: false });
      t.series.priceScale().applyOptions({ scaleMargins: { top: 0.2, bottom: 0.05 } });
    }
  }

  private async poll(): Promise<void> {
    try {
      const r = await this.api.call<StatsAnswer>({ label: 'node stats', path: '/console/api/stats', poll: true });
      this.requestEl.innerHTML = requestLine(r.call);
      this.plot(r.data);
      await this.showCluster();
    } catch (err) {
      this.requestEl.innerHTML = `<span class="error">${esc((err as Error).message)}</span>`;
    }
    if (this.running) this.timer = setTimeout(() => void this.poll(), POLL_MS);
  }

  private plot(cur: StatsAnswer): void {
    const second = Math.floor(cur.time_ms / 1000);
    if (second <= this.lastSecond) return; // the chart needs strictly increasing times
    this.lastSecond = second;
    for (const t of this.tiles) {
      const v = t.value(cur, this.prev);
      if (v === null) continue;
      t.series!.update({ time: second as UTCTimestamp, value: v });
      if (t.series!.data().length > HISTORY) t.series!.setData(t.series!.data().slice(-HISTORY));
      t.valueEl!.textContent = t.format(v);
      t.valueEl!.dataset.value = String(v);
    }
    this.prev = cur;
    this.statsEl.dataset.series = String(cur.engine.seriesCount ?? 0);
    this.statsEl.dataset.samples = String(Number(this.statsEl.dataset.samples ?? 0) + 1);
  }

  private async showCluster(): Promise<void> {
    const el = this.clusterEl;
    if (this.standaloneAt && Date.now() - this.standaloneAt < STANDALONE_RECHECK_MS) return;
    try {
      const ring = await this.api.call<unknown>({ label: 'cluster ring', path: RING_PATH, poll: true, noPrompt: true });
      const handoff = await this.api.call<unknown>({ label: 'cluster handoff', path: HANDOFF_PATH, poll: true, noPrompt: true }).catch(() => null);
      el.innerHTML = renderCluster(readCluster(ring.data, handoff?.data));
      el.dataset.mode = 'cluster';
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      el.dataset.mode = err.status === 404 ? 'standalone' : 'unknown';
      if (err.status === 404) this.standaloneAt = Date.now();
      el.innerHTML =
        err.status === 404
          ? '<p><span class="badge dim">standalone</span> This node is not part of a cluster.</p>'
          : `<p><span class="badge bad">${err.status}</span> cluster state needs a token with the admin scope: ${esc(err.message)}</p>`;
    }
  }
}

function renderCluster(c: ClusterView): string {
  const rows = c.nodes
    .map((n) => {
      const badge = n.healthy === null ? '<span class="badge dim">?</span>' : n.healthy ? '<span class="badge ok">healthy</span>' : '<span class="badge bad">down</span>';
      const moving = n.incoming || n.outgoing ? `${n.incoming} in / ${n.outgoing} out` : '';
      const self = n.id === c.self ? ' <span class="hint">(this node)</span>' : '';
      return (
        `<tr data-node="${esc(n.id)}" data-healthy="${n.healthy}" data-vnodes="${n.vnodes}"><td>${esc(n.id)}${self}</td><td>${esc(n.address ?? '')}</td>` +
        `<td>${badge}</td><td>${n.vnodes}</td><td>${n.primaries}</td><td>${moving}</td></tr>`
      );
    })
    .join('');
  const moved = c.jobs.reduce((a, j) => a + j.bytes, 0);
  const handoff =
    c.pending.length === 0 && c.jobs.length === 0
      ? '<p class="hint" data-handoff="none">no handoff in progress</p>'
      : `<p data-handoff="${c.pending.length}">handoff: ${c.pending.length} vnode move${c.pending.length === 1 ? '' : 's'} pending in this epoch` +
        (c.progress === null ? '' : ` · this node's copies ${progressBar(c.progress)} (${c.jobs.filter((j) => j.state === 'done').length}/${c.jobs.length} vnodes, ${bytes(moved)})`) +
        '</p>';
  return (
    `<p>ring epoch <b data-epoch>${c.epoch ?? '?'}</b> · ${c.vnodes ?? '?'} vnodes · replication factor ${c.replicationFactor ?? '?'} · ${c.nodes.length} nodes</p>` +
    handoff +
    `<table class="rows cluster-nodes"><thead><tr><th>node</th><th>address</th><th>health</th><th>vnodes</th><th>primary</th><th>moving</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

function progressBar(fraction: number): string {
  const pct = Math.max(0, Math.min(100, fraction * 100));
  return `<span class="bar" data-progress="${pct.toFixed(0)}"><span style="width:${pct.toFixed(1)}%"></span></span> ${pct.toFixed(0)} %`;
}
