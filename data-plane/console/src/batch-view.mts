/**
 * The batch view: small multiples (up to 16 symbols) from one `POST /v1/query/batch`, each the
 * last BATCH_CANDLES candles before the newest row among the symbols.
 */
import { CandlestickSeries, createChart, type IChartApi, type UTCTimestamp } from 'lightweight-charts';
import type { Api } from './api.mts';
import { esc, num } from './dom.mts';
import { requestLine } from './query-log.mts';
import { chartSeries, type QueryAnswer } from './rows.mts';
import { formatTime, intervalSeconds, tickMarkFormatter } from './time.mts';

/** Most symbols in one batch view. */
export const MAX_BATCH = 16;
const BATCH_CANDLES = 120;

/** Renders the small multiples into a grid element. */
export class BatchView {
  private charts: IChartApi[] = [];
  private generation = 0;

  constructor(
    private readonly grid: HTMLElement,
    private readonly requestEl: HTMLElement,
    private readonly api: Api,
  ) {}

  /** Shows `symbols` (at most MAX_BATCH are used) at `interval`; `tz` undefined = exchange default. */
  async show(symbols: string[], opts: { interval: string; tz: string | undefined; zone: string }): Promise<void> {
    const gen = ++this.generation;
    const list = [...new Set(symbols)].slice(0, MAX_BATCH);
    this.clear();
    this.grid.dataset.state = 'loading';
    if (list.length === 0) {
      this.grid.innerHTML = '<p class="hint">enter symbols, or take them from the search</p>';
      this.grid.dataset.state = 'empty';
      return;
    }
    try {
      const latest = await this.api.call<{ results: QueryAnswer[] }>({ label: 'batch: latest rows', path: '/v1/latest', query: { symbols: list.join(',') } });
      const newest = Math.max(0, ...latest.data.results.map((r) => r.rows[0]?.[0] ?? 0));
      const end = Math.floor(newest) + 1;
      const start = Math.max(0, end - BATCH_CANDLES * intervalSeconds(opts.interval));
      const body = { symbols: list, start, end, interval: opts.interval, ...(opts.tz ? { tz: opts.tz } : {}) };
      const r = await this.api.call<{ results: QueryAnswer[] }>({ label: 'batch', method: 'POST', path: '/v1/query/batch', body });
      if (gen !== this.generation) return;
      this.requestEl.innerHTML = requestLine(r.call);
      for (const a of r.data.results) this.addMultiple(a, opts.zone);
      this.grid.dataset.state = 'ready';
      this.grid.dataset.count = String(r.data.results.length);
    } catch (err) {
      if (gen !== this.generation) return;
      this.grid.innerHTML = `<p class="error">${esc((err as Error).message)}</p>`;
      this.grid.dataset.state = 'error';
    }
  }

  private addMultiple(a: QueryAnswer, zone: string): void {
    const box = document.createElement('div');
    box.className = 'multiple';
    const s = a.rows.length ? chartSeries(a.columns, a.rows) : { candles: [] };
    const last = s.candles[s.candles.length - 1];
    const first = s.candles[0];
    const change = last && first ? ((last.close - first.open) / first.open) * 100 : null;
    box.dataset.symbol = a.symbol;
    box.dataset.candles = String(s.candles.length);
    box.dataset.lastClose = last ? String(last.close) : '';
    const cls = change === null ? '' : change >= 0 ? 'up' : 'down';
    box.innerHTML =
      `<header><b>${esc(a.symbol)}</b><span class="legend-inline ${cls}">${last ? `${num(last.close)} ${change! >= 0 ? '+' : ''}${change!.toFixed(2)}%` : 'no data'}</span></header>` +
      `<div class="small-chart"></div><div class="hint">${s.candles.length} candles${last ? ` · last ${esc(formatTime(last.time, zone))}` : ''}</div>`;
    this.grid.append(box);
    const chart = createChart(box.querySelector<HTMLElement>('.small-chart')!, {
      autoSize: true,
      layout: { background: { color: '#0f1419' }, textColor: '#8b949e', fontSize: 10, attributionLogo: false },
      grid: { vertLines: { visible: false }, horzLines: { color: '#1b2129' } },
      timeScale: { timeVisible: true, borderVisible: false, tickMarkFormatter: tickMarkFormatter(zone) },
      rightPriceScale: { borderVisible: false },
      handleScroll: false,
      handleScale: false,
    });
    const series = chart.addSeries(CandlestickSeries, { upColor: '#26a69a', downColor: '#ef5350', wickUpColor: '#26a69a', wickDownColor: '#ef5350', borderVisible: false, priceLineVisible: false });
    series.setData(s.candles.map((c) => ({ ...c, time: c.time as UTCTimestamp })));
    chart.timeScale().fitContent();
    this.charts.push(chart);
  }

  private clear(): void {
    for (const c of this.charts) c.remove();
    this.charts = [];
    this.grid.innerHTML = '';
  }
}
