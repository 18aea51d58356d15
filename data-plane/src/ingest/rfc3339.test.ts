import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { parseRfc3339Micros } from './rfc3339.ts';

describe('parseRfc3339Micros()', () => {
  it('equals Date.parse × 1000 on ISO strings of any ms instant 0001..9999, with any UTC offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1, 0, 1) + 86_400_000, max: Date.UTC(9999, 11, 30) }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (ms, offsetMin) => {
          // Render the instant in local time at `offsetMin`, then append the offset.
          const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, -1);
          if (local.startsWith('+') || local.startsWith('-')) return; // 6-digit years: not RFC 3339
          const sign = offsetMin < 0 ? '-' : '+';
          const a = Math.abs(offsetMin);
          const off = offsetMin === 0 ? 'Z' : `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
          expect(parseRfc3339Micros(local + off)).toBe(ms * 1000);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['2023-11-14T22:13:20Z', 1700000000000000],
    ['2023-11-14t22:13:20z', 1700000000000000],
    ['2023-11-14 22:13:20Z', 1700000000000000],
    ['2023-11-14T22:13:20.1Z', 1700000000100000],
    ['2023-11-14T22:13:20.123456Z', 1700000000123456],
    ['2023-11-14T22:13:20.1234569999Z', 1700000000123456],
    ['2023-11-15T06:13:20+08:00', 1700000000000000],
    ['2023-11-14T12:13:20-10:00', 1700000000000000],
    ['1969-12-31T23:59:59.999999Z', -1],
    ['1900-01-01T00:00:00Z', -2208988800000000],
    ['2000-02-29T00:00:00Z', 951782400000000],
  ])('%s → %d', (s, us) => {
    expect(parseRfc3339Micros(s)).toBe(us);
  });

  it.each([
    ['2023-11-14T22:13:20', 'missing UTC offset ("Z" or ±HH:MM)'],
    ['2023-11-14', 'expected "T" at offset 10'],
    ['2023-11-14T22:13Z', 'expected ":" at offset 16'],
    ['2023-13-01T00:00:00Z', 'month out of range'],
    ['2023-02-29T00:00:00Z', 'day out of range'],
    ['2100-02-29T00:00:00Z', 'day out of range'],
    ['2023-01-01T24:00:00Z', 'time of day out of range'],
    ['2023-01-01T23:59:60Z', 'time of day out of range'],
    ['2023-01-01T00:00:00.Z', 'expected fraction digits after "."'],
    ['2023-01-01T00:00:00+0800', 'expected ":" in offset at offset 22'],
    ['2023-01-01T00:00:00+24:00', 'offset out of range'],
    ['2023-01-01T00:00:00Z ', 'unexpected text at offset 20'],
    ['23-01-01T00:00:00Z', 'expected 4-digit year at offset 2'],
    ['', 'expected 4-digit year at offset 0'],
  ])('rejects %j: %s', (s, why) => {
    expect(() => parseRfc3339Micros(s)).toThrow(ValidationError);
    expect(() => parseRfc3339Micros(s)).toThrow(`is not an RFC 3339 date-time: ${why}`);
  });
});
