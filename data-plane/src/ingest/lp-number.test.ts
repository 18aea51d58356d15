import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KIND_FLOAT, KIND_INT, KIND_UINT, numberProblem, numberScan, readNumber, readNumberGeneral, readTimestamp } from './lp-number.ts';

const enc = new TextEncoder();

/** readNumber over `text` followed by `tail` (a terminator or nothing). */
function read(text: string, tail = '') {
  const buf = enc.encode(text + tail);
  const v = readNumber(buf, 0, buf.length);
  return { v, end: numberScan.end, kind: numberScan.kind };
}

/** Decimal float texts in the line-protocol grammar, including long mantissas and exponents. */
const floatText = fc
  .record({
    neg: fc.boolean(),
    int: fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 25 }),
    dot: fc.boolean(),
    frac: fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 25 }),
    exp: fc.option(fc.record({ e: fc.constantFrom('e', 'E'), sign: fc.constantFrom('', '+', '-'), digits: fc.integer({ min: 0, max: 400 }) })),
  })
  .filter((r) => r.int.length + (r.dot ? r.frac.length : 0) > 0)
  .map(
    (r) =>
      (r.neg ? '-' : '') +
      r.int +
      (r.dot ? `.${r.frac}` : '') +
      (r.exp ? `${r.exp.e}${r.exp.sign}${r.exp.digits}` : ''),
  );

describe('readNumber() equals Number() exactly (differential)', () => {
  it('on generated decimal texts of every shape', () => {
    fc.assert(
      fc.property(floatText, fc.constantFrom('', ',', ' ', '\n', '\r\n'), (text, tail) => {
        const r = read(text, tail);
        expect(Object.is(r.v, Number(text))).toBe(true);
        expect(r.end).toBe(text.length);
        expect(r.kind).toBe(KIND_FLOAT);
      }),
      { numRuns: 20_000 },
    );
  });

  it('on String(double) for every double, incl. denormals and extremes', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        const text = String(d);
        expect(Object.is(read(text).v, Number(text))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('on toFixed/toPrecision/toExponential renderings of prices', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: 0, max: 20 }), (d, k) => {
        for (const text of [d.toFixed(k), d.toPrecision(Math.max(1, k)), d.toExponential(k)]) {
          expect(Object.is(read(text).v, Number(text))).toBe(true);
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it('agrees with readNumberGeneral() (fast path vs general path)', () => {
    fc.assert(
      fc.property(floatText, (text) => {
        const buf = enc.encode(text);
        const a = readNumber(buf, 0, buf.length);
        const endA = numberScan.end;
        const b = readNumberGeneral(buf, 0, buf.length);
        expect(Object.is(a, b)).toBe(true);
        expect(endA).toBe(numberScan.end);
      }),
      { numRuns: 5_000 },
    );
  });

  it.each([
    ['1701.5', 1701.5],
    ['1702', 1702],
    ['.5', 0.5],
    ['1.', 1],
    ['-0', -0],
    ['0.1', 0.1],
    ['1e3', 1000],
    ['1.5E-3', 0.0015],
    ['-1.234456e+78', -1.234456e78],
    ['0000000000000000000001.5', 1.5],
    ['123456789.123456789', 123456789.12345679],
    ['9007199254740993', 9007199254740992],
  ])('reads %s as %d', (text, want) => {
    expect(Object.is(read(text, ' ').v, want)).toBe(true);
  });
});

describe('readNumber() integers (i / u suffix)', () => {
  it('reads int64 values like Number(BigInt) and rejects values outside int64', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), (b) => {
        const r = read(`${b}i`, ',');
        if (b >= -(2n ** 63n) && b < 2n ** 63n) {
          expect(Object.is(r.v, Number(b) === 0 ? 0 : Number(b))).toBe(true);
          expect(r.kind).toBe(KIND_INT);
          expect(r.end).toBe(`${b}i`.length);
        } else {
          expect(r.v).toBeNaN();
          expect(numberProblem(enc.encode(`${b}i`), 0, r.end)).toMatch(/outside the int64 range/);
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it('reads uint64 values and rejects negatives and values past 2^64-1', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 10n), max: 2n ** 65n }), (b) => {
        const r = read(`${b}u`);
        if (b >= 0n && b < 2n ** 64n) {
          expect(r.v).toBe(Number(b));
          expect(r.kind).toBe(KIND_UINT);
        } else {
          expect(r.v).toBeNaN();
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it.each([
    ['-0i', 0],
    ['12300i', 12300],
    ['-12i', -12],
    ['9223372036854775807i', 9223372036854775807],
    ['-9223372036854775808i', -9223372036854775808],
    ['18446744073709551615u', 18446744073709551615],
    ['007i', 7],
  ])('reads %s as %d', (text, want) => {
    expect(Object.is(read(text, ' ').v, want)).toBe(true);
  });
});

describe('readNumber() rejects what InfluxDB rejects', () => {
  it.each([
    ['-', /invalid number "-"/],
    ['.', /invalid number/],
    ['-.', /invalid number/],
    ['1.2.3', /invalid number "1.2.3"/],
    ['1e', /invalid number/],
    ['1e+', /invalid number/],
    ['1.5i', /invalid number/],
    ['1.i', /invalid number/],
    ['-1.i', /invalid number/],
    ['1e5i', /invalid number/],
    ['1i2', /invalid number/],
    ['12ii', /invalid number/],
    ['-1u', /is negative/],
    ['0x10', /invalid number/],
    ['1_000', /invalid number/],
    ['1-2', /invalid number/],
    ['9223372036854775808i', /outside the int64 range/],
    ['1e999', /not a finite number/],
    ['-1e400', /not a finite number/],
  ])('%s → %s', (text, message) => {
    const buf = enc.encode(`${text},next=1`);
    const v = readNumber(buf, 0, buf.length);
    expect(v - v).not.toBe(0); // NaN or ±Infinity
    expect(numberScan.end).toBe(text.length);
    expect(numberProblem(buf, 0, numberScan.end)).toMatch(message);
  });
});

/** Reference: floor(n × µs-per-unit) with exact integer arithmetic. */
function refMicros(n: bigint, precision: 's' | 'ms' | 'us' | 'ns'): bigint {
  if (precision === 's') return n * 1_000_000n;
  if (precision === 'ms') return n * 1000n;
  if (precision === 'us') return n;
  const q = n / 1000n; // BigInt division truncates toward zero; floor it
  return n < 0n && q * 1000n !== n ? q - 1n : q;
}

const UNIT = { s: [1e6, 1], ms: [1e3, 1], us: [1, 1], ns: [1, 1000] } as const;

describe('readTimestamp()', () => {
  it('equals exact floor(n × unit) for every precision, incl. negative ns (floored toward −∞)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('s', 'ms', 'us', 'ns'),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.constantFrom('', '\n', ' ', '\r\n'),
        (p, n, tail) => {
          const buf = enc.encode(`${n}${tail}`);
          const [mul, div] = UNIT[p];
          const us = readTimestamp(buf, 0, buf.length, mul, div);
          const ref = refMicros(n, p);
          expect(numberScan.end).toBe(`${n}`.length);
          if (ref > -(2n ** 52n) && ref < 2n ** 52n) expect(us).toBe(Number(ref));
          else expect(Number.isNaN(us) || Math.abs(us) >= 2 ** 52).toBe(true); // range check rejects
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it.each([
    ['1700000000000000000', 'ns', 1700000000000000],
    ['1700000000000000999', 'ns', 1700000000000000],
    ['-1', 'ns', -1],
    ['-1000', 'ns', -1],
    ['-1001', 'ns', -2],
    ['999', 'ns', 0],
    ['1700000000', 's', 1700000000000000],
    ['-2208988800', 's', -2208988800000000],
    ['1700000000123', 'ms', 1700000000123000],
    ['0001700000000', 's', 1700000000000000],
  ] as const)('%s (%s) → %d µs', (text, p, want) => {
    const buf = enc.encode(text);
    expect(readTimestamp(buf, 0, buf.length, UNIT[p][0], UNIT[p][1])).toBe(want);
  });

  it.each(['', '-', '12a', '1.5', '1e9', '--1', '+1'])('rejects %j', (text) => {
    const buf = enc.encode(`${text}\n`);
    expect(readTimestamp(buf, 0, buf.length, 1, 1000)).toBeNaN();
  });

  // The 19-digit ns fast path: every shape next to it must still take the exact general path.
  it.each([
    ['1704159000000000000', ''],
    ['1704159000000000999', ' '],
    ['0000000000000001999', '\n'],
    ['0000000000000000000', '\r\n'],
    ['9007198999999999999', ''],
    ['9007199000000000000', ''],
    ['9007199254740992999', ' '],
    ['9007199254740993000', ' '],
    ['9999999999999999999', ''],
    ['-1704159000000000001', ''],
    ['-1704159000000000000', '\n'],
    ['170415900000000000', ''],
    ['17041590000000000000', ''],
    ['-0000000000000000000', ''],
  ])('ns %s floors exactly like the reference', (text, tail) => {
    const buf = enc.encode(`${text}${tail}`);
    const us = readTimestamp(buf, 0, buf.length, 1, 1000);
    expect(numberScan.end).toBe(text.length);
    const ref = refMicros(BigInt(text), 'ns');
    if (ref < 2n ** 53n) expect(Object.is(us, Number(ref))).toBe(true);
    else expect(Number.isNaN(us) || us >= 2 ** 53).toBe(true); // past 2^53 µs: the range check rejects
  });

  it.each(['170415900000000000x', '1704159000000000000x', '170415900a000000000', '1704159000000000a00', '/704159000000000000', '1704159:00000000000'])(
    'ns rejects %j (digits then junk, or a non-digit among 19)',
    (text) => {
      const buf = enc.encode(`${text} `);
      expect(readTimestamp(buf, 0, buf.length, 1, 1000)).toBeNaN();
      expect(numberScan.end).toBe(text.length);
    },
  );
});
