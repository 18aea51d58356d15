/**
 * Micro-benchmark of the write-body parsers, in process, under Bun:
 *   node_modules/.bin/bun bench/parse-bench.ts [--quick]
 *
 * Prints rows/s (and field-values/s) for line protocol and JSON/NDJSON on 10K-row OHLCV bodies,
 * with the same bodies run through the peers we measure against in-process: TextDecoder +
 * JSON.parse (the floor any JSON parser pays) and a naive string-split LP parser. Bodies have
 * 1000 symbols (interleaved, like a multi-symbol feed) or 1 symbol. Short on purpose: the machine's
 * two cores are shared. Rates are per CPU-second of this process (process.cpuUsage), which other
 * load on the machine disturbs much less than wall time; medians of several rounds.
 */
import { parseJsonWrite } from '../data-plane/src/ingest/json-write-parser.ts';
import { parseLineProtocol } from '../data-plane/src/ingest/line-protocol-parser.ts';

const quick = process.argv.includes('--quick');
const ROWS = 10_000;
const ROUNDS = quick ? 3 : 7;
const MIN_MS = quick ? 150 : 400;
const enc = new TextEncoder();

interface Bar {
  symbol: string;
  t: number; // s
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Random-walk 1 s OHLCV bars, 2-decimal prices, integer volumes. */
function bars(symbols: number): Bar[] {
  const out: Bar[] = [];
  const price = Array.from({ length: symbols }, (_, k) => 10 + k * 0.37);
  for (let r = 0; r < ROWS; r++) {
    const k = r % symbols;
    const p = (price[k] = Math.max(1, price[k] + (Math.random() - 0.5) * 0.2));
    const round = (x: number) => Math.round(x * 100) / 100;
    out.push({
      symbol: `stock.SH.${600000 + k}`,
      t: 1_700_000_000 + Math.floor(r / symbols),
      open: round(p),
      high: round(p + Math.random()),
      low: round(p - Math.random()),
      close: round(p + (Math.random() - 0.5)),
      volume: Math.floor(Math.random() * 100000),
    });
  }
  return out;
}

function lpBody(rows: Bar[]): Uint8Array {
  const lines = rows.map(
    (b) =>
      `bars,symbol=${b.symbol} open=${b.open},high=${b.high},low=${b.low},close=${b.close},volume=${b.volume}i ${b.t}000000000`,
  );
  return enc.encode(`${lines.join('\n')}\n`);
}

const jsonRow = (b: Bar) =>
  JSON.stringify({ symbol: b.symbol, timestamp: b.t, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume });

/** A string-based LP parser (split lines, split sections): what a first attempt looks like. */
function naiveLp(body: Uint8Array): number {
  const text = new TextDecoder().decode(body);
  const bySymbol = new Map<string, number[]>();
  let n = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [key, fields, ts] = line.split(' ');
    const sym = key.split(',')[1].slice(7);
    let arr = bySymbol.get(sym);
    if (!arr) bySymbol.set(sym, (arr = []));
    for (const f of fields.split(',')) {
      const eq = f.indexOf('=');
      arr.push(Number(f.endsWith('i') ? f.slice(eq + 1, -1) : f.slice(eq + 1)));
    }
    arr.push(Number(ts) / 1000);
    n++;
  }
  return n;
}

/** CPU time of this process, ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function bench(name: string, rows: number, fieldsPerRow: number, fn: () => unknown): number {
  for (let k = 0; k < 20; k++) fn(); // warm up the JIT
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let iters = 0;
    const t0 = cpuMs();
    let t1 = t0;
    while (t1 - t0 < MIN_MS) {
      fn();
      iters++;
      t1 = cpuMs();
    }
    rates.push((iters * rows) / ((t1 - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  const med = rates[rates.length >> 1];
  console.log(
    `${name.padEnd(44)} ${(med / 1e6).toFixed(2).padStart(6)} M rows/s  ${((med * fieldsPerRow) / 1e6).toFixed(1).padStart(6)} M values/s`,
  );
  return med;
}

console.log(`Bun ${Bun.version}, ${ROWS}-row bodies, median of ${ROUNDS} rounds ≥ ${MIN_MS} ms CPU time`);
for (const symbols of [1000, 1]) {
  const data = bars(symbols);
  const lp = lpBody(data);
  const arr = enc.encode(`[${data.map(jsonRow).join(',')}]`);
  const nd = enc.encode(`${data.map(jsonRow).join('\n')}\n`);
  const s0 = data[0].symbol;
  const shape1 = enc.encode(
    JSON.stringify({ symbol: s0, rows: data.map(({ symbol: _s, t, ...f }) => ({ timestamp: t, ...f })) }),
  );
  console.log(`\n${symbols} symbol(s): LP ${(lp.length / ROWS).toFixed(0)} B/row, JSON ${(arr.length / ROWS).toFixed(0)} B/row`);
  const lpRate = bench('line protocol (parseLineProtocol)', ROWS, 5, () => parseLineProtocol(lp, { precision: 'ns' }));
  const naive = bench('  peer: naive string LP parser', ROWS, 5, () => naiveLp(lp));
  const jsonRate = bench('JSON array (parseJsonWrite)', ROWS, 5, () => parseJsonWrite(arr, { precision: 's' }));
  bench('JSON {symbol, rows} (parseJsonWrite)', ROWS, 5, () => parseJsonWrite(shape1, { precision: 's' }));
  bench('NDJSON (parseJsonWrite)', ROWS, 5, () =>
    parseJsonWrite(nd, { precision: 's', contentType: 'application/x-ndjson' }),
  );
  const floor = bench('  peer: TextDecoder + JSON.parse only', ROWS, 5, () => JSON.parse(new TextDecoder().decode(arr)));
  console.log(
    `ratios: LP / naive LP = ${(lpRate / naive).toFixed(2)}×, JSON / bare JSON.parse = ${(jsonRate / floor).toFixed(2)}×`,
  );
}
