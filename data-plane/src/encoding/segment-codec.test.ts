import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateBars, generateTicks } from '../../../bench/market-data.ts';
import { CorruptionError } from '../errors.ts';
import type { SeriesRows } from '../model.ts';
import { hash32 } from './checksum.ts';
import { SEGMENT_HEADER_SIZE, SEGMENT_VERSION } from './column-encoding.ts';
import { decodeSegment, decodeSegmentTransient, encodeSegment, readSegmentSummary, type SegmentInput } from './segment-codec.ts';
import { Float64Scratch } from './scratch.ts';
import { inspectSegment } from './segment-inspect.ts';
import { segmentInput, SPECIAL_VALUES } from './testing/arbitraries.ts';
import { firstDifference, fromHex, toHex } from './testing/float-bits.ts';
import { naiveSegmentRoundTrip } from './testing/naive-codecs.ts';

/** Asserts that decoding `encodeSegment(input)` gives back exactly `expected` (default: input). */
function expectRoundTrip(input: SegmentInput, expected = input): Uint8Array {
  const bytes = encodeSegment(input);
  const out = decodeSegment(bytes, 'k');
  expect(out.fields).toEqual(expected.fields);
  expect(firstDifference(out.ts, expected.ts)).toBe(-1);
  out.values.forEach((col, j) => {
    const at = firstDifference(col, expected.values[j]);
    if (at >= 0) expect.fail(`field ${expected.fields[j]} row ${at}: ${col[at]} ≠ ${expected.values[j][at]}`);
  });
  return bytes;
}

function fromSeries(s: SeriesRows, blockSizeUs = 30e6): SegmentInput {
  const fields = [...s.columns.keys()];
  return { ts: s.ts, fields, values: fields.map((f) => s.columns.get(f)!), blockSizeUs };
}

const T0 = 1_700_000_000_000_000;
const seconds = (...s: number[]) => Float64Array.from(s, (x) => T0 + x * 1e6);

/** Golden input: every column kind, a NaN among decimals, a gap in the timestamps. */
const GOLDEN_INPUT: SegmentInput = {
  ts: seconds(0, 1, 2, 3, 5, 6),
  fields: ['open', 'volume', 'x', 'k', 'none'],
  values: [
    Float64Array.from([10.01, 10.02, 10.02, 9.99, NaN, 10.05]),
    Float64Array.from([100, 200, 0, 300, 500, 0]),
    Float64Array.from([0.1, -0, Infinity, 1.5, NaN, 2 ** 60]),
    new Float64Array(6).fill(7),
    new Float64Array(6).fill(NaN),
  ],
  blockSizeUs: 3e6,
};
/** What the current encoder writes for GOLDEN_INPUT (format version 1). */
const GOLDEN_HEX =
  '010005000600000000007960902818430036e761902818430000000060e34641046f70656e06766f6c756d650178016b046e6f6e65010611c0843d0101020280010204329a9999999999b93f03bf999999999999fb1b000000000000fe3f000000000000025000000000000000a0000000000000483c03020000000000001c40040100030201d20f0105022fc3ce0f02da600103fe00020101440342600abf289a95';
/**
 * Version-1 bytes of GOLDEN_INPUT written by earlier encoders (other chunk-mode choices): every
 * later decoder must keep reading them.
 */
const OLDER_FIXTURES = [
  // first encoder: delta residuals considered for every chunk of every column
  '010005000600000000007960902818430036e761902818430000000060e34641046f70656e06766f6c756d650178016b046e6f6e65010611c0843d0101020280010204329a9999999999b93f03bf999999999999fb1b000000000000fe3f000000000000025000000000000000a0000000000000483c03020000000000001c40040100030201d20f0103022f040320500c0103fe0002010104032063941f3168d7',
];

describe('encodeSegment() / decodeSegment()', () => {
  it('round-trips any rows bit-exactly (NaN, ±0, ±Inf, denormals, 0–6 decimals, irregular and negative timestamps)', () => {
    fc.assert(fc.property(segmentInput(300), (input) => void expectRoundTrip(input)), { numRuns: 250 });
  });

  it('decodes the same values as a naive reference codec (market data, many blocks)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600 }), fc.constantFrom(1, 3, 60), fc.integer(), fc.constantFrom(1e6, 30e6, 3600e6), (count, stepSec, seed, block) => {
        const data = (stepSec === 3 ? generateTicks : generateBars)({ symbols: 1, start: T0, count, stepSec, seed, omitEmpty: seed % 2 === 0 });
        const input = fromSeries(data[0], block);
        expectRoundTrip(input, { ...naiveSegmentRoundTrip(input), blockSizeUs: block });
      }),
      { numRuns: 40 },
    );
  });

  it.each<[string, SegmentInput]>([
    ['an empty segment', { ts: new Float64Array(0), fields: ['a'], values: [new Float64Array(0)], blockSizeUs: 30e6 }],
    ['an empty segment without fields', { ts: new Float64Array(0), fields: [], values: [], blockSizeUs: 30e6 }],
    ['one row', { ts: seconds(0), fields: ['p', 'q'], values: [Float64Array.of(12.34), Float64Array.of(NaN)], blockSizeUs: 30e6 }],
    ['one row of −0', { ts: seconds(0), fields: ['p'], values: [Float64Array.of(-0)], blockSizeUs: 30e6 }],
    ['two rows', { ts: seconds(0, 7), fields: ['p'], values: [Float64Array.of(1.5, -2.25)], blockSizeUs: 30e6 }],
    ['negative timestamps across zero', { ts: Float64Array.from([-2e6, -1e6, -1, 0, 1, 1e6]), fields: ['p'], values: [Float64Array.from([1, 2, 3, 4, 5, 6])], blockSizeUs: 1e6 }],
    ['one block per row', { ts: seconds(...Array.from({ length: 100 }, (_, i) => i)), fields: ['p'], values: [Float64Array.from({ length: 100 }, (_, i) => i / 100)], blockSizeUs: 1 }],
    ['a single huge block', { ts: seconds(...Array.from({ length: 1000 }, (_, i) => i)), fields: ['p'], values: [Float64Array.from({ length: 1000 }, (_, i) => (i * 37) % 101)], blockSizeUs: 1e15 }],
    ['fractional timestamps (raw fallback)', { ts: Float64Array.from([0.5, 1.25, 3, 1e9 + 0.5]), fields: ['p'], values: [Float64Array.from([1, 2, 3, 4])], blockSizeUs: 30e6 }],
    ['timestamps spanning ≥ 2^51 µs (raw fallback)', { ts: Float64Array.from([-(2 ** 52), -5, 0, 2 ** 52 + 2]), fields: ['p'], values: [Float64Array.from([1, 2, 3, 4])], blockSizeUs: 30e6 }],
    ['a fractional timestamp after a far integer one', { ts: Float64Array.from([-(2 ** 50), 0.1]), fields: [], values: [], blockSizeUs: 30e6 }],
    ['special values in one column', { ts: seconds(...SPECIAL_VALUES.map((_, i) => i)), fields: ['s'], values: [Float64Array.from(SPECIAL_VALUES)], blockSizeUs: 30e6 }],
    ['mantissas at the 2^51 limit', { ts: seconds(0, 1, 2, 3), fields: ['m'], values: [Float64Array.from([2 ** 51 - 1, -(2 ** 51 - 1), 2 ** 51, 0])], blockSizeUs: 30e6 }],
    ['a residual needing 53 bits', { ts: seconds(0, 1, 2), fields: ['m'], values: [Float64Array.from([2 ** 51 - 1, -(2 ** 51 - 1), 2 ** 51 - 1])], blockSizeUs: 30e6 }],
    ['nine-decimal values', { ts: seconds(0, 1, 2), fields: ['m'], values: [Float64Array.from([0.000000001, 1.123456789, -3.000000007])], blockSizeUs: 30e6 }],
    ['a non-ASCII field name', { ts: seconds(0, 1), fields: ['价格'], values: [Float64Array.from([1, 2])], blockSizeUs: 30e6 }],
    ['ASCII and non-ASCII field names together', { ts: seconds(0, 1), fields: ['close', 'объём', 'v'], values: [Float64Array.from([1, 2]), Float64Array.from([3, 4]), Float64Array.from([5, 6])], blockSizeUs: 30e6 }],
  ])('round-trips %s', (_, input) => {
    expectRoundTrip(input);
  });

  it('decodes into caller scratch space the same rows as into a fresh buffer, reusing the space', () => {
    const scratch = new Float64Scratch();
    const big = fromSeries(generateBars({ symbols: ['A'], start: T0, count: 3000, stepSec: 1, seed: 5 })[0]);
    const small = fromSeries(generateBars({ symbols: ['B'], start: T0, count: 40, stepSec: 1, seed: 6 })[0]);
    for (const input of [big, small, big]) {
      const bytes = encodeSegment(input);
      const fresh = decodeSegment(bytes, 'k');
      const got = decodeSegmentTransient(bytes, 'k', scratch);
      expect(got.fields).toEqual(fresh.fields);
      expect(firstDifference(got.ts, fresh.ts)).toBe(-1);
      got.values.forEach((col, j) => expect(firstDifference(col, fresh.values[j])).toBe(-1));
      // views of the scratch buffer, not a fresh one
      expect(got.ts.buffer).toBe(scratch.get(1).buffer);
    }
  });

  it('round-trips a segment bigger than the scratch buffers keep (250 000 rows)', () => {
    const bars = fromSeries(generateBars({ symbols: 1, start: T0, count: 250_000, stepSec: 1, seed: 8 })[0]);
    expectRoundTrip(bars);
  });

  it('keeps a NaN-sprinkled price column decimal (presence bitmap), not Gorilla XOR', () => {
    const bars = fromSeries(generateBars({ symbols: 1, start: T0, count: 500, stepSec: 1, seed: 3 })[0]);
    const open = bars.values[0].slice();
    for (let i = 0; i < open.length; i += 37) open[i] = NaN;
    const input = { ...bars, values: [open, ...bars.values.slice(1)] };
    const col = inspectSegment(expectRoundTrip(input)).columns.find((c) => c.field === 'open')!;
    expect(col).toMatchObject({ encoding: 'decimal', scale: 2, hasAbsent: true });
  });

  it('falls back to Gorilla XOR for random floats and for ±Inf or −0 among decimals', () => {
    const n = 64;
    const input: SegmentInput = {
      ts: seconds(...Array.from({ length: n }, (_, i) => i)),
      fields: ['rand', 'inf', 'negzero'],
      values: [
        Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 1e3),
        Float64Array.from({ length: n }, (_, i) => (i === 9 ? Infinity : i / 4)),
        Float64Array.from({ length: n }, (_, i) => (i === 9 ? -0 : i / 4)),
      ],
      blockSizeUs: 30e6,
    };
    const layout = inspectSegment(expectRoundTrip(input));
    expect(layout.columns.map((c) => c.encoding)).toEqual(['gorilla', 'gorilla', 'gorilla']);
  });

  it('predicts OHLC bars from each other: close by delta, open from the previous close, high/low from max/min(open, close)', () => {
    const bars = fromSeries(generateBars({ symbols: 1, start: T0, count: 2000, stepSec: 1, seed: 9 })[0]);
    const cols = Object.fromEntries(inspectSegment(encodeSegment(bars)).columns.map((c) => [c.field, c]));
    expect(cols.close).toMatchObject({ predictor: 'None' });
    expect(cols.open).toMatchObject({ predictor: 'RefLag', refs: ['close'] });
    expect(cols.high).toMatchObject({ predictor: 'Max', refs: ['open', 'close'] });
    expect(cols.low).toMatchObject({ predictor: 'Min', refs: ['open', 'close'] });
    expect(cols.volume).toMatchObject({ scale: -2, predictor: 'Zero' });
  });

  it('predicts bid from price and ask from bid in ticks', () => {
    const ticks = fromSeries(generateTicks({ symbols: 1, start: T0, count: 2000, stepSec: 3, seed: 9 })[0]);
    const cols = Object.fromEntries(inspectSegment(encodeSegment(ticks)).columns.map((c) => [c.field, c]));
    expect(cols.bid).toMatchObject({ predictor: 'Ref', refs: ['price'] });
    expect(cols.ask).toMatchObject({ predictor: 'Ref', refs: ['bid'] });
  });

  it('keeps evenly spaced timestamps in one byte per chunk', () => {
    // 2000 one-second rows in 30-second blocks: 67 chunks, each a single 0x00 header byte.
    const layout = inspectSegment(encodeSegment({ ts: seconds(...Array.from({ length: 2010 }, (_, i) => i)).subarray(10), fields: [], values: [], blockSizeUs: 30e6 }));
    expect(layout.chunkCount).toBe(67);
    expect(layout.timestampBytes).toBeLessThanOrEqual(67 + 10);
  });

  it.each([
    ['1-second bars', () => generateBars({ symbols: 3, start: T0, count: 2000, stepSec: 1, seed: 1 }), 3.0],
    ['3-second ticks', () => generateTicks({ symbols: 3, start: T0, count: 2000, stepSec: 3, seed: 1 }), 2.5],
    ['1-minute bars', () => generateBars({ symbols: 3, start: T0, count: 2000, stepSec: 60, seed: 1 }), 7.0],
  ])('stores %s within budget (≤ %s B/row)', (_, make, budget) => {
    const data = make();
    const bytes = data.reduce((sum, s) => sum + encodeSegment(fromSeries(s)).length, 0);
    expect(bytes / (data.length * 2000)).toBeLessThanOrEqual(budget);
  });

  it('rejects inputs that break the contract with a BUG error', () => {
    const ok = { ts: seconds(0, 1), fields: ['a'], values: [Float64Array.of(1, 2)], blockSizeUs: 30e6 };
    expect(() => encodeSegment({ ...ok, ts: seconds(1, 0) })).toThrow(/BUG.*increasing/);
    expect(() => encodeSegment({ ...ok, ts: seconds(1, 1) })).toThrow(/BUG/);
    expect(() => encodeSegment({ ...ok, ts: Float64Array.of(NaN, 1) })).toThrow(/BUG/);
    expect(() => encodeSegment({ ...ok, values: [Float64Array.of(1)] })).toThrow(/BUG/);
    expect(() => encodeSegment({ ...ok, fields: [] })).toThrow(/BUG/);
    expect(() => encodeSegment({ ...ok, blockSizeUs: 0 })).toThrow(/BUG/);
    expect(() => encodeSegment({ ...ok, fields: ['x'.repeat(256)] })).toThrow(/BUG/);
  });
});

describe('segment format version 1', () => {
  it('encodes the golden input to the golden bytes', () => {
    expect(toHex(encodeSegment(GOLDEN_INPUT))).toBe(GOLDEN_HEX);
  });

  it.each([GOLDEN_HEX, ...OLDER_FIXTURES])('decodes the version-1 fixture %#', (hex) => {
    const out = decodeSegment(fromHex(hex));
    expect(out.fields).toEqual(GOLDEN_INPUT.fields);
    expect(firstDifference(out.ts, GOLDEN_INPUT.ts)).toBe(-1);
    out.values.forEach((col, j) => expect(firstDifference(col, GOLDEN_INPUT.values[j])).toBe(-1));
  });

  it('has a 32-byte fixed header: version, flags, fieldCount, rowCount, minTs, maxTs, blockSizeUs', () => {
    const bytes = fromHex(GOLDEN_HEX);
    const view = new DataView(bytes.buffer);
    expect(SEGMENT_HEADER_SIZE).toBe(32);
    expect(bytes[0]).toBe(SEGMENT_VERSION);
    expect(view.getUint16(2, true)).toBe(5);
    expect(view.getUint32(4, true)).toBe(6);
    expect(view.getFloat64(8, true)).toBe(T0);
    expect(view.getFloat64(16, true)).toBe(T0 + 6e6);
    expect(view.getFloat64(24, true)).toBe(3e6);
    expect(bytes[32]).toBe(4); // first field name's length: 'open'
    expect(view.getUint32(bytes.length - 4, true)).toBe(hash32(bytes, 0, bytes.length - 4));
  });
});

describe('segments in Node Buffers (RocksDB hands values over as Buffers at any offset)', () => {
  it.each([0, 1, 3, 8])('decodes from a Buffer view at byte offset %i of a shared pool', (offset) => {
    const bytes = encodeSegment(GOLDEN_INPUT);
    const pool = Buffer.alloc(bytes.length + 16, 0xee);
    pool.set(bytes, offset);
    const view = pool.subarray(offset, offset + bytes.length);
    const out = decodeSegment(view, 'k');
    GOLDEN_INPUT.values.forEach((col, j) => expect(firstDifference(out.values[j], col)).toBe(-1));
    expect(readSegmentSummary(view).rowCount).toBe(6);
  });
});

describe('readSegmentSummary()', () => {
  it('reads row count, time range and fields from the header', () => {
    expect(readSegmentSummary(fromHex(GOLDEN_HEX), 'k')).toEqual({ rowCount: 6, minTs: T0, maxTs: T0 + 6e6, fields: GOLDEN_INPUT.fields, blockSizeUs: 3e6 });
  });

  it('reports NaN times for an empty segment', () => {
    const s = readSegmentSummary(encodeSegment({ ts: new Float64Array(0), fields: ['a'], values: [new Float64Array(0)], blockSizeUs: 1 }));
    expect(s.rowCount).toBe(0);
    expect(s.minTs).toBeNaN();
    expect(s.maxTs).toBeNaN();
  });

  it('agrees with decodeSegment on any input', () => {
    fc.assert(
      fc.property(segmentInput(50), (input) => {
        const s = readSegmentSummary(encodeSegment(input));
        expect(s.rowCount).toBe(input.ts.length);
        expect(s.fields).toEqual(input.fields);
        if (input.ts.length > 0) expect([s.minTs, s.maxTs]).toEqual([input.ts[0], input.ts[input.ts.length - 1]]);
      }),
      { numRuns: 50 },
    );
  });
});

describe('corrupt segments', () => {
  const golden = fromHex(GOLDEN_HEX);
  const big = encodeSegment(fromSeries(generateBars({ symbols: 1, start: T0, count: 300, stepSec: 1, seed: 4 })[0]));

  /** Runs `fn` and asserts it throws a CorruptionError naming the key. */
  const expectCorruption = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(CorruptionError);
      expect((e as CorruptionError).key).toBe('seg/7');
      expect((e as Error).message).toContain('seg/7');
      return;
    }
    expect.fail('no CorruptionError');
  };

  it('detects a flip of any byte (every byte of the golden segment, every bit pattern sampled)', () => {
    for (let i = 0; i < golden.length; i++) {
      for (const mask of [0x01, 0x80, 0xff, 0x5a]) {
        const bad = golden.slice();
        bad[i] ^= mask;
        expectCorruption(() => decodeSegment(bad, 'seg/7'));
        expectCorruption(() => readSegmentSummary(bad, 'seg/7'));
      }
    }
  });

  it('detects a flipped byte anywhere in a 300-row segment', () => {
    fc.assert(
      fc.property(fc.nat(big.length - 1), fc.integer({ min: 1, max: 255 }), (i, mask) => {
        const bad = big.slice();
        bad[i] ^= mask;
        expectCorruption(() => decodeSegment(bad, 'seg/7'));
      }),
      { numRuns: 300 },
    );
  });

  it('detects truncation to any length', () => {
    for (let len = 0; len < golden.length; len++) expectCorruption(() => decodeSegment(golden.subarray(0, len), 'seg/7'));
    for (let len = 0; len < big.length; len += 7) expectCorruption(() => readSegmentSummary(big.subarray(0, len), 'seg/7'));
  });

  it('rejects another version byte even with a matching checksum', () => {
    const bad = withChecksum(golden, (b) => (b[0] = 2));
    expectCorruption(() => decodeSegment(bad, 'seg/7'));
  });

  it('throws only CorruptionError on malformed bytes that carry a valid checksum', () => {
    // The checksum stops real damage; this checks the decoder's own bounds checks (a bug or a
    // malicious peer), which must never crash with another error or read out of bounds.
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(golden, big), segmentInput(80).map(encodeSegment)), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 3 }), (src, edits) => {
        const bad = withChecksum(src, (b) => {
          for (const [at, v] of edits) b[at % (b.length - 4)] = v;
        });
        try {
          decodeSegment(bad, 'seg/7');
        } catch (e) {
          expect(e).toBeInstanceOf(CorruptionError);
        }
      }),
      { numRuns: 400 },
    );
  });
});

/** A copy of a stored value with `edit` applied and the trailing checksum recomputed. */
function withChecksum(src: Uint8Array, edit: (b: Uint8Array) => void): Uint8Array {
  const b = src.slice();
  edit(b);
  const end = b.length - 4;
  new DataView(b.buffer).setUint32(end, hash32(b, 0, end), true);
  return b;
}
