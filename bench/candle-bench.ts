/**
 * Micro-benchmark of candle aggregation (query/candles.ts), single-threaded: rows/s of
 * buildCandles over in-memory 1-second bars and 3-second ticks, per interval and zone.
 * Run: `node_modules/.bin/bun bench/candle-bench.ts [case-name-substring]`. Target: >= 20M rows/s for 1h candles
 * over 1-second bars. Keep it short: the machine's two cores are shared.
 */
import type { CandleQuery } from '../data-plane/src/engine-api.ts';
import type { SeriesData, SeriesRows } from '../data-plane/src/model.ts';
import { buildCandles, mergeCandlePartials, partialCandles } from '../data-plane/src/query/candles.ts';
import { timeIt } from './best-time.ts';
import { generateBars, generateTicks } from './market-data.ts';

const ROWS = 2_000_000;
const START_US = Date.UTC(2024, 0, 2, 1, 30) * 1000;

function toData(s: SeriesRows): SeriesData {
  const fields = [...s.columns.keys()];
  return { symbol: s.symbol, ts: s.ts, fields, values: fields.map((f) => s.columns.get(f)!) };
}

const barsRows = generateBars({ symbols: 1, start: START_US, count: ROWS, stepSec: 1, seed: 7 })[0];
// A-share bars carry the traded amount too.
const close = barsRows.columns.get('close')!;
const volume = barsRows.columns.get('volume')!;
barsRows.columns.set('amount', close.map((c, i) => c * volume[i]));
const bars = toData(barsRows);
const ticks = toData(generateTicks({ symbols: 1, start: START_US, count: ROWS, stepSec: 3, seed: 7 })[0]);

const q = (over: Partial<CandleQuery>): CandleQuery => ({ symbol: bars.symbol, start: -Infinity, end: Infinity, interval: '1h', tz: 'Asia/Shanghai', ...over });
const span = bars.ts[ROWS - 1] - bars.ts[0];

const cases: [string, SeriesData, CandleQuery, () => void][] = [];
const add = (name: string, data: SeriesData, query: CandleQuery, fn = () => void buildCandles(data, query)): void => void cases.push([name, data, query, fn]);
add('1h bars Asia/Shanghai (OHLCV+amount)', bars, q({}));
add('1h bars America/New_York', bars, q({ tz: 'America/New_York' }));
add('1m bars Asia/Shanghai', bars, q({ interval: '1m' }));
add('1d bars America/New_York', bars, q({ interval: '1d', tz: 'America/New_York' }));
add('1s bars UTC (1 row per bucket)', bars, q({ interval: '1s', tz: 'UTC' }));
add('1h bars, close+volume only', bars, q({ fields: ['close', 'volume'] }));
add('1h bars fill=prev', bars, q({ fill: 'prev', start: bars.ts[0], end: bars.ts[0] + span * 1.2 }));
add('5m ticks Asia/Shanghai (OHLC of price)', ticks, q({ interval: '5m' }));
add('1h bars as 8 partials + merge', bars, q({}), () => {
  const query = q({});
  const n = bars.ts.length;
  const parts = [];
  for (let k = 0; k < 8; k++) {
    const a = Math.floor((k * n) / 8);
    const b = Math.floor(((k + 1) * n) / 8);
    parts.push(partialCandles({ ...bars, ts: bars.ts.subarray(a, b), values: bars.values.map((v) => v.subarray(a, b)) }, query));
  }
  mergeCandlePartials(parts, query);
});

console.log(`${ROWS / 1e6}M rows per series, runtime ${typeof Bun !== 'undefined' ? `bun ${Bun.version}` : `node ${process.version}`}; best of repeated runs`);
console.log('case                                     candles       ms     rows/s   field-values/s');
const only = process.argv[2];
for (const [name, data, query, fn] of cases.filter(([n]) => !only || n.includes(only))) {
  const ms = timeIt(fn, 1000);
  const candles = buildCandles(data, query).ts.length;
  const rps = (data.ts.length / ms) * 1000;
  console.log(`${name.padEnd(40)} ${String(candles).padStart(7)} ${ms.toFixed(1).padStart(8)} ${(rps / 1e6).toFixed(1).padStart(9)}M ${((rps * data.fields.length) / 1e6).toFixed(0).padStart(12)}M`);
}
