import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import type { Precision } from '../model.ts';
import { parseLineProtocol, type LineProtocolOptions } from './line-protocol-parser.ts';
import { expectWellFormed, plain, validationError } from './test-support.ts';

const enc = new TextEncoder();
const T0 = 1700000000; // 2023-11-14T22:13:20Z, in seconds

function lp(text: string, opts: Partial<LineProtocolOptions> = {}) {
  const batch = parseLineProtocol(enc.encode(text), { precision: 'ns', ...opts });
  expectWellFormed(batch);
  return plain(batch);
}

function lpError(text: string, opts: Partial<LineProtocolOptions> = {}): string {
  return validationError(() => parseLineProtocol(enc.encode(text), { precision: 'ns', ...opts })).message;
}

describe('parseLineProtocol() accepts the InfluxDB line protocol', () => {
  it('parses an OHLCV line with the symbol tag naming the series', () => {
    expect(
      lp('bars,symbol=stock.SH.600519 open=1701.5,high=1702,low=1700.25,close=1701,volume=12300i 1700000000000000000'),
    ).toEqual({
      'stock.SH.600519': { ts: [1700000000000000], open: [1701.5], high: [1702], low: [1700.25], close: [1701], volume: [12300] },
    });
  });

  it.each<[string, string, Record<string, Record<string, (number | null)[]>>]>([
    ['measurement names the series without a symbol tag', 'stock.SH.600519 close=1 1700000000000000000', { 'stock.SH.600519': { ts: [1700000000000000], close: [1] } }],
    ['other tags are ignored', 'bars,exchange=SH,symbol=X,kind=stock close=1 1700000000000000000', { X: { ts: [1700000000000000], close: [1] } }],
    ['escaped comma, space, equals in ignored tag keys and values', 'bars,tag\\ k\\,e\\=y=v\\,a\\ l\\=ue,symbol=X close=1 1700000000000000000', { X: { ts: [1700000000000000], close: [1] } }],
    ['escaped comma and space in an ignored measurement', 'my\\ meas\\,x,symbol=X close=1 1700000000000000000', { X: { ts: [1700000000000000], close: [1] } }],
    ['unescaped "=" in a measurement is an ordinary byte', 'm=x,symbol=X close=1 1700000000000000000', { X: { ts: [1700000000000000], close: [1] } }],
    ['a literal backslash in an ignored tag value', 'bars,path=C:\\dir,symbol=X close=1 1700000000000000000', { X: { ts: [1700000000000000], close: [1] } }],
    ['UTF-8 in ignored tags', 'bars,name=贵州茅台,symbol=X close=1 1700000000000000000', { X: { ts: [1700000000000000], close: [1] } }],
    [
      'float forms and i/u integers',
      'X a=1,b=-1.5,c=.5,d=1.,e=1e3,f=1.5E-3,g=-1.234456e+78,h=12i,i=-12i,j=12u,k=0007,l=-0i 1700000000000000000',
      { X: { ts: [1700000000000000], a: [1], b: [-1.5], c: [0.5], d: [1], e: [1000], f: [0.0015], g: [-1.234456e78], h: [12], i: [-12], j: [12], k: [7], l: [0] } },
    ],
    ['a repeated field: the last value wins (as InfluxDB)', 'X a=1,a=2 1700000000000000000', { X: { ts: [1700000000000000], a: [2] } }],
    [
      'comments, blank lines, leading blanks, CRLF, trailing spaces, several spaces between sections',
      '# header\n\n   \t\r\n  X a=1   1700000000000000000  \r\n\t# indented comment\nX    a=2 1700000001000000000\r\n\n',
      { X: { ts: [1700000000000000, 1700000001000000], a: [1, 2] } },
    ],
    ['no trailing newline', 'X a=1 1700000000000000000\nX a=2 1700000001000000000', { X: { ts: [1700000000000000, 1700000001000000], a: [1, 2] } }],
    ['a final CR without LF', 'X a=1 1700000000000000000\r', { X: { ts: [1700000000000000], a: [1] } }],
    [
      'a field first seen later is absent (NaN) in earlier rows; fields may come in any order',
      'X a=1 1700000000000000000\nX b=2,a=3 1700000001000000000\nX b=4 1700000002000000000',
      { X: { ts: [1700000000000000, 1700000001000000, 1700000002000000], a: [1, 3, null], b: [null, 2, 4] } },
    ],
    [
      'series keep first-seen order, rows keep arrival order (unsorted, duplicates kept)',
      'B a=1 1700000005000000000\nA a=2 1700000000000000000\nB a=3 1700000001000000000\nB a=4 1700000001000000000',
      { B: { ts: [1700000005000000, 1700000001000000, 1700000001000000], a: [1, 3, 4] }, A: { ts: [1700000000000000], a: [2] } },
    ],
    ['an empty body is an empty batch', '', {}],
    ['only comments and blank lines', '# a\n\n# b\r\n', {}],
  ])('%s', (_name, text, want) => {
    expect(lp(text)).toEqual(want);
  });

  it('keeps −0 as −0', () => {
    const b = parseLineProtocol(enc.encode('X a=-0,b=-0.0 1700000000000000000'), { precision: 'ns' });
    expect(Object.is(b.series[0].columns.get('a')![0], -0)).toBe(true);
    expect(Object.is(b.series[0].columns.get('b')![0], -0)).toBe(true);
  });

  it.each<[Precision, string, number]>([
    ['s', '1700000000', 1700000000000000],
    ['ms', '1700000000123', 1700000000123000],
    ['us', '1700000000123456', 1700000000123456],
    ['ns', '1700000000123456789', 1700000000123456],
    ['ns', '-1', -1],
    ['ns', '-1001', -2],
    ['s', '-2208988800', -2208988800000000],
    ['ns', '-2208988800000000000', -2208988800000000],
  ])('precision %s: timestamp %s → %d µs (ns floored toward −∞)', (precision, ts, want) => {
    expect(lp(`X a=1 ${ts}`, { precision }).X.ts).toEqual([want]);
  });

  it.each<[Precision, number]>([
    ['ns', 1700000000123456],
    ['us', 1700000000123456],
    ['ms', 1700000000123000],
    ['s', 1700000000000000],
  ])('lines without a timestamp get defaultTimeUs truncated to precision %s (as InfluxDB)', (precision, want) => {
    expect(lp('X a=1\nX a=2 \r\n', { precision, defaultTimeUs: 1700000000123456 }).X.ts).toEqual([want, want]);
  });

  it('lines without a timestamp default to the server clock', () => {
    const before = Date.now() * 1000;
    const [t] = lp('X a=1', { precision: 'us' }).X.ts as number[];
    expect(t).toBeGreaterThanOrEqual(Math.floor(before));
    expect(t).toBeLessThanOrEqual(Date.now() * 1000 + 1);
  });

  it('the name cache is emptied past its bound without mixing up later parses', () => {
    const many = Array.from({ length: 100_005 }, (_, k) => `S${k} v=${k} 1700000000000000000`).join('\n');
    const big = parseLineProtocol(enc.encode(many), { precision: 'ns' });
    expect(big.series).toHaveLength(100_005);
    expect(big.series[99_999].symbol).toBe('S99999');
    expect(Array.from(big.series[99_999].columns.get('v')!)).toEqual([99_999]);
    expect(lp('S5 w=1 1700000000000000000\nS99999 v=2 1700000000000000000')).toEqual({
      S5: { ts: [1700000000000000], w: [1] },
      S99999: { ts: [1700000000000000], v: [2] },
    });
  });

  it('names repeated across parses are cached without mixing parses up', () => {
    const a = lp('X a=1 1700000000000000000\nY b=2 1700000000000000000');
    const b = lp('Y a=3 1700000000000000000\nX b=4 1700000000000000000');
    expect(a).toEqual({ X: { ts: [1700000000000000], a: [1] }, Y: { ts: [1700000000000000], b: [2] } });
    expect(b).toEqual({ Y: { ts: [1700000000000000], a: [3] }, X: { ts: [1700000000000000], b: [4] } });
  });
});

describe('parseLineProtocol() rejects the whole request with a message naming line and field', () => {
  it.each<[string, string]>([
    ['bars,symbol=X', 'line 1: missing fields'],
    ['bars,symbol=X   ', 'line 1: missing fields'],
    ['bars', 'line 1: missing fields'],
    ['bars\r\n', 'line 1: missing fields'],
    [',symbol=X f=1', 'line 1: missing measurement'],
    ['bars,=x f=1', 'line 1: missing tag key'],
    ['bars,symbol f=1', 'line 1: tag key "symbol" has no value'],
    ['bars,symbol= f=1', 'line 1: tag "symbol" has an empty value'],
    ['bars,symbol=a=b f=1', 'line 1: tag "symbol": unescaped "=" in tag value'],
    ['bars,symbol=X,symbol=Y f=1', 'line 1: more than one "symbol" tag'],
    ['bars,symbol=X, f=1', 'line 1: missing tag key after ","'],
    ['bars,symbol=X,', 'line 1: missing tag key after ","'],
    ['X f=', 'line 1: field "f": missing value'],
    ['X f= 1', 'line 1: field "f": missing value'],
    ['X =1', 'line 1: missing field key'],
    ['X f=1,', 'line 1: missing field key after ","'],
    ['X f=1, g=2', 'line 1: missing field key after ","'],
    ['X f', 'line 1: field "f" has no value'],
    ['X f,g=1', 'line 1: field "f" has no value'],
    ['X volume="abc"', 'line 1: field "volume": string values are not supported (got "abc")'],
    ['X note="a, b=c \\" d" 1', 'line 1: field "note": string values are not supported (got "a, b=c \\\\\\" d")'],
    ['X f=true', 'line 1: field "f": boolean values are not supported (got true)'],
    ['X f=F', 'line 1: field "f": boolean values are not supported (got F)'],
    ['X f=NaN', 'line 1: field "f": "NaN" is not a finite number'],
    ['X f=-Inf', 'line 1: field "f": invalid number "-Inf"'],
    ['X f=inf', 'line 1: field "f": "inf" is not a finite number'],
    ['X f=1e999', 'line 1: field "f": "1e999" is not a finite number'],
    ['X f=1.2.3', 'line 1: field "f": invalid number "1.2.3"'],
    ['X f=1.5i', 'line 1: field "f": invalid number "1.5i"'],
    ['X f=1.i', 'line 1: field "f": invalid number "1.i"'],
    ['X f=12i3', 'line 1: field "f": invalid number "12i3"'],
    ['X f=12.5x', 'line 1: field "f": invalid number "12.5x"'],
    ['X f=1234567890.5.1', 'line 1: field "f": invalid number "1234567890.5.1"'],
    ['X f=-1u', 'line 1: field "f": unsigned integer "-1u" is negative'],
    ['X f=9223372036854775808i', 'line 1: field "f": integer "9223372036854775808i" is outside the int64 range'],
    ['X f=18446744073709551616u', 'line 1: field "f": unsigned integer "18446744073709551616u" is outside the uint64 range'],
    ['X f=abc', 'line 1: field "f": invalid value "abc"'],
    ['X f=1 abc', 'line 1: invalid timestamp "abc"'],
    ['X f=1 1.5', 'line 1: invalid timestamp "1.5"'],
    ['X f=1 -', 'line 1: invalid timestamp "-"'],
    ['X f=1 1700000000000000000 extra', 'line 1: unexpected text after the timestamp: "extra"'],
    ['X f=1 1700000000000000000\t', 'line 1: invalid timestamp "1700000000000000000\\t"'],
    ['X f=1 99999999999999999999999', 'line 1: invalid timestamp "99999999999999999999999"'],
    ['X f=1 7258118400000000000', 'line 1: timestamp 7258118400000000000 (precision ns) is outside 1900-01-01..2200-01-01'],
    ['X f=1 -2208988800000000001', 'line 1: timestamp -2208988800000000001 (precision ns) is outside 1900-01-01..2200-01-01'],
    ['bad/symbol f=1', 'line 1: symbol "bad/symbol" may only contain A-Z a-z 0-9 . _ : -'],
    ['bars,symbol=my\\ sym f=1', 'line 1: symbol "my sym" may only contain A-Z a-z 0-9 . _ : -'],
    ['my\\,sym f=1', 'line 1: symbol "my,sym" may only contain A-Z a-z 0-9 . _ : -'],
    [`${'s'.repeat(129)} f=1`, `line 1: symbol "${'s'.repeat(80)}…" is longer than 128 characters`],
    ['X timestamp=1', 'line 1: field name "timestamp" is reserved'],
    ['X time=1', 'line 1: field name "time" is reserved'],
    ['X symbol=1', 'line 1: field name "symbol" is reserved'],
    ['X 1abc=1', 'line 1: field name "1abc" must start with a letter or _ and contain only A-Z a-z 0-9 _ . : -'],
    ['X a\\ b=1', 'line 1: field name "a b" must start with a letter or _ and contain only A-Z a-z 0-9 _ . : -'],
    ['X f=1 1700000000000000000\rX f=2', 'line 1: carriage return not followed by a line feed'],
    ['X\u0001 f=1', 'line 1: invalid control character 0x01 at byte 2 of the line'],
    ['# c\n\nX f=1 1700000000000000000\nX f="s"', 'line 4: field "f": string values are not supported (got "s")'],
  ])('%j → %s', (text, message) => {
    expect(lpError(text)).toBe(message);
  });

  it('a precision mix-up (ms sent as s) is out of range', () => {
    expect(lpError('X f=1 1700000000000', { precision: 's' })).toBe(
      'line 1: timestamp 1700000000000 (precision s) is outside 1900-01-01..2200-01-01',
    );
  });

  it('too many rows → request_too_large naming the limit', () => {
    const e = validationError(() => parseLineProtocol(enc.encode('X f=1\nX f=2\nX f=3'), { precision: 'ns', limits: { maxRows: 2 } }));
    expect(e.message).toBe('line 3: too many rows in one request (limit 2)');
    expect(e.code).toBe('request_too_large');
  });

  it('too many distinct fields × rows → request_too_large', () => {
    const body = Array.from({ length: 50 }, (_, k) => `X f${k}=1 ${T0 + k}000000000`).join('\n');
    const e = validationError(() => parseLineProtocol(enc.encode(body), { precision: 'ns', limits: { maxValues: 500 } }));
    expect(e.code).toBe('request_too_large');
    expect(e.message).toMatch(/^line \d+: request too large/);
  });

  it('uses code invalid_line_protocol for syntax errors', () => {
    expect(validationError(() => parseLineProtocol(enc.encode('X'), { precision: 'ns' })).code).toBe('invalid_line_protocol');
  });

  it('a parse after a failed parse is unaffected', () => {
    lpError('X f=1 1700000000000000000\nY g="bad"');
    expect(lp('Y g=1 1700000000000000000')).toEqual({ Y: { ts: [1700000000000000], g: [1] } });
  });
});

// ---------------------------------------------------------------------------------------------
// Property: random valid batches → line protocol (random but valid formatting) → same data.

const SYMBOL_CHARS = 'ABCXYZabcxyz0123456789._:-';
const symbolArb = fc.string({ unit: fc.constantFrom(...SYMBOL_CHARS), minLength: 1, maxLength: 20 });
const fieldArb = fc
  .tuple(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz_'), fc.string({ unit: fc.constantFrom(...'abcxyz0189_.:-'), maxLength: 10 }))
  .map(([a, b]) => a + b)
  .filter((f) => f !== 'time' && f !== 'timestamp' && f !== 'symbol');
const valueArb = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -1e9, max: 1e9 }).map((k) => k / 100),
  fc.integer({ min: -(2 ** 53), max: 2 ** 53 }),
);

interface GenRow {
  symbol: string;
  /** timestamp in the chosen precision, exact, as a BigInt */
  t: bigint;
  fields: [string, number][];
}

const MIN_S = -2208988800n; // 1900-01-01
const MAX_S = 7258118400n; // 2200-01-01 (exclusive)
const PER_S = { s: 1n, ms: 1000n, us: 1_000_000n, ns: 1_000_000_000n } as const;

function rowArb(p: Precision, symbols: string[], fields: string[]) {
  return fc.record({
    symbol: fc.constantFrom(...symbols),
    t: fc.bigInt({ min: MIN_S * PER_S[p], max: MAX_S * PER_S[p] - 1n }),
    fields: fc.uniqueArray(fc.tuple(fc.constantFrom(...fields), valueArb), { minLength: 1, maxLength: 6, selector: ([f]) => f }),
  });
}

const batchArb = fc
  .record({ p: fc.constantFrom<Precision>('s', 'ms', 'us', 'ns'), symbols: fc.uniqueArray(symbolArb, { minLength: 1, maxLength: 5 }), fields: fc.uniqueArray(fieldArb, { minLength: 1, maxLength: 8 }) })
  .chain(({ p, symbols, fields }) => fc.record({ p: fc.constant(p), rows: fc.array(rowArb(p, symbols, fields), { minLength: 1, maxLength: 40 }) }));

const formatArb = fc.record({
  symbolTag: fc.boolean(),
  extraTags: fc.boolean(),
  crlf: fc.boolean(),
  trailingNewline: fc.boolean(),
  spaces: fc.integer({ min: 1, max: 3 }),
  comments: fc.boolean(),
  intSuffix: fc.boolean(),
});

function toMicros(t: bigint, p: Precision): number {
  const us = p === 'ns' ? (t < 0n && t % 1000n !== 0n ? t / 1000n - 1n : t / 1000n) : (t * 1_000_000n) / PER_S[p];
  return Number(us);
}

/** The expected plain batch for generated rows (first-seen series order, arrival row order). */
function expected(rows: GenRow[], p: Precision) {
  const bySymbol = new Map<string, GenRow[]>();
  for (const r of rows) bySymbol.set(r.symbol, [...(bySymbol.get(r.symbol) ?? []), r]);
  const out: Record<string, Record<string, (number | null)[]>> = {};
  for (const [symbol, rs] of bySymbol) {
    const names = new Set(rs.flatMap((r) => r.fields.map(([f]) => f)));
    const cols: Record<string, (number | null)[]> = { ts: rs.map((r) => toMicros(r.t, p)) };
    for (const f of names) cols[f] = rs.map((r) => r.fields.find(([g]) => g === f)?.[1] ?? null);
    out[symbol] = cols;
  }
  return out;
}

/** String(v), except that −0 stays "-0" (String(-0) is "0"). */
function numText(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

type Format = typeof formatArb extends fc.Arbitrary<infer T> ? T : never;

function render(rows: GenRow[], f: Format): string {
  const eol = f.crlf ? '\r\n' : '\n';
  const sp = ' '.repeat(f.spaces);
  const lines = rows.map((r) => {
    const key = f.symbolTag ? `bars${f.extraTags ? ',exchange=SH\\ X' : ''},symbol=${r.symbol}${f.extraTags ? ',z\\=k=v\\,w' : ''}` : r.symbol;
    const fields = r.fields
      .map(([name, v]) => `${name}=${f.intSuffix && Number.isSafeInteger(v) && !Object.is(v, -0) ? `${v}i` : numText(v)}`)
      .join(',');
    return `${key}${sp}${fields}${sp}${r.t}`;
  });
  const body = (f.comments ? [`# generated${eol}`, ''] : ['']).join('') + lines.join(eol);
  return f.trailingNewline ? body + eol : body;
}

describe('parseLineProtocol() reuses a repeated timestamp only when its token is the same', () => {
  it.each<[string, number[]]>([
    ['X f=1 1700000000000000000\nX f=2 1700000000000000000\nX f=3 1700000001000000000', [1700000000000000, 1700000000000000, 1700000001000000]],
    ['X f=1 170000000000000000\nX f=2 1700000000000000000', [170000000000000, 1700000000000000]],
    ['X f=1 1700000000000000000\nX f=2 170000000000000000', [1700000000000000, 170000000000000]],
    ['X f=1 -1001\nX f=2 -1001\r\nX f=3 -1001 ', [-2, -2, -2]],
    ['X f=1 1700000000000000999\nX f=2\nX f=3 1700000000000000999', [1700000000000000, 1, 1700000000000000]],
  ])('%j', (text, ts) => {
    const batch = parseLineProtocol(enc.encode(text), { precision: 'ns', defaultTimeUs: 1 });
    expect(Array.from(batch.series[0].ts)).toEqual(ts);
  });

  it.each<[string, string]>([
    ['X f=1 1700000000000000000\nX f=2 1700000000000000000x', 'line 2: invalid timestamp "1700000000000000000x"'],
    ['X f=1 1700000000000000000\nX f=2 1700000000000000000\t', 'line 2: invalid timestamp "1700000000000000000\\t"'],
    ['X f=1 1700000000000000000\nX f=2 1700000000000000000 x', 'line 2: unexpected text after the timestamp: "x"'],
    ['X f=1 1700000000000000000\nX f=2 17000000000000000000', 'line 2: invalid timestamp "17000000000000000000"'],
  ])('%j → %s', (text, message) => {
    expect(lpError(text)).toBe(message);
  });
});

describe('parseLineProtocol() field values equal Number(text) (inline fast path vs readNumber)', () => {
  // Values of every length around the fast path's 9-digit limit, with and without '.', `i`,
  // sign, and each terminator (incl. the end of the body).
  const valueText = fc
    .record({
      neg: fc.boolean(),
      int: fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 12 }),
      dot: fc.boolean(),
      frac: fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 12 }),
    })
    .filter((r) => r.int.length + (r.dot ? r.frac.length : 0) > 0)
    .map((r) => `${r.neg ? '-' : ''}${r.int}${r.dot ? `.${r.frac}` : ''}`);

  it('floats and i-integers, followed by another field, the timestamp, a newline or nothing', () => {
    fc.assert(
      fc.property(valueText, fc.boolean(), fc.constantFrom(',g=1 1', ' 1700000000000000000', '\n', '\r\n', ''), (text, int, tail) => {
        const isInt = int && !text.includes('.');
        const body = `X f=${text}${isInt ? 'i' : ''}${tail}`;
        const want = isInt ? (BigInt(text) === 0n ? 0 : Number(text)) : Number(text);
        const got = parseLineProtocol(enc.encode(body), { precision: 'ns', defaultTimeUs: T0 * 1e6 }).series[0].columns.get('f')![0];
        expect(Object.is(got, want)).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it.each<[string, number]>([
    ['123456789', 123456789],
    ['1234567890', 1234567890],
    ['999999999i', 999999999],
    ['9999999999i', 9999999999],
    ['12345.6789', 12345.6789],
    ['0.000000001', 1e-9],
    ['0.0000000001', 1e-10],
    ['00000000.1', 0.1],
    ['1.', 1],
    ['007i', 7],
    ['0i', 0],
    ['-0i', 0],
    ['-0', -0],
    ['.5', 0.5],
  ])('%s → %d', (text, want) => {
    for (const tail of ['', '\n', ' 1700000000000000000', ',g=1']) {
      const got = parseLineProtocol(enc.encode(`X f=${text}${tail}`), { precision: 'ns', defaultTimeUs: T0 * 1e6 }).series[0].columns.get('f')![0];
      expect(Object.is(got, want)).toBe(true);
    }
  });
});

describe('parseLineProtocol() round trip (property)', () => {
  it('random valid batches → line protocol → the same rows', () => {
    fc.assert(
      fc.property(batchArb, formatArb, ({ p, rows }, f) => {
        const body = render(rows, f);
        const got = plain(parseLineProtocol(enc.encode(body), { precision: p }));
        expect(got).toEqual(expected(rows, p));
      }),
      { numRuns: 1500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzz: arbitrary bytes and mutated valid bodies never throw anything but ValidationError.

function parseOrReject(bytes: Uint8Array, precision: Precision): void {
  try {
    expectWellFormed(parseLineProtocol(bytes, { precision, defaultTimeUs: 1_700_000_000_000_000 }));
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    expect(e.message).toMatch(/^line \d+: /);
  }
}

const LP_ALPHABET = enc.encode('bars,symbol=X a=1.5,b=2i,c=-3e2 1700000000000000000 \\\n\r\t"#=, .-eiuEtf0123456789\u0000\u00ff');

describe('parseLineProtocol() fuzz', () => {
  it('random bytes: a batch or a ValidationError, never another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom<Precision>('s', 'ms', 'us', 'ns'), (bytes, p) => parseOrReject(bytes, p)),
      { numRuns: 5000 },
    );
  });

  it('bytes from the line-protocol alphabet (reaches deep into the grammar)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...LP_ALPHABET), { maxLength: 200 }), (arr) => parseOrReject(Uint8Array.from(arr), 'ns')),
      { numRuns: 10_000 },
    );
  });

  it('mutated valid bodies (replace / insert / delete bytes)', () => {
    const mutation = fc.record({ at: fc.nat(), kind: fc.constantFrom('replace', 'insert', 'delete'), byte: fc.constantFrom(...LP_ALPHABET) });
    fc.assert(
      fc.property(batchArb, formatArb, fc.array(mutation, { minLength: 1, maxLength: 6 }), ({ p, rows }, f, muts) => {
        const bytes = Array.from(enc.encode(render(rows, f)));
        for (const m of muts) {
          const at = m.at % (bytes.length + 1);
          if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
          else if (at < bytes.length) bytes.splice(at, 1, ...(m.kind === 'replace' ? [m.byte] : []));
        }
        parseOrReject(Uint8Array.from(bytes), p);
      }),
      { numRuns: 3000 },
    );
  });

  it('a 1 MB body of one unterminated token finishes quickly', () => {
    const t0 = performance.now();
    parseOrReject(new Uint8Array(1 << 20).fill(0x61), 'ns'); // "aaaa…": missing fields
    parseOrReject(enc.encode(`X f="${'a'.repeat(1 << 20)}`), 'ns');
    parseOrReject(enc.encode(`X f=${'1'.repeat(1 << 20)}`), 'ns');
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
