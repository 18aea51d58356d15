import { describe, expect, it } from 'vitest';
import { planChunks } from './chunking.ts';

const rows = (n: number, start: number, step: number) => Float64Array.from({ length: n }, (_, i) => start + i * step);

describe('planChunks()', () => {
  it.each<[string, Float64Array, number, number[]]>([
    ['no rows', new Float64Array(0), 30e6, []],
    ['one row', rows(1, 5, 1), 30e6, [1]],
    ['1-second bars: one 30-row chunk per 30-second block', rows(90, 0, 1e6), 30e6, [30, 30, 30]],
    ['1-second bars starting mid-block', rows(70, 20e6, 1e6), 30e6, [40, 30]],
    ['3-second ticks: blocks merge until a chunk holds 24 rows', rows(60, 0, 3e6), 30e6, [30, 30]],
    ['1-minute bars: one row per block, 24-row chunks', rows(50, 0, 60e6), 30e6, [24, 24, 2]],
    ['a dense block is cut every 256 rows', rows(600, 0, 1), 30e6, [256, 256, 88]],
    ['negative timestamps use floor division', rows(60, -30e6, 1e6), 30e6, [30, 30]],
  ])('%s', (_, ts, block, expected) => {
    expect(planChunks(ts, ts.length, block)).toEqual(expected);
  });
});
