/**
 * The query answer shape of DESIGN §5 and its JSON and CSV renderings. Rendering builds the text
 * directly (no intermediate row objects): a 1M-row answer would otherwise allocate 1M arrays.
 */
import type { CandleResult } from '../engine-api.ts';
import type { Precision, SeriesData } from '../model.ts';

/** One series' answer, columnar: `columns[0]` is "timestamp", `values[i]` is `columns[i + 1]`. */
export interface Answer {
  symbol: string;
  /** candle interval, or null for raw rows */
  interval: string | null;
  columns: string[];
  /** µs since the epoch, ascending */
  ts: Float64Array;
  /** NaN = null */
  values: Float64Array[];
}

/** Raw rows as an answer. */
export function rowsAnswer(d: SeriesData): Answer {
  return { symbol: d.symbol, interval: null, columns: ['timestamp', ...d.fields], ts: d.ts, values: d.values };
}

/** Candles as an answer. */
export function candleAnswer(r: CandleResult): Answer {
  return { symbol: r.symbol, interval: r.interval, columns: r.columns, ts: r.ts, values: r.values };
}

/** The answer for a symbol with no rows (`latest` of an unknown symbol). */
export function emptyAnswer(symbol: string, fields: string[] = []): Answer {
  return { symbol, interval: null, columns: ['timestamp', ...fields], ts: new Float64Array(0), values: fields.map(() => new Float64Array(0)) };
}

/**
 * A µs timestamp in `precision` units as JSON/CSV number text. ns is written as µs digits plus
 * "000": exact, while µs × 1000 as a float64 would round at today's magnitudes (> 2^53).
 */
export function formatTimestamp(us: number, precision: Precision): string {
  switch (precision) {
    case 'us':
      return String(us);
    case 'ns':
      return Number.isInteger(us) && us !== 0 ? `${us}000` : String(us * 1000);
    case 'ms':
      return String(us / 1e3);
    case 's':
      return String(us / 1e6);
  }
}

/** One answer as JSON text: `{"symbol","interval","columns","rows":[[t, v…]…]}`, NaN → null. */
export function answerJson(a: Answer, precision: Precision): string {
  const parts: string[] = [];
  const n = a.ts.length;
  const cols = a.values;
  for (let i = 0; i < n; i++) {
    let row = '[' + formatTimestamp(a.ts[i]!, precision);
    for (let j = 0; j < cols.length; j++) {
      const v = cols[j]![i]!;
      // JSON has no NaN/Infinity; NaN means "no value" in the engine.
      row += Number.isFinite(v) ? ',' + v : ',null';
    }
    parts.push(row + ']');
  }
  return (
    `{"symbol":${JSON.stringify(a.symbol)},"interval":${a.interval === null ? 'null' : JSON.stringify(a.interval)},` +
    `"columns":${JSON.stringify(a.columns)},"rows":[${parts.join(',')}]}`
  );
}

/** Several answers as `{"results":[…]}` (batch query, latest). */
export function resultsJson(answers: Answer[], precision: Precision): string {
  return `{"results":[${answers.map((a) => answerJson(a, precision)).join(',')}]}`;
}

/**
 * One answer as CSV: a header line of the columns, then one line a row; nulls are empty cells.
 * Column names come from the field charset (no commas or quotes), so no quoting is needed.
 */
export function answerCsv(a: Answer, precision: Precision): string {
  const lines: string[] = [a.columns.join(',')];
  const cols = a.values;
  for (let i = 0; i < a.ts.length; i++) {
    let line = formatTimestamp(a.ts[i]!, precision);
    for (let j = 0; j < cols.length; j++) {
      const v = cols[j]![i]!;
      line += Number.isFinite(v) ? ',' + v : ',';
    }
    lines.push(line);
  }
  return lines.join('\n') + '\n';
}
