/**
 * The "latest" grid: the newest row of each symbol of the current search (`GET /v1/latest`),
 * refreshed every REFRESH_MS while the view is open; cells that changed flash green or red.
 */
import type { Api } from './api.mts';
import { esc, num } from './dom.mts';
import { requestLine } from './query-log.mts';
import type { QueryAnswer } from './rows.mts';
import { formatTime } from './time.mts';

const REFRESH_MS = 2000;
/** Symbols asked for at most (one URL; the API takes more, a grid is for reading). */
export const MAX_LATEST = 100;
const SHOWN = ['open', 'high', 'low', 'close', 'price', 'volume', 'amount'];

/** The grid and its refresh timer. */
export class LatestView {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private symbols: string[] = [];
  private previous = new Map<string, number | null>();
  private running = false;

  constructor(
    private readonly table: HTMLTableElement,
    private readonly caption: HTMLElement,
    private readonly requestEl: HTMLElement,
    private readonly auto: HTMLInputElement,
    private readonly api: Api,
    private readonly zone: () => string,
  ) {
    auto.addEventListener('change', () => (auto.checked ? this.start() : this.stop()));
  }

  /** The symbols to show (the search result). */
  setSymbols(symbols: string[]): void {
    this.symbols = symbols.slice(0, MAX_LATEST);
    if (this.running) void this.refresh();
  }

  /** Starts refreshing (the view became visible). */
  start(): void {
    this.running = true;
    this.stopTimer();
    void this.refresh();
  }

  /** Stops refreshing (the view was hidden). */
  stop(): void {
    this.running = false;
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async refresh(): Promise<void> {
    this.stopTimer();
    try {
      if (this.symbols.length === 0) {
        this.caption.textContent = 'no symbols: search for a prefix';
        this.table.innerHTML = '';
      } else {
        const r = await this.api.call<{ results: QueryAnswer[] }>({ label: 'latest grid', path: '/v1/latest', query: { symbols: this.symbols.join(',') }, poll: true });
        this.requestEl.innerHTML = requestLine(r.call);
        this.render(r.data.results);
      }
    } catch (err) {
      this.caption.innerHTML = `<span class="error">${esc((err as Error).message)}</span>`;
    }
    if (this.running && this.auto.checked) this.timer = setTimeout(() => void this.refresh(), REFRESH_MS);
  }

  private render(results: QueryAnswer[]): void {
    const zone = this.zone();
    const cols = SHOWN.filter((c) => results.some((r) => r.columns.includes(c)));
    const head = `<tr><th>symbol</th><th>time (${esc(zone)})</th>${cols.map((c) => `<th>${c}</th>`).join('')}</tr>`;
    const body = results
      .map((r) => {
        const row = r.rows[0];
        const cells = cols.map((c) => {
          const i = r.columns.indexOf(c);
          const v = row && i >= 0 ? row[i] ?? null : null;
          const key = `${r.symbol}\0${c}`;
          const before = this.previous.get(key);
          this.previous.set(key, v);
          const flash = before !== undefined && before !== null && v !== null && v !== before ? (v > before ? 'flash-up' : 'flash-down') : '';
          return `<td class="${flash}">${num(v)}</td>`;
        });
        return `<tr data-symbol="${esc(r.symbol)}"><td>${esc(r.symbol)}</td><td>${row ? esc(formatTime(row[0]!, zone, true)) : '–'}</td>${cells.join('')}</tr>`;
      })
      .join('');
    this.table.innerHTML = `<thead>${head}</thead><tbody>${body}</tbody>`;
    this.caption.textContent = `${results.length} symbols · updated ${new Date().toLocaleTimeString()}`;
    this.table.dataset.updated = String(Date.now());
  }
}
