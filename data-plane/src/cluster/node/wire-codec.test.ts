import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors.ts';
import { base64ToF64, candlesFromWire, candlesToWire, f64ToBase64, parseReadRequest, seriesFromWire, seriesToWire } from './wire-codec.ts';

describe('wire codec', () => {
  it('round-trips float64 columns bit for bit (NaN = absent, -0, huge timestamps)', () => {
    const a = Float64Array.from([0, -0, NaN, 1.5, -1e300, 2 ** 53 - 1, Number.MIN_VALUE]);
    const b = base64ToF64(f64ToBase64(a));
    expect(Buffer.from(b.buffer)).toEqual(Buffer.from(a.buffer));
    // a view at an odd offset encodes only its own bytes
    const view = new Float64Array(a.buffer, 8, 2);
    expect([...base64ToF64(f64ToBase64(view))]).toEqual([-0, NaN]);
  });

  it('round-trips SeriesData and CandleResult through JSON', () => {
    const d = { symbol: 's', fields: ['open', 'close'], ts: Float64Array.from([1, 2]), values: [Float64Array.from([1, NaN]), Float64Array.from([3, 4])] };
    expect(seriesFromWire(JSON.parse(JSON.stringify(seriesToWire(d))))).toEqual(d);
    const c = { symbol: 's', interval: '1m', columns: ['timestamp', 'open'], ts: Float64Array.from([60e6]), values: [Float64Array.from([9])] };
    expect(candlesFromWire(JSON.parse(JSON.stringify(candlesToWire(c))))).toEqual(c);
  });

  it('refuses malformed answers and requests with ValidationError', () => {
    expect(() => seriesFromWire({ symbol: 's', fields: ['a'], ts: f64ToBase64(Float64Array.from([1])), values: [] })).toThrow(ValidationError);
    expect(() => base64ToF64('AAAA')).toThrow(/not whole float64s/);
    expect(() => parseReadRequest({ op: 'drop', query: {} })).toThrow(/op "drop"/);
    expect(() => parseReadRequest({ op: 'range', query: { symbol: 's', start: '0', end: 1 } })).toThrow(/query.start/);
    expect(parseReadRequest({ op: 'latest', query: { symbols: ['a'] } })).toEqual({ op: 'latest', query: { symbols: ['a'] }, refuse_if_behind: false });
    expect(parseReadRequest({ op: 'range', query: { symbol: 's', start: 0, end: 1 }, refuse_if_behind: true }).refuse_if_behind).toBe(true);
  });
});
