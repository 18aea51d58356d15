import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';
import { decodeGorilla } from './gorilla-decoder.ts';
import { encodeGorilla } from './gorilla-encoder.ts';
import { SPECIAL_VALUES } from './testing/arbitraries.ts';
import { firstDifference } from './testing/float-bits.ts';
import { naiveGorilla } from './testing/naive-codecs.ts';
import { CorruptionError } from '../errors.ts';

/** Doubles with raw bit patterns (NaN payloads included), mixed with nearby and special values. */
const values = fc.array(
  fc.oneof(
    fc.double(),
    fc.constantFrom(...SPECIAL_VALUES),
    fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff)).map(([lo, hi]) => new Float64Array(new Uint32Array([lo, hi]).buffer)[0]),
    fc.integer({ min: 0, max: 100 }).map((i) => 100 + i * 0.01),
  ),
  { maxLength: 80 },
);

describe('Gorilla XOR column', () => {
  it('writes exactly the bits of a naive BigInt implementation of the paper', () => {
    fc.assert(
      fc.property(values, (vals) => {
        const a = Float64Array.from(vals);
        const out = new ByteWriter();
        encodeGorilla(a, a.length, out);
        const r = new ByteReader(out.buf, 0, out.pos);
        const body = r.bytes(r.uvarint());
        expect(Array.from(body)).toEqual(Array.from(naiveGorilla(a)));
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips every bit pattern, NaN payloads included', () => {
    fc.assert(
      fc.property(values, (vals) => {
        const a = Float64Array.from(vals);
        const out = new ByteWriter();
        encodeGorilla(a, a.length, out);
        out.bytes(new Uint8Array(4)); // the slack a segment's checksum provides
        const back = new Float64Array(a.length);
        decodeGorilla(new ByteReader(out.buf, 0, out.pos - 4), a.length, back);
        expect(firstDifference(back, a)).toBe(-1);
        expect(Array.from(new Uint32Array(back.buffer))).toEqual(Array.from(new Uint32Array(a.buffer)));
      }),
      { numRuns: 300 },
    );
  });

  it('reports a stream far shorter than its rows as CorruptionError', () => {
    // (Up to 7 padding bits can read as "repeat": only the segment checksum catches that.)
    const a = Float64Array.from([1.5, 2.75, 1e300]);
    const out = new ByteWriter();
    encodeGorilla(a, a.length, out);
    out.bytes(new Uint8Array(4));
    expect(() => decodeGorilla(new ByteReader(out.buf, 0, out.pos - 4, 'k'), 40, new Float64Array(40))).toThrow(CorruptionError);
  });
});
