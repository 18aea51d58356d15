import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSegmentSummary } from '../encoding/segment-codec.ts';
import { CorruptionError } from '../errors.ts';
import { encodeSegmentValue, readStoredSegmentSummary, unlz4 } from './segment-value.ts';
import { unwrapValue } from '../encoding/envelope.ts';
import type { SortedRows } from './sorted-rows.ts';

/** Sorted rows with `fields` (long names on purpose: headers past the first decoded bytes). */
function rows(n: number, fields: string[], seed: number): SortedRows {
  const ts = Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000_000 + i * 1_000_000);
  const values = fields.map((_, f) => Float64Array.from({ length: n }, (_, i) => Math.round(((i * (f + 3) + seed) % 997) * 100) / 100));
  return { ts, fields, values };
}

describe('readStoredSegmentSummary()', () => {
  it('reads the same header as a full decompress + verified read, compressed or not', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.array(fc.string({ minLength: 1, maxLength: 60 }).map((s) => `f_${s.replace(/[^A-Za-z0-9_]/g, 'x')}`), { minLength: 1, maxLength: 40 }).map((a) => [...new Set(a)]),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        (n, fields, compress, seed) => {
          const value = encodeSegmentValue(rows(n, fields, seed), 30_000_000, compress);
          const full = readSegmentSummary(unwrapValue(value, 'k', unlz4).payload, 'k');
          expect(readStoredSegmentSummary(value, 'k')).toEqual(full);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('still refuses a damaged value (its envelope checksum), naming the key', () => {
    const value = encodeSegmentValue(rows(4096, ['open', 'close'], 1), 30_000_000, true);
    const bad = value.slice();
    bad[bad.length >> 1] ^= 1;
    expect(() => readStoredSegmentSummary(bad, 'seg/1')).toThrow(CorruptionError);
    expect(() => readStoredSegmentSummary(bad, 'seg/1')).toThrow(/seg\/1/);
  });
});
