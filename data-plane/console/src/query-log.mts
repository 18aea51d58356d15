/**
 * The query panel: every HTTP request the page makes, newest first, as the exact method, URL and
 * body (so users learn the API), with status, rows, size, the server's timing (Server-Timing
 * header) and the time the browser measured. Polling requests update one line each instead of
 * filling the list.
 */
import { bytes, esc } from './dom.mts';

/** One finished request. */
export interface LoggedCall {
  /** what asked for it, e.g. "chart", "latest grid" */
  label: string;
  method: string;
  /** absolute URL */
  url: string;
  body?: string;
  status: number;
  rows: number | null;
  bytes: number;
  /** from `Server-Timing: total;dur=…`, null when the route sends none */
  serverMs: number | null;
  clientMs: number;
  /** true when auth is on (the curl line then shows a token placeholder) */
  withToken: boolean;
}

const MAX_ENTRIES = 80;

/** Renders the log into an `<ol>`; `poll` entries replace the previous one with the same label. */
export class QueryLog {
  private readonly entries: (LoggedCall & { count: number; at: Date })[] = [];

  constructor(private readonly list: HTMLElement) {}

  /** Adds a call (or, with `poll`, updates the last call of the same label). */
  add(call: LoggedCall, poll = false): void {
    const prev = poll ? this.entries.findIndex((e) => e.label === call.label) : -1;
    let count = 1;
    if (prev >= 0) count = this.entries.splice(prev, 1)[0]!.count + 1;
    this.entries.unshift({ ...call, count, at: new Date() });
    if (this.entries.length > MAX_ENTRIES) this.entries.length = MAX_ENTRIES;
    this.render();
  }

  private render(): void {
    this.list.innerHTML = this.entries
      .map((e) => {
        const rows = rowsText(e.rows);
        const server = e.serverMs === null ? 'server –' : `server ${e.serverMs.toFixed(1)} ms`;
        const times = e.count > 1 ? ` · ×${e.count}` : '';
        return (
          `<li data-label="${esc(e.label)}" data-url="${esc(e.url)}" title="${esc(curlOf(e))}">` +
          `<span class="t">${e.at.toLocaleTimeString()}</span><span class="t">${esc(e.label)}</span>` +
          `<span class="url"><b>${e.method}</b> ${esc(e.url)}${e.body ? ` <span class="t">${esc(e.body)}</span>` : ''}</span>` +
          `<span class="s${String(e.status)[0]}">${e.status}</span>` +
          `<span class="t">${server} · browser ${e.clientMs.toFixed(1)} ms${rows} · ${bytes(e.bytes)}${times}</span></li>`
        );
      })
      .join('');
  }
}

/** The call as a curl command line (the token as a shell variable, never its value). */
export function curlOf(c: Pick<LoggedCall, 'method' | 'url' | 'body' | 'withToken'>): string {
  const auth = c.withToken ? ` -H "Authorization: Bearer $STOCK_TSDB_TOKEN"` : '';
  const body = c.body ? ` -H 'Content-Type: application/json' -d '${c.body}'` : '';
  return `curl -s${c.method === 'GET' ? '' : ` -X ${c.method}`}${auth}${body} '${c.url}'`;
}

/** One line "GET /v1/query?… · server 1.2 ms · browser 3.4 ms · 60 rows" for a view's footer. */
export function requestLine(c: LoggedCall): string {
  const server = c.serverMs === null ? '' : ` · server ${c.serverMs.toFixed(1)} ms`;
  const rows = rowsText(c.rows);
  const body = c.body ? ` ${esc(c.body)}` : '';
  return `<span class="method">${c.method}</span> <span class="mono" data-url>${esc(c.url)}</span>${body}${server} · browser ${c.clientMs.toFixed(1)} ms${rows}`;
}

function rowsText(rows: number | null): string {
  return rows === null ? '' : ` · ${rows} row${rows === 1 ? '' : 's'}`;
}
