import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import type { Precision } from '../model.ts';
import { MAX_TIME_US, MIN_TIME_US, defaultTimeMicros, isTimeInRange, parsePrecision, timestampToMicros } from './write-limits.ts';

describe('timestampToMicros()', () => {
  it.each<[number, Precision, number]>([
    [1700000000, 's', 1700000000000000],
    [1700000000.123456, 's', 1700000000123456],
    [1700000000123, 'ms', 1700000000123000],
    [1700000000123.456, 'ms', 1700000000123456],
    [1700000000123456, 'us', 1700000000123456],
    [1700000000123456000, 'ns', 1700000000123456],
    [999, 'ns', 0],
    [-1, 'ns', -1],
    [-1000, 'ns', -1],
    [-0.4, 's', -400000],
    [-0.0000004, 's', 0],
    [-2208988800, 's', MIN_TIME_US],
  ])('%d %s → %d µs', (v, p, us) => {
    expect(Object.is(timestampToMicros(v, p), us)).toBe(true);
  });

  it.each<[number, Precision, string]>([
    [1.5, 'us', 'timestamp 1.5 must be an integer for precision us'],
    [1.5, 'ns', 'timestamp 1.5 must be an integer for precision ns'],
    [Infinity, 's', 'timestamp Infinity is not a finite number'],
    [NaN, 's', 'timestamp NaN is not a finite number'],
    [7258118400, 's', 'timestamp 7258118400 (precision s) is outside 1900-01-01..2200-01-01'],
    [-2208988800.000001, 's', 'timestamp -2208988800.000001 (precision s) is outside 1900-01-01..2200-01-01'],
    [1700000000000000, 's', 'timestamp 1700000000000000 (precision s) is outside 1900-01-01..2200-01-01'],
  ])('%d %s → %s', (v, p, message) => {
    expect(() => timestampToMicros(v, p)).toThrow(new ValidationError(message));
  });

  it('the range is [1900-01-01, 2200-01-01) in integer µs, below 2^53', () => {
    expect(MIN_TIME_US).toBe(-2208988800e6);
    expect(MAX_TIME_US).toBe(7258118400e6);
    expect(MAX_TIME_US < 2 ** 53).toBe(true);
    expect(isTimeInRange(MIN_TIME_US)).toBe(true);
    expect(isTimeInRange(MAX_TIME_US - 1)).toBe(true);
    expect(isTimeInRange(MAX_TIME_US)).toBe(false);
    expect(isTimeInRange(MIN_TIME_US - 1)).toBe(false);
    expect(isTimeInRange(1.5)).toBe(false);
    expect(isTimeInRange(NaN)).toBe(false);
  });
});

describe('defaultTimeMicros()', () => {
  it.each<[Precision, number]>([
    ['ns', 1700000000123456],
    ['us', 1700000000123456],
    ['ms', 1700000000123000],
    ['s', 1700000000000000],
  ])('truncates server time to precision %s (as InfluxDB)', (p, us) => {
    expect(defaultTimeMicros(1700000000123456.7, p)).toBe(us);
  });
});

describe('parsePrecision()', () => {
  it.each<[string | null | undefined, Precision]>([
    [undefined, 'ns'],
    [null, 'ns'],
    ['', 'ns'],
    ['s', 's'],
    ['ms', 'ms'],
    ['us', 'us'],
    ['u', 'us'],
    ['µs', 'us'],
    ['ns', 'ns'],
    ['n', 'ns'],
  ])('%j → %s', (param, want) => {
    expect(parsePrecision(param, 'ns')).toBe(want);
  });

  it('rejects anything else, naming it', () => {
    const e = (() => {
      try {
        parsePrecision('h', 's');
      } catch (err) {
        return err as ValidationError;
      }
    })();
    expect(e).toBeInstanceOf(ValidationError);
    expect(e!.message).toBe('precision "h" is not one of s, ms, us, ns');
    expect(e!.code).toBe('invalid_precision');
  });
});
