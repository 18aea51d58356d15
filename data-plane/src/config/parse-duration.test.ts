import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration } from './parse-duration.ts';

describe('parseDuration()', () => {
  it.each([
    [30, 30],
    [0, 0],
    [0.5, 0.5],
    ['30', 30],
    ['30s', 30],
    ['5m', 300],
    ['1h', 3600],
    ['1h30m', 5400],
    ['500ms', 0.5],
    ['1d', 86400],
    ['2w', 1209600],
    [' 5M ', 300],
    ['1.5h', 5400],
  ] as [unknown, number][])('parseDuration(%j) is %d s', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each(['', 'abc', '5 m', '-5s', '5x', 's', '1h-30m', -1, NaN, Infinity, null, true, {}, []] as unknown[])(
    'parseDuration(%j) throws a RangeError',
    (input) => {
      expect(() => parseDuration(input)).toThrow(RangeError);
    },
  );

  it('adds up the parts of any well-formed duration', () => {
    const part = fc.tuple(fc.nat(1000), fc.constantFrom(['s', 1], ['m', 60], ['h', 3600], ['d', 86400]) as fc.Arbitrary<[string, number]>);
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
        const text = parts.map(([n, [u]]) => `${n}${u}`).join('');
        expect(parseDuration(text)).toBe(parts.reduce((s, [n, [, k]]) => s + n * k, 0));
      }),
    );
  });

  it('throws nothing but RangeError on any input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything()), (input) => {
        try {
          expect(parseDuration(input)).toBeGreaterThanOrEqual(0);
        } catch (err) {
          expect(err).toBeInstanceOf(RangeError);
        }
      }),
    );
  });
});
