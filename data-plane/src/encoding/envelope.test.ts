import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash32 } from './checksum.ts';
import { ENVELOPE_HEADER_SIZE, ENVELOPE_OVERHEAD, unwrapValue, type ValueKind, wrapValue } from './envelope.ts';
import { fromHex, toHex } from './testing/float-bits.ts';
import { CorruptionError } from '../errors.ts';

const KINDS: ValueKind[] = ['segment', 'series-meta', 'wal', 'hint', 'meta', 'blob', 'routed-hint'];

/** A tiny run-length codec standing in for LZ4 (the real one is injected by the worker). */
function rle(b: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < b.length; ) {
    let n = 1;
    while (i + n < b.length && b[i + n] === b[i] && n < 255) n++;
    out.push(n, b[i]);
    i += n;
  }
  return Uint8Array.from(out);
}
function unrle(b: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 2) for (let k = 0; k < b[i]; k++) out.push(b[i + 1]);
  return Uint8Array.from(out);
}

function expectCorruption(fn: () => unknown, key = 'v/1'): void {
  expect(fn).toThrow(CorruptionError);
  expect(fn).toThrow(key);
}

describe('wrapValue() / unwrapValue()', () => {
  it('round-trips any payload of any kind, with or without compression', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.nat(400).map((n) => new Uint8Array(n).fill(7))), fc.boolean(), (kind, payload, compress) => {
        const stored = wrapValue(kind, payload, compress ? rle : undefined);
        const out = unwrapValue(stored, 'v/1', unrle);
        expect(out.kind).toBe(kind);
        expect(Array.from(out.payload)).toEqual(Array.from(payload));
      }),
      { numRuns: 300 },
    );
  });

  it('stores compressed only when that is smaller', () => {
    const repetitive = new Uint8Array(1000).fill(1);
    const random = Uint8Array.from({ length: 100 }, (_, i) => (i * 151) % 251);
    expect(wrapValue('segment', repetitive, rle)[2]).toBe(1);
    expect(wrapValue('segment', repetitive, rle).length).toBe(ENVELOPE_OVERHEAD + rle(repetitive).length);
    expect(wrapValue('segment', random, rle)[2]).toBe(0);
    expect(wrapValue('segment', random, rle).length).toBe(ENVELOPE_OVERHEAD + random.length);
  });

  it('returns uncompressed payloads as a view, without copying', () => {
    const stored = wrapValue('blob', Uint8Array.of(1, 2, 3));
    const { payload } = unwrapValue(stored);
    expect(payload.buffer).toBe(stored.buffer);
    expect(payload.byteOffset).toBe(ENVELOPE_HEADER_SIZE);
  });

  it('locks the format: golden bytes and a 12-byte overhead', () => {
    expect(ENVELOPE_OVERHEAD).toBe(12);
    expect(toHex(wrapValue('segment', Uint8Array.of(1, 2, 3)))).toBe('01010000030000000102031b75f1f7');
    expect(unwrapValue(fromHex('01010000030000000102031b75f1f7'))).toMatchObject({ kind: 'segment' });
  });

  it('detects any flipped byte or truncation as CorruptionError naming the key', () => {
    const stored = wrapValue('series-meta', new TextEncoder().encode('{"fields":["open","close"]}'));
    for (let i = 0; i < stored.length; i++) {
      const bad = stored.slice();
      bad[i] ^= 0x10;
      expectCorruption(() => unwrapValue(bad, 'v/1'));
    }
    for (let len = 0; len < stored.length; len++) expectCorruption(() => unwrapValue(stored.subarray(0, len), 'v/1'));
  });

  it.each<[string, (b: Uint8Array) => void]>([
    ['an unknown version', (b) => (b[0] = 9)],
    ['an unknown kind', (b) => (b[1] = 77)],
    ['unknown flags', (b) => (b[2] = 2)],
    ['a wrong raw length', (b) => (b[4] = 99)],
  ])('rejects %s even under a valid checksum', (_, edit) => {
    const b = wrapValue('blob', Uint8Array.of(1, 2, 3));
    edit(b);
    new DataView(b.buffer).setUint32(b.length - 4, hash32(b, 0, b.length - 4), true);
    expectCorruption(() => unwrapValue(b, 'v/1'));
  });

  it('reports a failing or lying decompressor as CorruptionError, a missing one as a bug', () => {
    const stored = wrapValue('segment', new Uint8Array(500), rle);
    expectCorruption(() =>
      unwrapValue(stored, 'v/1', () => {
        throw new Error('lz4: bad block');
      }),
    );
    expectCorruption(() => unwrapValue(stored, 'v/1', () => new Uint8Array(3)));
    expect(() => unwrapValue(stored, 'v/1')).toThrow(/BUG/);
  });
});
