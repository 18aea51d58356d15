/**
 * Test helpers shared by the ingest tests (not used by production code): a plain-object view of
 * a WriteBatch, and a checker of the WriteBatch invariants every parser result must satisfy.
 */
import { expect } from 'vitest';
import { ValidationError } from '../errors.ts';
import type { WriteBatch } from '../model.ts';
import { MAX_TIME_US, MIN_TIME_US } from './write-limits.ts';

/** symbol → { ts: [...], field: [...] } with NaN shown as null, in the batch's order. */
export type PlainBatch = Record<string, Record<string, (number | null)[]>>;

/** A WriteBatch as plain data, for toEqual() (NaN → null; −0 kept as −0 by Object.is users). */
export function plain(batch: WriteBatch): PlainBatch {
  const out: PlainBatch = {};
  for (const s of batch.series) {
    const cols: Record<string, (number | null)[]> = { ts: Array.from(s.ts) };
    for (const [name, values] of s.columns) cols[name] = Array.from(values, (v) => (Number.isNaN(v) ? null : v));
    out[s.symbol] = cols;
  }
  return out;
}

/** Asserts the invariants of any parsed batch (shapes, integral in-range µs, finite-or-NaN values). */
export function expectWellFormed(batch: WriteBatch): void {
  let rows = 0;
  const seen = new Set<string>();
  for (const s of batch.series) {
    expect(seen.has(s.symbol)).toBe(false);
    seen.add(s.symbol);
    rows += s.ts.length;
    expect(s.ts.length).toBeGreaterThan(0);
    for (const t of s.ts) {
      expect(Number.isInteger(t)).toBe(true);
      expect(t >= MIN_TIME_US && t < MAX_TIME_US).toBe(true);
    }
    for (const [, values] of s.columns) {
      expect(values.length).toBe(s.ts.length);
      expect(values.byteOffset).toBe(0);
      expect(values.buffer.byteLength).toBe(values.length * 8);
      expect(values.some((v) => !Number.isNaN(v))).toBe(true);
      for (const v of values) expect(Number.isNaN(v) || Number.isFinite(v)).toBe(true);
    }
  }
  expect(batch.rowCount).toBe(rows);
}

/** Runs `fn` and returns the ValidationError it throws (fails if it throws anything else or nothing). */
export function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw new Error(`expected a ValidationError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a ValidationError, got a result');
}
