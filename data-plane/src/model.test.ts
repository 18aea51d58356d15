import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidSymbol, SYMBOL_PATTERN } from './model.ts';

describe('isValidSymbol', () => {
  it('agrees with SYMBOL_PATTERN on every single character and on every length edge', () => {
    for (let c = 0; c < 0x3000; c++) {
      const ch = String.fromCharCode(c);
      expect(isValidSymbol(ch), `U+${c.toString(16)}`).toBe(SYMBOL_PATTERN.test(ch));
      expect(isValidSymbol(`AB${ch}C`)).toBe(SYMBOL_PATTERN.test(`AB${ch}C`));
    }
    for (const n of [0, 1, 127, 128, 129, 300]) expect(isValidSymbol('a'.repeat(n))).toBe(SYMBOL_PATTERN.test('a'.repeat(n)));
  });

  it('agrees with SYMBOL_PATTERN on random strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 140, unit: 'grapheme' }), (s) => {
      expect(isValidSymbol(s)).toBe(SYMBOL_PATTERN.test(s));
    }));
  });
});
