import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyColumn } from './decimal-scale.ts';
import { column, SPECIAL_VALUES } from './testing/arbitraries.ts';
import { naiveScale } from './testing/naive-codecs.ts';

function classify(values: Float64Array) {
  const m = new Float64Array(values.length + 1);
  const present = new Uint8Array(values.length);
  return { cls: classifyColumn(values, values.length, m, present), m, present };
}

describe('classifyColumn()', () => {
  it('finds the same scale as a naive search, and mantissas that decode to the values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }).chain((n) => column(n)), (values) => {
        const { cls, m, present } = classify(values);
        const naive = naiveScale(values);
        const allNaN = values.every(Number.isNaN);
        const constant = !allNaN && values.every((v) => Object.is(v, values[0]));
        if (allNaN) expect(cls.kind).toBe('absent');
        else if (constant) expect(cls.kind).toBe('constant');
        else if (naive === null) expect(cls.kind).toBe('gorilla');
        else {
          expect(cls).toMatchObject({ kind: 'decimal', scale: naive, hasAbsent: values.some(Number.isNaN) });
          values.forEach((v, i) => {
            expect(present[i]).toBe(Number.isNaN(v) ? 0 : 1);
            if (Number.isNaN(v)) expect(m[i + 1]).toBe(m[i]); // forward-filled
            else expect(naive >= 0 ? m[i + 1] / 10 ** naive : m[i + 1] * 10 ** -naive).toBe(v);
          });
        }
      }),
      { numRuns: 400 },
    );
  });

  it.each<[string, number[], string, number?]>([
    ['2-decimal prices', [10.01, 10.02, 9.99], 'decimal', 2],
    ['prices that climb from 1 to 3 decimals', [10, 10.5, 10.25, 10.125], 'decimal', 3],
    ['volumes in lots of 100', [100, 2300, 0, 500], 'decimal', -2],
    ['integers', [1, 2, 3, -7], 'decimal', 0],
    ['decimals with NaN holes', [NaN, 1.5, NaN, 2.5], 'decimal', 1],
    ['a −0 among decimals', [1.5, -0, 2.5], 'gorilla'],
    ['+Inf among decimals', [1.5, Infinity], 'gorilla'],
    ['ten decimals', [1.0000000001, 2], 'gorilla'],
    ['mantissas of 2^51', [2 ** 51 + 2, 1], 'gorilla'],
    ['a value exact only at a coarser scale with a big mantissa', [0.5, 1e15 + 1], 'gorilla'],
    ['all NaN', [NaN, NaN], 'absent'],
    ['one repeated value', [3.25, 3.25, 3.25], 'constant'],
    ['repeated +Inf', [Infinity, Infinity], 'constant'],
    ['repeated −0', [-0, -0], 'constant'],
    ['mixed ±0', [0, -0], 'gorilla'],
  ])('classifies %s', (_, values, kind, scale) => {
    const { cls } = classify(Float64Array.from(values));
    expect(cls.kind).toBe(kind);
    if (scale !== undefined) expect(cls.scale).toBe(scale);
  });

  it('never accepts a special value as decimal unless it is exactly representable', () => {
    for (const v of SPECIAL_VALUES.filter((x) => !Number.isNaN(x))) {
      const { cls, m } = classify(Float64Array.of(v, 1));
      if (cls.kind === 'decimal') expect(cls.scale >= 0 ? m[1] / 10 ** cls.scale : m[1] * 10 ** -cls.scale).toBe(v);
    }
  });
});
