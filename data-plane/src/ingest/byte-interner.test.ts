import { describe, expect, it } from 'vitest';
import { ByteInterner, decodeBytes, hashBytes } from './byte-interner.ts';

const enc = new TextEncoder();

function intern(t: ByteInterner, s: string): number {
  const b = enc.encode(`  ${s} `); // names sit inside bodies, never at offset 0
  return t.intern(b, 2, b.length - 1, hashBytes(b, 2, b.length - 1));
}

describe('ByteInterner', () => {
  it('gives dense stable ids and decodes each name once', () => {
    const t = new ByteInterner(16);
    expect(intern(t, 'open')).toBe(0);
    expect(intern(t, 'close')).toBe(1);
    expect(intern(t, 'open')).toBe(0);
    expect(t.names).toEqual(['open', 'close']);
    const b = enc.encode('close');
    expect(t.find(b, 0, 5, hashBytes(b, 0, 5))).toBe(1);
    expect(t.equals(1, b, 0, 5)).toBe(true);
    expect(t.equals(0, b, 0, 5)).toBe(false);
    expect(t.find(b, 0, 4, hashBytes(b, 0, 4))).toBe(-1);
  });

  it('keeps every id through growth and rehashing (10K names), and forgets all on clear()', () => {
    const t = new ByteInterner(16);
    const names = Array.from({ length: 10_000 }, (_, k) => `stock.SH.${600000 + k}`);
    names.forEach((n, k) => expect(intern(t, n)).toBe(k));
    names.forEach((n, k) => expect(intern(t, n)).toBe(k));
    expect(t.size).toBe(10_000);
    t.flags[5] = 3;
    t.clear();
    expect(t.size).toBe(0);
    expect(intern(t, 'x')).toBe(0);
    expect(t.flags[0]).toBe(0);
  });

  it('decodes UTF-8 (and long names) correctly', () => {
    const t = new ByteInterner();
    expect(t.names[intern(t, '贵州茅台')]).toBe('贵州茅台');
    const long = 'x'.repeat(5000);
    expect(t.names[intern(t, long)]).toBe(long);
    expect(decodeBytes(enc.encode('abc'), 1, 3)).toBe('bc');
  });
});
