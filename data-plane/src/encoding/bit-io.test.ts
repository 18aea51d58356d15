import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader } from './bit-reader.ts';
import { BitWriter } from './bit-writer.ts';
import { NaiveBits } from './testing/naive-codecs.ts';
import { CorruptionError } from '../errors.ts';

/** A run of values of one width, written by one of the writer's entry points (values ≤ 2^53: exact doubles). */
const run = fc.integer({ min: 0, max: 54 }).chain((width) =>
  fc.record({
    width: fc.constant(width),
    kind: fc.constantFrom('offset', 'zigzag', 'bits'),
    values: fc.array(fc.bigInt({ min: 0n, max: width === 54 ? 1n << 53n : (1n << BigInt(width)) - 1n }), { maxLength: 40 }).map((a) => a.map(Number)),
  }),
);

const unzig = (u: number) => (u % 2 === 0 ? u / 2 : -(u + 1) / 2);

describe('BitWriter / BitReader', () => {
  it('write the same bytes as a naive bit array and read them back, widths 0–54', () => {
    fc.assert(
      fc.property(fc.array(run, { maxLength: 8 }), fc.integer({ min: -5, max: 5 }), (runs, min) => {
        const w = new BitWriter(16);
        const naive = new NaiveBits();
        for (const run of runs) {
          const { width, kind } = run;
          // writeOffset takes r[i] = value + min, which must be an exact double (≤ 2^53).
          if (kind === 'offset') run.values = run.values.filter((v) => Number.isSafeInteger(v + min));
          const values = run.values;
          for (const v of values) naive.push(v, width);
          if (kind === 'offset') w.writeOffset(Float64Array.from(values, (v) => v + min), 0, values.length, width, min);
          else if (kind === 'zigzag') w.writeZigzag(Float64Array.from(values, unzig), 0, values.length, width);
          else for (const v of values) if (width <= 32) w.writeBits(v, width);
          if (kind === 'bits' && width > 32) naive.bits.length -= values.length * width; // writeBits takes ≤ 32 bits
        }
        const len = w.flush();
        const expected = naive.bytes();
        expect(Array.from(w.buf.subarray(0, len))).toEqual(Array.from(expected));

        const buf = new Uint8Array(len + 4);
        buf.set(w.buf.subarray(0, len));
        const r = new BitReader(buf, 0, len);
        for (const { width, kind, values } of runs) {
          if (kind === 'bits' && width > 32) continue;
          const out = new Float64Array(values.length);
          if (kind === 'zigzag') {
            r.readZigzag(out, values.length, width);
            expect(Array.from(out)).toEqual(values.map(unzig));
          } else {
            r.readValues(out, values.length, width);
            expect(Array.from(out)).toEqual(values);
          }
        }
        expect(r.remaining).toBeLessThan(8);
      }),
      { numRuns: 300 },
    );
  });

  it('BitReader.need() reports an overrun as CorruptionError with the key', () => {
    const r = new BitReader(new Uint8Array(8), 0, 1, 'seg/1');
    expect(() => r.readValues(new Float64Array(3), 3, 3)).toThrow(CorruptionError);
    expect(() => r.readValues(new Float64Array(3), 3, 3)).toThrow(/seg\/1/);
  });
});
