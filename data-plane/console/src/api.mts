/**
 * The console's HTTP client: same-origin calls to the data API, each logged in the query panel.
 * When the node answers 401 (auth on, no or a bad token) or 403 (token lacks the scope), the
 * user is asked for a token, which is kept in sessionStorage only (gone when the tab closes)
 * and sent as `Authorization: Bearer`; then the call is retried.
 */
import type { LoggedCall, QueryLog } from './query-log.mts';

const TOKEN_KEY = 'stock-tsdb.token';

/** What to call. */
export interface ApiRequest {
  label: string;
  method?: 'GET' | 'POST';
  path: string;
  /** query parameters in order; undefined values are left out */
  query?: Record<string, string | number | undefined>;
  /** JSON body (POST) */
  body?: unknown;
  /** read the answer as text instead of JSON (CSV) */
  text?: boolean;
  /** a polling call: updates its line in the query panel instead of adding one */
  poll?: boolean;
  /** on 401/403 fail with ApiError instead of asking for a token (optional admin endpoints) */
  noPrompt?: boolean;
}

/** An answer, with the logged call. */
export interface ApiAnswer<T> {
  data: T;
  call: LoggedCall;
}

/** A non-2xx answer; `code` and `message` come from the API's JSON error body when present. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly call: LoggedCall | null,
  ) {
    super(message);
  }
}

/** Asks the user for a token (resolves with it) after an auth failure described by `reason`. */
export type TokenPrompt = (reason: string) => Promise<string>;

/** Same-origin API client; one per page. */
export class Api {
  private prompting: Promise<string> | null = null;
  /** every logged call goes here too (views show their own last request) */
  onCall: ((c: LoggedCall) => void) | null = null;

  constructor(
    private readonly log: QueryLog,
    private readonly prompt: TokenPrompt,
  ) {}

  /** The session's token, if any. */
  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  /** Forgets the token (sign out). */
  forgetToken(): void {
    sessionStorage.removeItem(TOKEN_KEY);
  }

  /**
   * Sends `r`; on 401/403 asks for a token and tries again (until a call succeeds or fails
   * otherwise). @throws ApiError for other non-2xx answers, TypeError when the node is unreachable
   */
  async call<T>(r: ApiRequest): Promise<ApiAnswer<T>> {
    for (;;) {
      const token = this.token;
      const { res, call, text, json } = await this.send(r, token);
      if (res.ok) return { data: (r.text ? text : json) as T, call };
      const err = errorOf(res.status, text, call);
      if ((res.status !== 401 && res.status !== 403) || r.noPrompt) throw err;
      await this.askToken(token, err.message);
    }
  }

  private async send(r: ApiRequest, token: string | null): Promise<{ res: Response; call: LoggedCall; text: string; json: unknown }> {
    const url = new URL(r.path, location.origin);
    for (const [k, v] of Object.entries(r.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const method = r.method ?? 'GET';
    const body = r.body === undefined ? undefined : JSON.stringify(r.body);
    const headers: Record<string, string> = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body) headers['Content-Type'] = 'application/json';
    const t0 = performance.now();
    const res = await fetch(url, { method, headers, body, cache: 'no-store' });
    const text = await res.text();
    const clientMs = performance.now() - t0;
    const json = r.text || !res.ok ? undefined : parseJson(text);
    const call: LoggedCall = {
      label: r.label, method, url: url.href, body, status: res.status, clientMs, withToken: token !== null,
      serverMs: serverTiming(res.headers.get('server-timing')), bytes: new TextEncoder().encode(text).length,
      rows: !res.ok ? null : r.text ? csvRows(text) : rowsOf(json),
    };
    this.log.add(call, r.poll);
    this.onCall?.(call);
    return { res, call, text, json };
  }

  /** One prompt at a time: concurrent calls that fail on auth wait for the same answer. */
  private async askToken(used: string | null, reason: string): Promise<void> {
    if (this.token !== used) return; // another call already got a new token
    this.prompting ??= this.prompt(reason).finally(() => (this.prompting = null));
    sessionStorage.setItem(TOKEN_KEY, await this.prompting);
  }
}

/** The `total` duration of a Server-Timing header (ms), or null. */
export function serverTiming(header: string | null): number | null {
  const m = header ? /(?:^|,)\s*total\s*;[^,]*dur=([0-9.]+)/.exec(header) : null;
  return m ? Number(m[1]) : null;
}

function errorOf(status: number, text: string, call: LoggedCall): ApiError {
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    if (e?.message) return new ApiError(status, e.code ?? 'error', e.message, call);
  } catch {
    // not JSON: use the status line
  }
  return new ApiError(status, 'http_' + status, `HTTP ${status}: ${text.slice(0, 200)}`, call);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Data lines of a CSV answer (all but the header). */
function csvRows(text: string): number {
  return Math.max(0, text.split('\n').filter(Boolean).length - 1);
}

/** Rows in a JSON answer: `rows`, the sum over `results`, or `symbols`; null for other shapes. */
function rowsOf(json: unknown): number | null {
  const v = (json ?? {}) as { rows?: unknown[]; results?: { rows: unknown[] }[]; symbols?: unknown[] };
  if (Array.isArray(v.rows)) return v.rows.length;
  if (Array.isArray(v.results)) return v.results.reduce((n, r) => n + (r.rows?.length ?? 0), 0);
  if (Array.isArray(v.symbols)) return v.symbols.length;
  return null;
}
