/**
 * Query answers as the console keeps them: the API's columns and rows (seconds precision),
 * concatenated window by window as the chart pans into the past. Pure; no DOM.
 */

/** The JSON answer of /v1/query (DESIGN §5). */
export interface QueryAnswer {
  symbol: string;
  interval: string | null;
  columns: string[];
  rows: (number | null)[][];
}

/** A candle for the chart library (time in UTC seconds). */
export interface Candle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

/** How two partial candles of one bucket combine, per column (as the server aggregates). */
function mergeRule(column: string): 'first' | 'max' | 'min' | 'last' | 'sum' {
  switch (column) {
    case 'open':
      return 'first';
    case 'high':
      return 'max';
    case 'low':
      return 'min';
    case 'volume':
    case 'amount':
      return 'sum';
    default:
      return 'last';
  }
}

/**
 * `older` rows followed by `newer` rows (same columns). A window boundary inside a bucket gives
 * both windows a partial candle with the same timestamp: those two are merged into one, so the
 * result equals the answer for the union of both ranges.
 * @throws Error when the columns differ (the chart then reloads from scratch)
 */
export function prependRows(columns: string[], older: (number | null)[][], newer: (number | null)[][]): (number | null)[][] {
  if (older.length === 0) return newer;
  if (newer.length === 0) return older;
  const last = older[older.length - 1]!;
  const first = newer[0]!;
  if (last[0]! < first[0]!) return [...older, ...newer];
  if (last[0] !== first[0]) throw new Error('windows overlap by more than one bucket');
  const merged = columns.map((c, i) => (i === 0 ? first[0]! : combine(mergeRule(c), last[i] ?? null, first[i] ?? null)));
  return [...older.slice(0, -1), merged, ...newer.slice(1)];
}

function combine(rule: ReturnType<typeof mergeRule>, a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  switch (rule) {
    case 'first':
      return a;
    case 'last':
      return b;
    case 'max':
      return Math.max(a, b);
    case 'min':
      return Math.min(a, b);
    case 'sum':
      return a + b;
  }
}

/** Candles and volume bars from rows with open/high/low/close (and volume) columns. */
export function chartSeries(columns: string[], rows: (number | null)[][]): { candles: Candle[]; volume: { time: number; value: number; up: boolean }[] | null } {
  const ix = (c: string) => columns.indexOf(c);
  const [o, h, l, c, v] = [ix('open'), ix('high'), ix('low'), ix('close'), ix('volume')];
  if (o < 0 || h < 0 || l < 0 || c < 0) throw new Error(`the answer has no open/high/low/close columns (columns: ${columns.join(', ')})`);
  const candles: Candle[] = [];
  const volume: { time: number; value: number; up: boolean }[] = [];
  for (const r of rows) {
    // A candle whose price columns are all null (fill=null buckets, or fields without prices) has nothing to draw.
    if (r[c] === null || r[o] === null) continue;
    const candle = { time: r[0]!, open: r[o]!, high: r[h] ?? Math.max(r[o]!, r[c]!), low: r[l] ?? Math.min(r[o]!, r[c]!), close: r[c]! };
    candles.push(candle);
    if (v >= 0) volume.push({ time: candle.time, value: r[v] ?? 0, up: candle.close >= candle.open });
  }
  return { candles, volume: v >= 0 ? volume : null };
}
