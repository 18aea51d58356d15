/**
 * Micro-benchmark of the segment column codec: bytes per row and rows/s (encode, decode) per kind
 * of market data, single-threaded. Run: `node_modules/.bin/bun bench/codec-bench.ts [--columns]`.
 * `--columns` adds each column's share (measured by encoding segments without it).
 * Keep it short: the machine's two cores are shared.
 */
import { decodeSegment, encodeSegment, type SegmentInput } from '../data-plane/src/encoding/segment-codec.ts';
import type { SeriesRows } from '../data-plane/src/model.ts';
import { generateBars, generateTicks, type MarketDataOptions } from './market-data.ts';

const ROWS = 2000;
const SYMBOLS = 20;
const BLOCK_US = 30_000_000;
const START_US = Date.UTC(2024, 0, 2, 1, 30) * 1000;

interface Kind {
  name: string;
  target: number;
  data: SeriesRows[];
}

const base: Omit<MarketDataOptions, 'stepSec'> = { symbols: SYMBOLS, start: START_US, count: ROWS, seed: 42 };
const kinds: Kind[] = [
  { name: '1s bars (OHLCV)', target: 3.0, data: generateBars({ ...base, stepSec: 1 }) },
  { name: '3s ticks (p,v,bid,ask)', target: 2.5, data: generateTicks({ ...base, stepSec: 3 }) },
  { name: '1m bars (OHLCV)', target: 7.0, data: generateBars({ ...base, stepSec: 60 }) },
  { name: '1s bars, empty omitted', target: 3.0, data: generateBars({ ...base, stepSec: 1, omitEmpty: true }) },
];

function toInput(s: SeriesRows, drop?: string): SegmentInput {
  const fields = [...s.columns.keys()].filter((f) => f !== drop);
  return { ts: s.ts, fields, values: fields.map((f) => s.columns.get(f)!), blockSizeUs: BLOCK_US };
}

/**
 * Milliseconds of one `fn()`: the fastest of repeated runs within `budgetMs`. The minimum, not the
 * mean, because other processes share the two cores and only ever add time.
 */
function timeIt(fn: () => void, budgetMs: number): number {
  fn();
  let best = Infinity;
  const end = performance.now() + budgetMs;
  for (let t = performance.now(); t < end; ) {
    fn();
    const now = performance.now();
    best = Math.min(best, now - t);
    t = now;
  }
  return best;
}

const showColumns = process.argv.includes('--columns');
console.log(`segments of ${ROWS} rows × ${SYMBOLS} symbols, block ${BLOCK_US / 1e6}s, runtime ${typeof Bun !== 'undefined' ? `bun ${Bun.version}` : `node ${process.version}`}`);
console.log('kind                       B/row  target  encode rows/s  decode rows/s   (best of repeated runs)');
// Warm up on every kind first, so the JIT settles on code that serves all of them.
for (let r = 0; r < 5; r++) for (const kind of kinds) kind.data.forEach((s) => decodeSegment(encodeSegment(toInput(s))));
for (const kind of kinds) {
  const inputs = kind.data.map((s) => toInput(s));
  const encoded = inputs.map(encodeSegment);
  const rows = inputs.reduce((a, x) => a + x.ts.length, 0);
  const bytes = encoded.reduce((a, x) => a + x.length, 0);
  const encMs = timeIt(() => inputs.forEach(encodeSegment), 600);
  const decMs = timeIt(() => encoded.forEach((b) => decodeSegment(b)), 600);
  const line = `${kind.name.padEnd(26)} ${(bytes / rows).toFixed(2).padStart(5)}  ${kind.target.toFixed(1).padStart(6)}  ${((rows / encMs) * 1000 / 1e6).toFixed(2).padStart(9)}M  ${((rows / decMs) * 1000 / 1e6).toFixed(2).padStart(12)}M`;
  console.log(line);
  if (showColumns) {
    for (const f of ['(ts)', ...kind.data[0].columns.keys()]) {
      const without = kind.data.map((s) => encodeSegment(f === '(ts)' ? { ...toInput(s), fields: [], values: [] } : toInput(s, f)));
      const b = without.reduce((a, x) => a + x.length, 0);
      const share = f === '(ts)' ? b / rows : (bytes - b) / rows;
      console.log(`    ${f.padEnd(10)} ${share.toFixed(2)} B/row`);
    }
  }
}
