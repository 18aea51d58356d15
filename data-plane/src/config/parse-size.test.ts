import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSize } from './format-size.ts';
import { parseSize } from './parse-size.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

describe('parseSize()', () => {
  const ok: [unknown, number][] = [
    [0, 0],
    [4096, 4096],
    ['4096', 4096],
    ['512MB', 512 * MiB],
    ['1GB', GiB],
    ['64 MiB', 64 * MiB],
    ['100kb', 100 * KiB],
    ['100K', 100 * KiB],
    ['1.5G', 1.5 * GiB],
    ['.5KB', 512],
    ['2TB', 2 * 1024 * GiB],
    ['  8 mb ', 8 * MiB],
    ['10b', 10],
  ];
  it.each(ok)('parseSize(%j) is %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  const bad: unknown[] = ['abc', '', 'MB', '-1MB', '1PB', '1 G B', '1e3', '0x10', -1, 1.5, NaN, Infinity, null, true, {}, [], '99999999999TB'];
  it.each(bad)('parseSize(%j) throws a RangeError saying what it expected', (input) => {
    expect(() => parseSize(input)).toThrow(RangeError);
  });

  it('reads back every size formatSize() writes', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(parseSize(formatSize(n))).toBe(n);
      }),
    );
  });

  it('multiplies the number by the unit for every unit spelling', () => {
    const units: [string, number][] = [
      ['', 1], ['b', 1], ['k', KiB], ['KB', KiB], ['KiB', KiB], ['m', MiB], ['MB', MiB], ['mib', MiB],
      ['g', GiB], ['GB', GiB], ['GiB', GiB], ['tb', 1024 * GiB],
    ];
    fc.assert(
      fc.property(fc.nat(4096), fc.constantFrom(...units), fc.boolean(), (n, [unit, mult], space) => {
        expect(parseSize(`${n}${space ? ' ' : ''}${unit}`)).toBe(n * mult);
      }),
    );
  });

  it('throws nothing but RangeError on any input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything()), (input) => {
        try {
          const n = parseSize(input);
          expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(RangeError);
        }
      }),
    );
  });
});

describe('formatSize()', () => {
  it.each([
    [0, '0'],
    [GiB, '1GB'],
    [768 * MiB, '768MB'],
    [1536 * KiB, '1536KB'],
    [1000, '1000'],
  ])('formatSize(%d) is %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });
});
