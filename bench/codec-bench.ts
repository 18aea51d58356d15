/**
 * Micro-benchmark of the storage codecs, single-threaded: per kind of market data the segment
 * codec's bytes per row and rows/s (encode, decode), then hash32 and WAL-record throughput.
 * Run: `node_modules/.bin/bun bench/codec-bench.ts [--columns]`; `--columns` breaks the bytes
 * down by part and column (from inspectSegment). About 10 s; the machine's two cores are shared.
 */
import { hash32 } from '../data-plane/src/encoding/checksum.ts';
import { decodeSegment, encodeSegment, type SegmentInput } from '../data-plane/src/encoding/segment-codec.ts';
import { inspectSegment } from '../data-plane/src/encoding/segment-inspect.ts';
import { decodeWalRecord, encodeWalRecord } from '../data-plane/src/encoding/wal-record.ts';
import type { SeriesRows } from '../data-plane/src/model.ts';
import { timeIt } from './best-time.ts';
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

function toInput(s: SeriesRows): SegmentInput {
  const fields = [...s.columns.keys()];
  return { ts: s.ts, fields, values: fields.map((f) => s.columns.get(f)!), blockSizeUs: BLOCK_US };
}

const showColumns = process.argv.includes('--columns');
const M = (rows: number, ms: number) => `${((rows / ms) * 1000 / 1e6).toFixed(2)}M`;
console.log(`segments of ${ROWS} rows × ${SYMBOLS} symbols, block ${BLOCK_US / 1e6}s, runtime ${typeof Bun !== 'undefined' ? `bun ${Bun.version}` : `node ${process.version}`}`);
console.log('kind                       B/row  target  encode rows/s  decode rows/s  decode values/s  (best of repeated runs)');
// Warm up on every kind first, so the JIT settles on code that serves all of them.
for (let r = 0; r < 5; r++) for (const kind of kinds) kind.data.forEach((s) => decodeSegment(encodeSegment(toInput(s))));
for (const kind of kinds) {
  const inputs = kind.data.map((s) => toInput(s));
  const encoded = inputs.map(encodeSegment);
  const rows = inputs.reduce((a, x) => a + x.ts.length, 0);
  const bytes = encoded.reduce((a, x) => a + x.length, 0);
  const encMs = timeIt(() => inputs.forEach(encodeSegment), 600);
  const decMs = timeIt(() => encoded.forEach((b) => decodeSegment(b)), 600);
  const values = rows * (inputs[0].fields.length + 1);
  console.log(
    `${kind.name.padEnd(26)} ${(bytes / rows).toFixed(2).padStart(5)}  ${kind.target.toFixed(1).padStart(6)}  ${M(rows, encMs).padStart(13)}  ${M(rows, decMs).padStart(13)}  ${M(values, decMs).padStart(15)}`,
  );
  if (showColumns) {
    const parts = new Map<string, number>();
    const add = (k: string, b: number) => parts.set(k, (parts.get(k) ?? 0) + b);
    for (const b of encoded) {
      const l = inspectSegment(b);
      add('header+names+checksum', l.headerBytes + 4);
      add('chunk directory', l.directoryBytes);
      add('timestamps', l.timestampBytes);
      for (const c of l.columns) add(`${c.field} (${c.encoding}${c.predictor ? `, ${c.predictor}${c.refs?.length ? ` ${c.refs.join('/')}` : ''}` : ''})`, c.bytes);
    }
    for (const [k, b] of parts) console.log(`    ${k.padEnd(36)} ${(b / rows).toFixed(3)} B/row`);
  }
}

// hash32 over a large buffer, aligned and not.
const big = new Uint8Array(8 << 20).map((_, i) => (i * 2654435761) >>> 24);
for (const off of [0, 1]) {
  const ms = timeIt(() => hash32(big, off), 300);
  console.log(`hash32 (xxHash32), 8 MiB, ${off ? 'unaligned' : 'aligned'}: ${((big.length / ms) * 1000 / 1e9).toFixed(2)} GB/s`);
}

// WAL records: a 10 000-row batch of many small series, and of a few big ones.
for (const [symbols, count] of [
  [1000, 10],
  [10, 1000],
] as const) {
  const series = generateBars({ symbols, start: START_US, count, stepSec: 1, seed: 7 });
  const batch = { series, rowCount: symbols * count };
  const rec = encodeWalRecord(batch);
  const encMs = timeIt(() => encodeWalRecord(batch), 400);
  const decMs = timeIt(() => decodeWalRecord(rec), 400);
  const gbs = (ms: number) => `${((rec.length / ms) * 1000 / 1e9).toFixed(2)} GB/s`;
  console.log(`WAL record ${symbols} series × ${count} rows (${rec.length} B): encode ${gbs(encMs)} (${M(batch.rowCount, encMs)} rows/s), decode ${gbs(decMs)} (${M(batch.rowCount, decMs)} rows/s)`);
}
