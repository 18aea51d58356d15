import { TsdbClientError } from './client-error.ts';
import type { ClientOptions, ClientPrecision, QueryRange, QueryResult, Row } from './types.ts';

/** Symbols per batch/latest request when a call names more (the server accepts up to 10,000). */
const SYMBOLS_PER_REQUEST = 1000;

/**
 * Connects to a stock-tsdb server's data port (no network traffic until the first call), like
 * the original Lua client's `tsdb.connect("127.0.0.1", 6379)`.
 */
export function connect(host: string, port: number, opts: ClientOptions = {}): TsdbClient {
  return new TsdbClient(host, port, opts);
}

/**
 * Client of the HTTP API (DESIGN §5) with the original Lua client's calls (`write`, `query`,
 * `batch_query`) plus camelCase aliases. Every call throws {@link TsdbClientError}. 429/503
 * answers and connection failures are retried (bounded, honoring Retry-After); this is safe for
 * writes too, since a write is an upsert (same symbol and timestamp → same row).
 * Stateless apart from its options: safe to share.
 */
export class TsdbClient {
  /** e.g. `http://127.0.0.1:6379` */
  readonly baseUrl: string;
  private readonly precision: ClientPrecision;
  private readonly opts: Required<Omit<ClientOptions, 'token' | 'protocol' | 'precision'>> & { token?: string };

  constructor(host: string, port: number, opts: ClientOptions = {}) {
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    this.baseUrl = `${opts.protocol ?? 'http'}://${h}:${port}`;
    this.precision = opts.precision ?? 's';
    this.opts = {
      token: opts.token,
      timeoutMs: opts.timeoutMs ?? 30_000,
      maxRetries: opts.maxRetries ?? 3,
      maxRetryDelayMs: opts.maxRetryDelayMs ?? 10_000,
      batchSize: opts.batchSize ?? 1000,
      fetch: opts.fetch ?? globalThis.fetch.bind(globalThis),
    };
  }

  /**
   * Writes one row or many rows of `symbol` (timestamps in the client's precision). Resolves
   * once the server acknowledged them as durable. Rows beyond `batchSize` go in several
   * requests, each atomic on its own.
   */
  async write(symbol: string, rows: Row | Row[]): Promise<{ written: number }> {
    const list = Array.isArray(rows) ? rows : [rows];
    let written = 0;
    for (let i = 0; i < list.length; i += this.opts.batchSize) {
      const r = await this.request<{ written: number }>('POST', `/v1/write?precision=${this.precision}`, {
        json: { symbol, rows: list.slice(i, i + this.opts.batchSize) },
      });
      written += r.written;
    }
    return { written };
  }

  /** Writes InfluxDB line protocol (`precision` default ns, as InfluxDB). */
  async writeLineProtocol(text: string, opts: { precision?: ClientPrecision } = {}): Promise<void> {
    await this.request('POST', `/write?precision=${opts.precision ?? 'ns'}`, {
      body: text,
      contentType: 'text/plain; charset=utf-8',
      expectEmpty: true,
    });
  }

  /** Snake-case alias of {@link writeLineProtocol}. */
  write_line_protocol(text: string, opts: { precision?: ClientPrecision } = {}): Promise<void> {
    return this.writeLineProtocol(text, opts);
  }

  /** Raw rows, or candles when `range.aggregation` (or `interval`) is given. */
  async query(symbol: string, range: QueryRange): Promise<QueryResult> {
    const q = rangeParams(range, this.precision);
    const params = new URLSearchParams({ symbol, ...q });
    return this.request<QueryResult>('GET', `/v1/query?${params}`);
  }

  /** The same range for several symbols; one answer per symbol, in order. */
  async batchQuery(symbols: string[], range: QueryRange): Promise<QueryResult[]> {
    const q = rangeParams(range, this.precision);
    const body: Record<string, unknown> = { start: Number(q.start), end: Number(q.end), precision: q.precision };
    if (q.interval) body.interval = q.interval;
    if (q.fields) body.fields = q.fields.split(',');
    if (q.tz) body.tz = q.tz;
    if (q.fill) body.fill = q.fill;
    const out: QueryResult[] = [];
    for (let i = 0; i < symbols.length; i += SYMBOLS_PER_REQUEST) {
      const r = await this.request<{ results: QueryResult[] }>('POST', '/v1/query/batch', {
        json: { ...body, symbols: symbols.slice(i, i + SYMBOLS_PER_REQUEST) },
      });
      out.push(...r.results);
    }
    return out;
  }

  /** Snake-case alias of {@link batchQuery} (the original Lua client's `batch_query`). */
  batch_query(symbols: string[], range: QueryRange): Promise<QueryResult[]> {
    return this.batchQuery(symbols, range);
  }

  /** The newest row of each symbol (an empty `rows` where a symbol has none). */
  async latest(symbols: string | string[]): Promise<QueryResult[]> {
    const list = typeof symbols === 'string' ? [symbols] : symbols;
    const out: QueryResult[] = [];
    for (let i = 0; i < list.length; i += SYMBOLS_PER_REQUEST) {
      const params = new URLSearchParams({ symbols: list.slice(i, i + SYMBOLS_PER_REQUEST).join(','), precision: this.precision });
      out.push(...(await this.request<{ results: QueryResult[] }>('GET', `/v1/latest?${params}`)).results);
    }
    return out;
  }

  /** Known symbols starting with `prefix`, sorted. */
  async symbols(prefix = ''): Promise<string[]> {
    return (await this.request<{ symbols: string[] }>('GET', `/v1/symbols?${new URLSearchParams({ prefix })}`)).symbols;
  }

  /** True when the server answers `/ping`. Never throws. */
  async ping(): Promise<boolean> {
    try {
      await this.request('GET', '/ping', { expectEmpty: true, retries: 0 });
      return true;
    } catch {
      return false;
    }
  }

  /** Nothing to release (HTTP keep-alive is pooled by fetch); kept for the Lua client's shape. */
  close(): void {}

  private async request<T>(
    method: string,
    path: string,
    o: { json?: unknown; body?: string; contentType?: string; expectEmpty?: boolean; retries?: number } = {},
  ): Promise<T> {
    const body = o.json !== undefined ? JSON.stringify(o.json) : o.body;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = o.json !== undefined ? 'application/json' : (o.contentType ?? 'text/plain');
    if (this.opts.token) headers.Authorization = `Bearer ${this.opts.token}`;
    const retries = o.retries ?? this.opts.maxRetries;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.opts.fetch(this.baseUrl + path, { method, headers, body, signal: AbortSignal.timeout(this.opts.timeoutMs) });
      } catch (err) {
        const timeout = (err as Error).name === 'TimeoutError';
        // A timed-out request may still be running on the server: retrying would pile on.
        if (!timeout && attempt < retries) {
          await sleep(this.backoff(attempt, undefined));
          continue;
        }
        throw new TsdbClientError(0, timeout ? 'timeout' : 'network_error', `${method} ${path}: ${(err as Error).message}`, undefined, { cause: err });
      }
      if (res.ok) {
        if (o.expectEmpty || res.status === 204) return undefined as T;
        return (await res.json()) as T;
      }
      const err = await errorOf(res, method, path);
      if ((res.status === 429 || res.status === 503) && attempt < retries) {
        await sleep(this.backoff(attempt, err.retryAfterSec));
        continue;
      }
      throw err;
    }
  }

  /** Retry-After when given (capped), else exponential backoff from 100 ms with jitter. */
  private backoff(attempt: number, retryAfterSec: number | undefined): number {
    const ms = retryAfterSec !== undefined ? retryAfterSec * 1000 : 100 * 2 ** attempt * (0.5 + Math.random());
    return Math.min(ms, this.opts.maxRetryDelayMs);
  }
}

/** Query parameters of a range in the wire spelling; times default to the client's precision. */
function rangeParams(r: QueryRange, precision: ClientPrecision): Record<string, string> {
  const start = r.start_time ?? r.startTime;
  const end = r.end_time ?? r.endTime;
  if (start === undefined || end === undefined) {
    throw new TsdbClientError(0, 'invalid_argument', 'range needs start_time and end_time (or startTime/endTime)');
  }
  const out: Record<string, string> = { start: String(start), end: String(end), precision: r.precision ?? precision };
  const interval = r.aggregation ?? r.interval;
  if (interval) out.interval = interval;
  if (r.fields?.length) out.fields = r.fields.join(',');
  if (r.tz) out.tz = r.tz;
  if (r.fill) out.fill = r.fill;
  return out;
}

async function errorOf(res: Response, method: string, path: string): Promise<TsdbClientError> {
  const retryAfter = res.headers.get('retry-after');
  const retryAfterSec = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  const text = await res.text().catch(() => '');
  let code = `http_${res.status}`;
  let message = text.slice(0, 500) || res.statusText;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } | string; code?: string; message?: string };
    if (body.error && typeof body.error === 'object') {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
    } else if (typeof body.error === 'string') {
      message = body.error;
    } else if (body.message) {
      code = body.code ?? code;
      message = body.message;
    }
  } catch {
    // not JSON: keep the text
  }
  return new TsdbClientError(res.status, code, `${method} ${path.split('?')[0]}: ${res.status} ${message}`, retryAfterSec);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
