import fc from 'fast-check';
import type { SegmentInput } from '../segment-encoder.ts';

/**
 * fast-check arbitraries for segment inputs: timestamps with regular and irregular spacing
 * (negative ones included) and columns of every shape the codec special-cases.
 */

/** Float64 values the codec must keep bit-exactly. */
export const SPECIAL_VALUES: readonly number[] = [
  NaN, 0, -0, Infinity, -Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308, Number.MAX_VALUE,
  -Number.MAX_VALUE, Number.EPSILON, 1e-300, 1e300, 2 ** 53, -(2 ** 53), 2 ** 51, 2 ** 51 - 1, -(2 ** 51 - 1), 0.1, 0.3,
  123456789.123, 1e15, 1e20, 5e-324,
];

/** Strictly increasing integral µs timestamps. */
export function timestamps(maxRows: number): fc.Arbitrary<Float64Array> {
  // Lengths drawn uniformly (fast-check's default array sizes stay small), so multi-chunk
  // segments are common.
  const gaps = fc.integer({ min: 0, max: maxRows }).chain((n) =>
    fc.array(fc.oneof(fc.constant(1), fc.constant(1), fc.constant(1), fc.integer({ min: 1, max: 50 })), { minLength: n, maxLength: n }),
  );
  return fc
    .record({
      start: fc.oneof(fc.integer({ min: -2e12, max: 2e12 }), fc.constantFrom(0, 1.7e15, -1e15, 2 ** 52)),
      step: fc.oneof(fc.constantFrom(1, 1000, 1e6, 3e6, 6e7), fc.integer({ min: 1, max: 1e9 })),
      gaps,
      jitter: fc.boolean(),
    })
    .map(({ start, step, gaps, jitter }) => {
      const ts = new Float64Array(gaps.length);
      let t = start;
      gaps.forEach((g, i) => {
        ts[i] = t;
        t += g * step + (jitter ? (i * 7919) % 13 : 0);
      });
      return ts;
    });
}

/** A column of `n` values drawn from one of the shapes the codec distinguishes. */
export function column(n: number): fc.Arbitrary<Float64Array> {
  const of = (gen: fc.Arbitrary<number>) => fc.array(gen, { minLength: n, maxLength: n }).map((a) => Float64Array.from(a));
  const decimals = fc.integer({ min: 0, max: 6 }).chain((d) => randomWalk(n, d));
  return fc.oneof(
    { weight: 4, arbitrary: decimals },
    { weight: 2, arbitrary: decimals.chain((a) => withNaN(a)) },
    { weight: 1, arbitrary: of(fc.integer({ min: 0, max: 5000 }).map((x) => x * 100)) },
    { weight: 1, arbitrary: of(fc.double()) },
    { weight: 1, arbitrary: of(fc.constantFrom(...SPECIAL_VALUES)) },
    { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_VALUES).map((v) => new Float64Array(n).fill(v)) },
    { weight: 1, arbitrary: of(fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), fc.constantFrom(2 ** 52, -(2 ** 50), 2 ** 51 - 1))) },
    { weight: 1, arbitrary: of(fc.double({ min: -1e-300, max: 1e-300, noNaN: true })) },
  );
}

/** Prices with `decimals` decimals moving a few ticks per row (exact decimal doubles). */
function randomWalk(n: number, decimals: number): fc.Arbitrary<Float64Array> {
  const scale = 10 ** decimals;
  return fc
    .record({ start: fc.integer({ min: -100000, max: 10_000_000 }), moves: fc.array(fc.integer({ min: -40, max: 40 }), { minLength: n, maxLength: n }) })
    .map(({ start, moves }) => {
      let m = start;
      return Float64Array.from(moves, (d) => {
        m += d;
        return m / scale;
      });
    });
}

function withNaN(a: Float64Array): fc.Arbitrary<Float64Array> {
  return fc.array(fc.nat({ max: Math.max(0, a.length - 1) }), { maxLength: Math.max(1, a.length >> 2) }).map((holes) => {
    const b = a.slice();
    for (const i of holes) if (i < b.length) b[i] = NaN;
    return b;
  });
}

/**
 * Open/high/low/close-like columns with `decimals` decimals: related by construction, so the
 * encoder's cross-column predictors (ref, ref-lag, max, min) get exercised.
 */
function ohlc(n: number): fc.Arbitrary<Float64Array[]> {
  return fc
    .record({
      decimals: fc.integer({ min: 0, max: 4 }),
      start: fc.integer({ min: 1, max: 1_000_000 }),
      steps: fc.array(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: -3, max: 3 }), fc.nat(3), fc.nat(3)), { minLength: n, maxLength: n }),
    })
    .map(({ decimals, start, steps }) => {
      const p = 10 ** decimals;
      const cols = [0, 1, 2, 3].map(() => new Float64Array(n));
      let close = start;
      steps.forEach(([move, gap, up, down], i) => {
        const open = close + gap;
        close = open + move;
        cols[0][i] = open / p;
        cols[1][i] = (Math.max(open, close) + up) / p;
        cols[2][i] = (Math.min(open, close) - down) / p;
        cols[3][i] = close / p;
      });
      return cols;
    });
}

/** A whole segment input: timestamps, 0–6 fields of mixed shapes (maybe an OHLC group), a block size. */
export function segmentInput(maxRows = 300): fc.Arbitrary<SegmentInput> {
  return timestamps(maxRows).chain((ts) =>
    fc
      .record({
        ts: fc.constant(ts),
        mixed: fc.array(column(ts.length), { maxLength: 6 }),
        bars: fc.option(ohlc(ts.length).chain((cols) => fc.tuple(...cols.map((c) => fc.oneof(fc.constant(c), withNaN(c))))), { freq: 3 }),
        blockSizeUs: fc.oneof(fc.constantFrom(30_000_000, 1_000_000, 1), fc.integer({ min: 1, max: 1e10 })),
      })
      .map(({ ts, mixed, bars, blockSizeUs }) => {
        const values = [...(bars ?? []), ...mixed];
        return { ts, values, blockSizeUs, fields: values.map((_, j) => `f${j}`) };
      }),
  );
}
