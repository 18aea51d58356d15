import { describe, expect, it } from 'vitest';
import { chartSeries, prependRows } from './rows.mts';

const COLS = ['timestamp', 'open', 'high', 'low', 'close', 'volume', 'amount', 'vwap'];

describe('prependRows()', () => {
  it('concatenates windows that meet at a bucket boundary', () => {
    const older = [[60, 1, 2, 0.5, 1.5, 10, 100, 1.2]];
    const newer = [[120, 1.5, 3, 1, 2, 20, 200, 2.1]];
    expect(prependRows(COLS, older, newer)).toEqual([...older, ...newer]);
  });

  it('merges the two partial candles of a bucket cut by the window boundary as the server aggregates', () => {
    const older = [[0, 9, 9, 9, 9, 1, 1, 9], [60, 1, 4, 0.5, 3, 10, 100, 1.1]];
    const newer = [[60, 3, 3.5, 0.25, 2, 20, 200, 2.2], [120, 2, 2, 2, 2, 5, 50, 2]];
    expect(prependRows(COLS, older, newer)).toEqual([
      [0, 9, 9, 9, 9, 1, 1, 9],
      // open first, high max, low min, close last, volume/amount sum, other columns last
      [60, 1, 4, 0.25, 2, 30, 300, 2.2],
      [120, 2, 2, 2, 2, 5, 50, 2],
    ]);
  });

  it('keeps the known value when one side of a merged column is null', () => {
    expect(prependRows(COLS, [[60, 1, 2, 1, 2, null, 5, null]], [[60, null, 3, 1, 3, 4, null, 7]])).toEqual([[60, 1, 3, 1, 3, 4, 5, 7]]);
  });

  it('returns the other side when one is empty, and refuses windows that overlap by more than a bucket', () => {
    const rows = [[60, 1, 1, 1, 1, 1, 1, 1]];
    expect(prependRows(COLS, [], rows)).toBe(rows);
    expect(prependRows(COLS, rows, [])).toBe(rows);
    expect(() => prependRows(COLS, [[120, 1, 1, 1, 1, 1, 1, 1]], rows)).toThrow(/overlap/);
  });
});

describe('chartSeries()', () => {
  it('turns rows into candles and colored volume bars, skipping candles without prices', () => {
    const s = chartSeries(COLS, [[60, 1, 2, 0.5, 1.5, 10, 0, 0], [120, null, null, null, null, 0, 0, 0], [180, 2, 2, 1, 1, 5, 0, 0]]);
    expect(s.candles).toEqual([{ time: 60, open: 1, high: 2, low: 0.5, close: 1.5 }, { time: 180, open: 2, high: 2, low: 1, close: 1 }]);
    expect(s.volume).toEqual([{ time: 60, value: 10, up: true }, { time: 180, value: 5, up: false }]);
  });

  it('has no volume bars without a volume column, and names the columns when OHLC is missing', () => {
    expect(chartSeries(['timestamp', 'open', 'high', 'low', 'close'], [[0, 1, 1, 1, 1]]).volume).toBeNull();
    expect(() => chartSeries(['timestamp', 'price'], [[0, 1]])).toThrow(/columns: timestamp, price/);
  });
});
