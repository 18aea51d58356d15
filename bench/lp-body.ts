/**
 * Request bodies from columnar bars: InfluxDB line protocol and our JSON write format, cut into
 * requests of `rowsPerRequest` rows in the columns' (time-major) order. Built before any timing
 * so the load generator only sends ready Buffers.
 *
 * LP line: `bars,symbol=stock.SH.600519 open=12.34,high=12.35,low=12.30,close=12.31,volume=1200i 1704159000000000000`
 * JSON row: `{"symbol":"stock.SH.600519","timestamp":1704159000,"open":12.34,…,"volume":1200}`
 */
import type { BarColumns } from './gen-bars.ts';

/** Timestamp precision of a body, as in InfluxDB's `precision` parameter. */
export type Precision = 's' | 'ms' | 'us' | 'ns';

/** A ready request body and how many rows it carries. */
export interface Body {
  readonly bytes: Buffer;
  readonly rows: number;
}

export interface BodyOptions {
  rowsPerRequest: number;
  /** LP: `precision` of the timestamps (default ns); JSON always uses seconds. */
  precision?: Precision;
  /** LP measurement name (default `bars`). */
  measurement?: string;
}

const SUFFIX: Record<Precision, string> = { s: '', ms: '000', us: '000000', ns: '000000000' };

/** A 2-decimal price as text without float formatting noise (`12.3` → `12.30`). */
export function formatPrice(p: number): string {
  const c = Math.round(p * 100);
  const frac = c % 100;
  return `${(c - frac) / 100}.${frac < 10 ? '0' : ''}${frac}`;
}

/** Line-protocol bodies, one per `rowsPerRequest` rows. */
export function lineProtocolBodies(cols: BarColumns, opts: BodyOptions): Body[] {
  const suffix = SUFFIX[opts.precision ?? 'ns'];
  const prefixes = cols.symbols.map((s) => `${opts.measurement ?? 'bars'},symbol=${s} open=`);
  return chunk(cols, opts.rowsPerRequest, (r) =>
    `${prefixes[cols.symbolIndex[r]]}${formatPrice(cols.open[r])},high=${formatPrice(cols.high[r])},low=${formatPrice(cols.low[r])},close=${formatPrice(cols.close[r])},volume=${cols.volume[r]}i ${cols.timestampSec[r]}${suffix}\n`,
  );
}

/** JSON bodies for `POST /v1/write?precision=s`: an array of `{symbol, timestamp, …fields}`. */
export function jsonBodies(cols: BarColumns, opts: BodyOptions): Body[] {
  const prefixes = cols.symbols.map((s) => `{"symbol":${JSON.stringify(s)},"timestamp":`);
  return chunk(
    cols,
    opts.rowsPerRequest,
    (r) =>
      `${prefixes[cols.symbolIndex[r]]}${cols.timestampSec[r]},"open":${formatPrice(cols.open[r])},"high":${formatPrice(cols.high[r])},"low":${formatPrice(cols.low[r])},"close":${formatPrice(cols.close[r])},"volume":${cols.volume[r]}}`,
    { open: '[', sep: ',', close: ']' },
  );
}

function chunk(
  cols: BarColumns,
  rowsPerRequest: number,
  line: (r: number) => string,
  frame = { open: '', sep: '', close: '' },
): Body[] {
  const out: Body[] = [];
  for (let start = 0; start < cols.count; start += rowsPerRequest) {
    const end = Math.min(cols.count, start + rowsPerRequest);
    const parts: string[] = new Array(end - start);
    for (let r = start; r < end; r++) parts[r - start] = line(r);
    out.push({ bytes: Buffer.from(frame.open + parts.join(frame.sep) + frame.close), rows: end - start });
  }
  return out;
}

/** One candle: bucket start (epoch s) and OHLCV. */
export type Candle = [t: number, open: number, high: number, low: number, close: number, volume: number];

/** Reference 1-symbol candles straight from the columns: [start, end) seconds, buckets aligned to the epoch. */
export function referenceCandles(cols: BarColumns, symbol: string, range: { start: number; end: number; intervalSec: number }): Candle[] {
  const s = cols.symbols.indexOf(symbol);
  const out: Candle[] = [];
  let cur: Candle | undefined;
  for (let r = 0; r < cols.count; r++) {
    if (cols.symbolIndex[r] !== s) continue;
    const t = cols.timestampSec[r];
    if (t < range.start || t >= range.end) continue;
    const b = t - (t % range.intervalSec);
    if (!cur || cur[0] !== b) {
      cur = [b, cols.open[r], cols.high[r], cols.low[r], cols.close[r], cols.volume[r]];
      out.push(cur);
    } else {
      cur[2] = Math.max(cur[2], cols.high[r]);
      cur[3] = Math.min(cur[3], cols.low[r]);
      cur[4] = cols.close[r];
      cur[5] += cols.volume[r];
    }
  }
  return out;
}
