/**
 * The table view: the rows the chart holds, newest first, in the chart's time zone, and a CSV
 * download that is the API's own CSV answer (`format=csv`) for the chart's whole loaded range.
 */
import type { Api } from './api.mts';
import type { LoadedRange } from './chart-view.mts';
import { esc, num } from './dom.mts';
import { requestLine } from './query-log.mts';
import { formatTime } from './time.mts';

/** Rows drawn at most (the CSV always has all of them). */
const MAX_TABLE_ROWS = 5000;

/** Table of the chart's rows plus the CSV button. */
export class TableView {
  private range: LoadedRange | null = null;

  constructor(
    private readonly table: HTMLTableElement,
    private readonly caption: HTMLElement,
    private readonly requestEl: HTMLElement,
    private readonly api: Api,
  ) {}

  /** Shows `r` (called whenever the chart's rows change). */
  update(r: LoadedRange | null): void {
    this.range = r;
    if (!r || r.columns.length === 0) {
      this.table.innerHTML = '';
      this.table.dataset.rows = '0';
      this.caption.textContent = r ? `${r.query.symbol}: no data` : 'pick a symbol';
      return;
    }
    const zone = r.query.zone;
    const shown = r.rows.slice(-MAX_TABLE_ROWS).reverse();
    const head = `<tr>${r.columns.map((c, i) => `<th>${esc(i === 0 ? `time (${zone})` : c)}</th>`).join('')}</tr>`;
    const body = shown.map((row) => `<tr>${row.map((v, i) => `<td>${i === 0 ? esc(formatTime(v!, zone, true)) : num(v)}</td>`).join('')}</tr>`).join('');
    this.table.innerHTML = `<thead>${head}</thead><tbody>${body}</tbody>`;
    this.table.dataset.rows = String(r.rows.length);
    const more = r.rows.length > shown.length ? ` (newest ${shown.length} shown)` : '';
    this.caption.textContent = `${r.query.symbol} · ${r.query.interval} · ${zone} · ${r.rows.length} rows${more} · ${formatTime(r.start, zone)} – ${formatTime(r.end, zone)}`;
  }

  /** Downloads the API's CSV answer for the loaded range. */
  async downloadCsv(): Promise<void> {
    const r = this.range;
    if (!r) return;
    const q = r.query;
    const csv = await this.api.call<string>({
      label: 'table: CSV',
      path: '/v1/query',
      query: { symbol: q.symbol, start: r.start, end: r.end, interval: q.interval, tz: q.tz, format: 'csv' },
      text: true,
    });
    this.requestEl.innerHTML = requestLine(csv.call);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([csv.data], { type: 'text/csv' }));
    a.download = `${q.symbol}_${q.interval}_${r.start}-${r.end}.csv`;
    a.dataset.url = csv.call.url;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }
}
