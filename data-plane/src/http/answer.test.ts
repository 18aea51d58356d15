import { describe, expect, it } from 'vitest';
import { answerCsv, answerJson, formatTimestamp, resultsJson, type Answer } from './answer.ts';

const a: Answer = {
  symbol: 'stock.SH.600519',
  interval: '1h',
  columns: ['timestamp', 'open', 'volume'],
  ts: Float64Array.of(1633046400_000000, 1633050000_000000),
  values: [Float64Array.of(10.5, NaN), Float64Array.of(1000, 2000)],
};

describe('answer rendering', () => {
  it('answerJson() gives the DESIGN §5 shape with NaN as null', () => {
    expect(JSON.parse(answerJson(a, 's'))).toEqual({
      symbol: 'stock.SH.600519',
      interval: '1h',
      columns: ['timestamp', 'open', 'volume'],
      rows: [
        [1633046400, 10.5, 1000],
        [1633050000, null, 2000],
      ],
    });
    expect(JSON.parse(answerJson({ ...a, interval: null, ts: new Float64Array(0), values: [new Float64Array(0), new Float64Array(0)] }, 's'))).toEqual({
      symbol: 'stock.SH.600519', interval: null, columns: ['timestamp', 'open', 'volume'], rows: [],
    });
  });

  it('formatTimestamp() writes every precision exactly, ns as µs digits + 000', () => {
    const us = 1633046400_123456;
    expect([formatTimestamp(us, 's'), formatTimestamp(us, 'ms'), formatTimestamp(us, 'us'), formatTimestamp(us, 'ns')]).toEqual([
      '1633046400.123456', '1633046400123.456', '1633046400123456', '1633046400123456000',
    ]);
    expect(formatTimestamp(0, 'ns')).toBe('0');
  });

  it('answerCsv() writes a header and one line a row, nulls empty', () => {
    expect(answerCsv(a, 'ms')).toBe('timestamp,open,volume\n1633046400000,10.5,1000\n1633050000000,,2000\n');
  });

  it('resultsJson() wraps answers in order', () => {
    const r = JSON.parse(resultsJson([a, { ...a, symbol: 'x' }], 's'));
    expect(r.results.map((x: { symbol: string }) => x.symbol)).toEqual(['stock.SH.600519', 'x']);
  });
});
