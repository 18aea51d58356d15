import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { parseInterval } from './interval.ts';

describe('parseInterval()', () => {
  it.each([
    ['1s', 1e6, false],
    ['5m', 300e6, false],
    ['15m', 900e6, false],
    ['1h', 3600e6, false],
    ['4h', 4 * 3600e6, false],
    ['1d', 86_400e6, true],
    ['1w', 7 * 86_400e6, true],
  ] as const)('parses %s', (s, widthUs, calendar) => {
    const iv = parseInterval(s);
    expect(iv).toMatchObject({ text: s, widthUs, calendar });
  });

  it('weeks start on Monday (origin 1969-12-29), other units at the local epoch', () => {
    expect(new Date(parseInterval('1w').originUs / 1000).getUTCDay()).toBe(1);
    expect(parseInterval('2d').originUs).toBe(0);
  });

  it.each(['', '0m', '-1h', '+1h', '1', 'h', '1.5h', '01h', '1H', '1mo', '1y', ' 1h', '1h ', '1e3s', '3661d', '99999999999s'])(
    'rejects %j with a ValidationError',
    (s) => {
      expect(() => parseInterval(s)).toThrow(ValidationError);
      expect(() => parseInterval(s)).toThrow(/interval/);
    },
  );

  it('parses every Nu within the limit and prints it back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3660 }), fc.constantFrom('s', 'm', 'h', 'd'), (n, u) => {
        expect(parseInterval(`${n}${u}`).text).toBe(`${n}${u}`);
      }),
    );
  });

  it('never throws anything but ValidationError', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseInterval(s);
        } catch (e) {
          expect(e).toBeInstanceOf(ValidationError);
        }
      }),
    );
  });
});
