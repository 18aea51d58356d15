import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { MAX_TIME_US, MIN_TIME_US } from '../ingest/write-limits.ts';
import { checkRange, defaultTimeZoneFor, parseFields, parseFill, parseFormat, parsePrefix, parseSymbol, parseSymbolList, parseTimeBound, requireParam } from './params.ts';

const T = 1633046400; // 2021-10-01T00:00:00Z

function msg(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as Error).message;
  }
  throw new Error('did not throw');
}

describe('parseTimeBound()', () => {
  it.each([
    [String(T), 's', T * 1e6],
    [`${T}.5`, 's', T * 1e6 + 500_000],
    [`${T}000`, 'ms', T * 1e6],
    [`${T}000123`, 'us', T * 1e6 + 123],
    [`${T}000123456`, 'ns', T * 1e6 + 124], // 123.456 µs rounds up: t ≥ x ⇔ t ≥ ⌈x⌉
    [`${T}000123000`, 'ns', T * 1e6 + 123],
    [T, 's', T * 1e6],
    ['99999999999999', 's', MAX_TIME_US], // clamped to the storable range
    ['-5', 's', -5e6],
    ['-99999999999', 's', MIN_TIME_US],
  ] as const)('%s (%s) → %d µs', (text, p, us) => {
    expect(parseTimeBound(text, p, 'start')).toBe(us);
  });

  it('names the parameter and the unit of a bad value', () => {
    expect(msg(() => parseTimeBound('abc', 's', 'start'))).toBe('parameter "start": "abc" is not a number of seconds since the epoch (precision=s)');
    expect(msg(() => parseTimeBound('1e9', 'ms', 'end'))).toContain('"end"');
    expect(msg(() => parseTimeBound(undefined, 'ns', 'end'))).toBe('parameter "end" is required (nanoseconds since the epoch)');
    expect(msg(() => parseTimeBound(NaN, 's', 'start'))).toContain('"start"');
    expect(msg(() => parseTimeBound(true, 's', 'start'))).toContain('"start"');
  });
});

describe('request parameters', () => {
  it('requireParam() and checkRange() name what is missing or wrong', () => {
    expect(msg(() => requireParam('', 'symbol'))).toBe('parameter "symbol" is required');
    expect(msg(() => checkRange(5, 4))).toContain('end is before start');
    expect(() => checkRange(5, 5)).not.toThrow();
  });

  it('parseSymbol()/parseSymbolList() enforce the symbol charset and name the list index', () => {
    expect(parseSymbol('stock.SH.600519')).toBe('stock.SH.600519');
    expect(msg(() => parseSymbol('bad symbol'))).toContain('"symbol": "bad symbol" is not a valid symbol');
    expect(parseSymbolList('a,b,,c', { csv: true })).toEqual(['a', 'b', 'c']);
    expect(msg(() => parseSymbolList('a,b'))).toContain('must be a non-empty list');
    expect(msg(() => parseSymbolList(['ok', 'no/slash']))).toContain('"symbols[1]"');
    expect(msg(() => parseSymbolList([]))).toContain('"symbols" must be');
    expect(msg(() => parseSymbolList(undefined))).toContain('"symbols" is required');
  });

  it('parseFields() rejects bad names and duplicates', () => {
    expect(parseFields('open,close')).toEqual(['open', 'close']);
    expect(parseFields(undefined)).toBeUndefined();
    expect(msg(() => parseFields('open,,close'))).toContain('"fields"');
    expect(msg(() => parseFields('open,open'))).toContain('listed twice');
  });

  it('parseFill() needs an interval; parseFormat() knows json and csv; parsePrefix() the charset', () => {
    expect(parseFill('prev', true)).toBe('prev');
    expect(parseFill(undefined, false)).toBe('none');
    expect(msg(() => parseFill('zero', true))).toContain('"fill"');
    expect(msg(() => parseFill('null', false))).toContain('needs an "interval"');
    expect(parseFormat('csv')).toBe('csv');
    expect(msg(() => parseFormat('xml'))).toContain('"format"');
    expect(parsePrefix('stock.SH.')).toBe('stock.SH.');
    expect(msg(() => parsePrefix('a b'))).toContain('"prefix"');
  });

  it('defaultTimeZoneFor() uses the exchange part of kind.EXCHANGE.code', () => {
    const q = { default_timezone: 'UTC', exchange_timezones: { SH: 'Asia/Shanghai', US: 'America/New_York' } };
    expect(defaultTimeZoneFor('stock.SH.600519', q)).toBe('Asia/Shanghai');
    expect(defaultTimeZoneFor('stock.us.AAPL', q)).toBe('America/New_York');
    expect(defaultTimeZoneFor('AAPL', q)).toBe('UTC');
    expect(defaultTimeZoneFor('stock.XX.1', q)).toBe('UTC');
  });
});
