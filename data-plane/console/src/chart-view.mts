/**
 * The main chart: candles and volume bars of one symbol at one interval and time zone
 * (lightweight-charts). It first loads the window of WINDOW_CANDLES intervals that ends at the
 * symbol's latest row, then fetches the window before whenever the user pans or zooms close to
 * the left edge, until empty windows show the start of the data.
 *
 * What the chart holds is mirrored on its element as data attributes (candle count, first and
 * last time, last close, state), which the legend shows and the e2e test reads.
 */
import { CandlestickSeries, HistogramSeries, createChart, type IChartApi, type ISeriesApi, type MouseEventParams, type Time, type UTCTimestamp } from 'lightweight-charts';
import type { Api } from './api.mts';
import { esc, num } from './dom.mts';
import { requestLine } from './query-log.mts';
import { chartSeries, prependRows, type QueryAnswer } from './rows.mts';
import { formatTime, intervalSeconds, tickMarkFormatter } from './time.mts';

/** Candles per fetched window. */
const WINDOW_CANDLES = 1000;
/** Fetch older data when fewer than this many candles are left of the visible range. */
const EDGE_CANDLES = 20;
/** Empty windows in a row (each 8× wider than the last) before the start of data is assumed. */
const EMPTY_TRIES = 3;
/** The chart library's default width of one candle slot, px. */
const DEFAULT_BAR_SPACING = 6;

/** What the chart shows. */
export interface ChartQuery {
  symbol: string;
  interval: string;
  /** `tz` sent to the API; undefined = the symbol's exchange default */
  tz: string | undefined;
  /** the zone buckets align to (tz, or the exchange default): labels are drawn in it */
  zone: string;
}

/** The rows the chart holds and the range they answer (for the table and the CSV download). */
export interface LoadedRange {
  query: ChartQuery;
  columns: string[];
  rows: (number | null)[][];
  /** seconds; the union of every fetched window, start-inclusive, end-exclusive */
  start: number;
  end: number;
}

const UP = '#26a69a';
const DOWN = '#ef5350';

/** One chart on the page. */
export class CandleChart {
  private readonly chart: IChartApi;
  private readonly candles: ISeriesApi<'Candlestick'>;
  private readonly volume: ISeriesApi<'Histogram'>;
  private loaded: LoadedRange | null = null;
  /** bumped by every new query: answers for an older one are dropped */
  private generation = 0;
  private loadingOlder = false;
  private exhausted = false;
  /** called whenever the loaded rows change */
  onChange: ((r: LoadedRange | null) => void) | null = null;

  constructor(
    private readonly el: HTMLElement,
    private readonly legend: HTMLElement,
    private readonly requestEl: HTMLElement,
    private readonly api: Api,
  ) {
    this.chart = createChart(el, {
      autoSize: true,
      layout: { background: { color: '#0f1419' }, textColor: '#c9d1d9', fontFamily: 'DejaVu Sans, sans-serif' },
      grid: { vertLines: { color: '#1b2129' }, horzLines: { color: '#1b2129' } },
      rightPriceScale: { borderColor: '#2a313c' },
      // maxBarSpacing: a few candles stay candle-shaped when fitted instead of filling the width.
      timeScale: { borderColor: '#2a313c', timeVisible: true, secondsVisible: false, maxBarSpacing: 30 },
    });
    this.candles = this.chart.addSeries(CandlestickSeries, { upColor: UP, downColor: DOWN, wickUpColor: UP, wickDownColor: DOWN, borderVisible: false });
    this.candles.priceScale().applyOptions({ scaleMargins: { top: 0.06, bottom: 0.26 } });
    this.volume = this.chart.addSeries(HistogramSeries, { priceFormat: { type: 'volume' }, priceScaleId: 'volume', lastValueVisible: false, priceLineVisible: false });
    this.volume.priceScale().applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });
    this.chart.timeScale().subscribeVisibleLogicalRangeChange((range) => {
      if (range && range.from < EDGE_CANDLES && this.loaded && !this.exhausted) void this.loadOlder();
    });
    this.chart.subscribeCrosshairMove((p) => this.showLegend(p));
  }

  /** The loaded rows (null before the first answer). */
  get range(): LoadedRange | null {
    return this.loaded;
  }

  /** Shows `q` from scratch: the window ending at the symbol's latest row. */
  async show(q: ChartQuery): Promise<void> {
    const gen = ++this.generation;
    this.loaded = null;
    this.exhausted = false;
    this.loadingOlder = false;
    this.candles.setData([]);
    this.volume.setData([]);
    // A new query starts at the default zoom (a fit of the previous one may have widened the bars).
    this.chart.applyOptions({
      localization: { timeFormatter: (t: Time) => formatTime(t as number, q.zone) },
      timeScale: { tickMarkFormatter: tickMarkFormatter(q.zone), barSpacing: DEFAULT_BAR_SPACING },
    });
    this.setState('loading', q);
    try {
      const latest = await this.api.call<{ results: QueryAnswer[] }>({ label: 'chart: latest row', path: '/v1/latest', query: { symbols: q.symbol } });
      if (gen !== this.generation) return;
      const lastRow = latest.data.results[0]?.rows[0];
      if (!lastRow) {
        this.loaded = { query: q, columns: [], rows: [], start: 0, end: 0 };
        this.setState('empty', q);
        this.onChange?.(this.loaded);
        return;
      }
      const end = Math.floor(lastRow[0]!) + 1;
      const start = Math.max(0, end - WINDOW_CANDLES * intervalSeconds(q.interval));
      const a = await this.fetchWindow(q, start, end);
      if (gen !== this.generation) return;
      this.loaded = { query: q, columns: a.columns, rows: a.rows, start, end };
      this.draw(false);
      this.chart.timeScale().scrollToRealTime();
      this.setState('ready', q);
    } catch (err) {
      if (gen === this.generation) this.fail(err, q);
    }
  }

  /** Fetches the window before the loaded range and prepends it (no-op while one is loading). */
  async loadOlder(): Promise<void> {
    const l = this.loaded;
    if (!l || this.loadingOlder || this.exhausted || l.start <= 0) return;
    const gen = this.generation;
    this.loadingOlder = true;
    this.setState('loading-older', l.query);
    try {
      let span = WINDOW_CANDLES * intervalSeconds(l.query.interval);
      for (let tries = 0; ; tries++) {
        const end = l.start;
        const start = Math.max(0, end - span);
        const a = await this.fetchWindow(l.query, start, end);
        if (gen !== this.generation) return;
        if (a.columns.length > 0 && l.columns.length > 0 && a.columns.join() !== l.columns.join()) throw new Error('the columns changed; reload the chart');
        l.rows = prependRows(l.columns.length ? l.columns : a.columns, a.rows, l.rows);
        if (l.columns.length === 0) l.columns = a.columns;
        l.start = start;
        if (a.rows.length > 0) break;
        if (tries + 1 >= EMPTY_TRIES || start === 0) {
          this.exhausted = true;
          break;
        }
        span *= 8;
      }
      this.draw(true);
      this.setState('ready', l.query);
    } catch (err) {
      if (gen === this.generation) this.fail(err, l.query);
    } finally {
      if (gen === this.generation) this.loadingOlder = false;
    }
  }

  /** Shows every loaded candle. */
  fit(): void {
    this.chart.timeScale().fitContent();
  }

  private async fetchWindow(q: ChartQuery, start: number, end: number): Promise<QueryAnswer> {
    const r = await this.api.call<QueryAnswer>({
      label: 'chart',
      path: '/v1/query',
      query: { symbol: q.symbol, start, end, interval: q.interval, tz: q.tz },
    });
    this.requestEl.innerHTML = requestLine(r.call);
    return r.data;
  }

  /** Puts the loaded rows on the chart; `keepView` keeps the visible candles where they are. */
  private draw(keepView: boolean): void {
    const l = this.loaded!;
    const before = this.candles.data().length;
    const view = keepView ? this.chart.timeScale().getVisibleLogicalRange() : null;
    const s = l.rows.length ? chartSeries(l.columns, l.rows) : { candles: [], volume: null };
    this.candles.setData(s.candles.map((c) => ({ ...c, time: c.time as UTCTimestamp })));
    this.volume.setData((s.volume ?? []).map((v) => ({ time: v.time as UTCTimestamp, value: v.value, color: v.up ? 'rgba(38,166,154,.45)' : 'rgba(239,83,80,.45)' })));
    const added = s.candles.length - before;
    if (view && added > 0) this.chart.timeScale().setVisibleLogicalRange({ from: view.from + added, to: view.to + added });
    // All the data is loaded and narrower than the view: show it whole rather than squeezed right.
    const shown = this.chart.timeScale().getVisibleLogicalRange();
    if (this.exhausted && shown && shown.from < 0) this.chart.timeScale().fitContent();
    this.onChange?.(l);
  }

  private setState(state: string, q: ChartQuery): void {
    const data = this.candles.data() as { time: Time; close?: number }[];
    const last = data[data.length - 1];
    const d = this.el.dataset;
    d.state = state;
    d.symbol = q.symbol;
    d.interval = q.interval;
    d.tz = q.zone;
    d.candles = String(data.length);
    d.exhausted = String(this.exhausted);
    d.firstTime = data.length ? new Date((data[0]!.time as number) * 1000).toISOString() : '';
    d.lastTime = last ? new Date((last.time as number) * 1000).toISOString() : '';
    d.lastClose = last?.close === undefined ? '' : String(last.close);
    this.showLegend(null);
  }

  private fail(err: unknown, q: ChartQuery): void {
    this.setState('error', q);
    this.legend.innerHTML = `<span class="error">${esc((err as Error).message)}</span>`;
  }

  /** Legend: the hovered candle, or the last one. */
  private showLegend(p: MouseEventParams | null): void {
    const d = this.el.dataset;
    const hovered = p?.seriesData.get(this.candles) as { time: Time; open: number; high: number; low: number; close: number } | undefined;
    const data = this.candles.data() as { time: Time; open: number; high: number; low: number; close: number }[];
    const c = hovered ?? data[data.length - 1];
    const head = `<b>${esc(d.symbol ?? '')}</b> ${esc(d.interval ?? '')} · ${esc(d.tz ?? '')}`;
    if (!c) {
      this.legend.innerHTML = `${head} · ${d.state === 'loading' ? 'loading…' : d.state === 'empty' ? 'no data' : ''}`;
      return;
    }
    const vol = p?.seriesData.get(this.volume) as { value: number } | undefined;
    const lastVol = this.volume.data()[this.volume.data().length - 1] as { value: number } | undefined;
    const cls = c.close >= c.open ? 'up' : 'down';
    const more = d.state === 'loading-older' ? ' · loading older…' : this.exhausted ? ' · start of data' : '';
    this.legend.innerHTML =
      `${head} · <span data-legend-time>${esc(legendTime(c.time as number, d.tz ?? 'UTC', d.interval ?? ''))}</span> ` +
      `<span class="${cls}">O ${num(c.open)} H ${num(c.high)} L ${num(c.low)} C <span data-legend-close>${num(c.close)}</span></span>` +
      ` V ${num((vol ?? (hovered ? undefined : lastVol))?.value)}` +
      `<br><span class="hint"><span data-legend-candles>${d.candles}</span> candles${more}</span>`;
  }
}

/** A candle's time for the legend: the date alone for daily and wider candles. */
function legendTime(t: number, zone: string, interval: string): string {
  const text = formatTime(t, zone);
  return /^\d+[dw]$/.test(interval) ? text.slice(0, 10) : text;
}
