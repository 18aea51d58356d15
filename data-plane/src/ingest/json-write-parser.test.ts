import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import type { Precision } from '../model.ts';
import { parseJsonWrite, type JsonWriteOptions } from './json-write-parser.ts';
import { expectWellFormed, plain, validationError } from './test-support.ts';

const enc = new TextEncoder();
const T = 1700000000; // s
const US = T * 1e6;

function parse(body: string | Uint8Array, opts: Partial<JsonWriteOptions> = {}) {
  const batch = parseJsonWrite(body, { precision: 's', ...opts });
  expectWellFormed(batch);
  return plain(batch);
}

function error(body: string, opts: Partial<JsonWriteOptions> = {}): ValidationError {
  return validationError(() => parseJsonWrite(body, { precision: 's', ...opts }));
}

describe('parseJsonWrite() accepts the three shapes of DESIGN §5', () => {
  const want = { A: { ts: [US, US + 1e6], open: [1.5, 2], volume: [100, null] } };

  it('{"symbol", "rows"}', () => {
    expect(parse(JSON.stringify({ symbol: 'A', rows: [{ timestamp: T, open: 1.5, volume: 100 }, { timestamp: T + 1, open: 2 }] }))).toEqual(want);
  });

  it('an array of {symbol, timestamp, ...fields}', () => {
    expect(parse(JSON.stringify([{ symbol: 'A', timestamp: T, open: 1.5, volume: 100 }, { symbol: 'A', timestamp: T + 1, open: 2 }]))).toEqual(want);
  });

  it.each([
    ['by content type', 'application/x-ndjson; charset=utf-8', '{"symbol":"A","timestamp":1700000000,"open":1.5,"volume":100}\n{"symbol":"A","timestamp":1700000001,"open":2}\n'],
    ['by shape (no content type)', undefined, '{"symbol":"A","timestamp":1700000000,"open":1.5,"volume":100}\n{"symbol":"A","timestamp":1700000001,"open":2}'],
    ['by shape, under a JSON content type', 'application/json', '{"symbol":"A","timestamp":1700000000,"open":1.5,"volume":100}\r\n{"symbol":"A","timestamp":1700000001,"open":2}\r\n'],
    ['with blank lines and indentation (per-line path)', 'application/x-ndjson', '\n  {"symbol":"A","timestamp":1700000000,"open":1.5,"volume":100}\n\n\t{"symbol":"A","timestamp":1700000001,"open":2}  \n\n'],
    ['application/jsonl', 'application/jsonl', '{"symbol":"A","timestamp":1700000000,"open":1.5,"volume":100}\n{"symbol":"A","timestamp":1700000001,"open":2}'],
  ])('NDJSON %s', (_name, contentType, body) => {
    expect(parse(body, { contentType })).toEqual(want);
  });

  it('bytes with a UTF-8 BOM, and strings', () => {
    const text = JSON.stringify([{ symbol: 'A', timestamp: T, open: 1.5 }]);
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode(text)]);
    expect(parse(bom)).toEqual({ A: { ts: [US], open: [1.5] } });
    expect(parse(`\ufeff${text}`)).toEqual({ A: { ts: [US], open: [1.5] } });
  });

  it('a single row object (one-line NDJSON)', () => {
    expect(parse('{"symbol":"A","timestamp":1700000000,"open":1.5}')).toEqual({ A: { ts: [US], open: [1.5] } });
  });

  it.each(['', '   \n ', '[]'])('%j is an empty batch', (body) => {
    expect(parse(body)).toEqual({});
  });

  it.each(['', '   \n \r\n'])('%j is an empty NDJSON batch', (body) => {
    expect(parse(body, { contentType: 'application/x-ndjson' })).toEqual({});
  });

  it('groups rows by symbol in first-seen order, keeps arrival order, and NaN-fills absent/null fields', () => {
    const body = JSON.stringify([
      { symbol: 'B', timestamp: T + 5, price: 1 },
      { symbol: 'A', time: T, price: 2, bid: null },
      { symbol: 'B', timestamp: T + 1, bid: 3, price: null, ask: 4 },
      { symbol: 'B', timestamp: T + 1, price: 5 },
    ]);
    expect(parse(body)).toEqual({
      B: { ts: [US + 5e6, US + 1e6, US + 1e6], price: [1, null, 5], bid: [null, 3, null], ask: [null, 4, null] },
      A: { ts: [US], price: [2] },
    });
  });

  it.each<[Precision, unknown, number]>([
    ['s', 1700000000, US],
    ['s', 1700000000.123456, US + 123456],
    ['s', 1700000000.5, US + 500000],
    ['ms', 1700000000123, US + 123000],
    ['ms', 1700000000123.456, US + 123456],
    ['us', 1700000000123456, US + 123456],
    ['ns', 1700000000123456000, US + 123456],
    ['ns', -1001, -2],
    ['s', -2208988800, -2208988800e6],
    ['s', '2023-11-14T22:13:20Z', US],
    ['ns', '2023-11-14T22:13:20.123456789Z', US + 123456],
    ['s', '2023-11-15T06:13:20.5+08:00', US + 500000],
    ['s', '2023-11-14 22:13:20z', US],
  ])('precision %s: timestamp %j → %d µs', (precision, timestamp, us) => {
    expect(parse(JSON.stringify({ symbol: 'A', rows: [{ timestamp, x: 1 }] }), { precision }).A.ts).toEqual([us]);
  });

  it('keeps −0 (as JSON.parse does)', () => {
    const b = parseJsonWrite('[{"symbol":"A","timestamp":1700000000,"x":-0}]', { precision: 's' });
    expect(Object.is(b.series[0].columns.get('x')![0], -0)).toBe(true);
  });

  it('accepts a repeated symbol in a {symbol, rows} row when it is the same', () => {
    expect(parse('{"symbol":"A","rows":[{"symbol":"A","timestamp":1700000000,"x":1}]}')).toEqual({ A: { ts: [US], x: [1] } });
  });
});

describe('parseJsonWrite() rejects the whole request, naming row and field', () => {
  const row = (extra: Record<string, unknown>) => JSON.stringify([{ symbol: 'A', timestamp: T, x: 1 }, { symbol: 'A', timestamp: T, ...extra }]);
  it.each<[string, string]>([
    [row({ volume: 'abc' }), 'row 2: field "volume": strings are not supported (got "abc")'],
    [row({ volume: '12' }), 'row 2: field "volume": strings are not supported (got "12")'],
    [row({ volume: true }), 'row 2: field "volume": booleans are not supported (got true)'],
    [row({ volume: [1] }), 'row 2: field "volume": expected a number or null, got an array'],
    [row({ volume: { v: 1 } }), 'row 2: field "volume": expected a number or null, got an object'],
    [row({ rows: [] }), 'row 2: field "rows": "rows" is only allowed in the {"symbol": …, "rows": […]} form'],
    ['[{"symbol":"A","timestamp":1700000000,"x":1e999}]', 'row 1: field "x": Infinity is not a finite number'],
    [row({ 'bad name': 1 }), 'row 2: field name "bad name" must start with a letter or _ and contain only A-Z a-z 0-9 _ . : -'],
    [row({ '': 1 }), 'row 2: field name is empty'],
    [row({ x: null }), 'row 2: no field values (a row needs at least one non-null field)'],
    ['[{"symbol":"A","timestamp":1700000000}]', 'row 1: no field values (a row needs at least one non-null field)'],
    ['[{"timestamp":1700000000,"x":1}]', 'row 1: missing "symbol"'],
    ['[{"symbol":7,"timestamp":1700000000,"x":1}]', 'row 1: "symbol" must be a string, got number 7'],
    ['[{"symbol":"a b","timestamp":1700000000,"x":1}]', 'row 1: symbol "a b" may only contain A-Z a-z 0-9 . _ : -'],
    ['[{"symbol":"","timestamp":1700000000,"x":1}]', 'row 1: symbol is empty'],
    ['[{"symbol":"A","x":1}]', 'row 1: missing "timestamp"'],
    ['[{"symbol":"A","timestamp":1,"time":1,"x":1}]', 'row 1: both "timestamp" and "time" given (use one)'],
    ['[{"symbol":"A","timestamp":null,"x":1}]', 'row 1: timestamp must be a number or an RFC 3339 string, got null'],
    ['[{"symbol":"A","timestamp":"1700000000","x":1}]', 'row 1: timestamp "1700000000" is a string: send numbers as JSON numbers'],
    ['[{"symbol":"A","timestamp":"2023-11-14T22:13:20","x":1}]', 'row 1: timestamp "2023-11-14T22:13:20" is not an RFC 3339 date-time: missing UTC offset ("Z" or ±HH:MM)'],
    ['[{"symbol":"A","timestamp":"2023-02-29T00:00:00Z","x":1}]', 'row 1: timestamp "2023-02-29T00:00:00Z" is not an RFC 3339 date-time: day out of range'],
    ['[{"symbol":"A","timestamp":"2300-01-01T00:00:00Z","x":1}]', 'row 1: timestamp "2300-01-01T00:00:00Z" is outside 1900-01-01..2200-01-01'],
    ['[{"symbol":"A","timestamp":1700000000000,"x":1}]', 'row 1: timestamp 1700000000000 (precision s) is outside 1900-01-01..2200-01-01'],
    ['[1]', 'row 1: expected a row object, got number 1'],
    ['[{"symbol":"A","timestamp":1700000000,"x":1}, null]', 'row 2: expected a row object, got null'],
    ['[[1]]', 'row 1: expected a row object, got an array'],
    ['{"symbol":"A","rows":[{"timestamp":1700000000,"x":1}],"precision":"s"}', 'unknown top-level key "precision" (expected "symbol" and "rows")'],
    ['{"symbol":"A","rows":{}}', '"rows" must be an array of row objects'],
    ['{"rows":[]}', '"symbol" must be a string next to "rows"'],
    ['{"symbol":"A","rows":[{"symbol":"B","timestamp":1700000000,"x":1}]}', 'row 1: "symbol" "B" differs from the top-level symbol'],
    ['"text"', 'body must be a JSON object, an array of row objects, or NDJSON'],
    ['nope', 'body must be a JSON object, an array of row objects, or NDJSON'],
  ])('%s → %s', (body, message) => {
    const e = error(body);
    expect(e.message).toBe(message);
    expect(e.code).toBe('invalid_json_write');
  });

  it.each<[Precision, number, string]>([
    ['us', 1.5, 'row 1: timestamp 1.5 must be an integer for precision us'],
    ['ns', 1.5, 'row 1: timestamp 1.5 must be an integer for precision ns'],
  ])('precision %s rejects fractional %d', (precision, ts, message) => {
    expect(error(`[{"symbol":"A","timestamp":${ts},"x":1}]`, { precision }).message).toBe(message);
  });

  it('invalid JSON', () => {
    expect(error('[{"symbol":"A",').message).toMatch(/^invalid JSON: /);
    expect(error('{"symbol":"A",\n"x":}').message).toMatch(/^invalid JSON: /);
  });

  it('NDJSON errors name the body line (counting blank lines)', () => {
    const nd = '{"symbol":"A","timestamp":1700000000,"x":1}\n\n{"symbol":"A","timestamp":1700000000,"x":"s"}\n';
    expect(error(nd, { contentType: 'application/x-ndjson' }).message).toBe('line 3: field "x": strings are not supported (got "s")');
    expect(error('{"symbol":"A","timestamp":1700000000,"x":1}\n{"symbol":"A",\n', { contentType: 'application/x-ndjson' }).message).toMatch(/^line 2: invalid JSON: /);
    expect(error('{"symbol":"A","timestamp":1700000000,"x":1}\n[1]', { contentType: 'application/x-ndjson' }).message).toBe(
      'line 2: expected a row object, got an array',
    );
  });

  it('NDJSON: two objects on one line are rejected like per-line parsing does', () => {
    const r = '{"symbol":"A","timestamp":1700000000,"x":1}';
    expect(error(`${r},${r}\n${r}`, { contentType: 'application/x-ndjson' }).message).toMatch(/^line 1: invalid JSON: /);
  });

  it('too many rows → request_too_large', () => {
    const body = JSON.stringify([1, 2, 3].map((k) => ({ symbol: 'A', timestamp: T + k, x: k })));
    const e = validationError(() => parseJsonWrite(body, { precision: 's', limits: { maxRows: 2 } }));
    expect(e.code).toBe('request_too_large');
    expect(e.message).toBe('too many rows in one request: 3 (limit 2)');
    const nd = body.slice(1, -1).replaceAll('},{', '}\n{');
    expect(validationError(() => parseJsonWrite(nd, { precision: 's', contentType: 'application/x-ndjson', limits: { maxRows: 2 } })).code).toBe(
      'request_too_large',
    );
  });

  it('unknown precision', () => {
    expect(validationError(() => parseJsonWrite('[]', { precision: 'h' as Precision })).message).toBe('unknown precision "h"');
  });
});

// ---------------------------------------------------------------------------------------------
// Property: random valid batches → JSON / {symbol,rows} / NDJSON → the same data.

const symbolArb = fc.string({ unit: fc.constantFrom(...'ABCXYZabcxyz0123456789._:-'), minLength: 1, maxLength: 20 });
const fieldArb = fc
  .tuple(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz_'), fc.string({ unit: fc.constantFrom(...'abcxyz0189_.:-'), maxLength: 10 }))
  .map(([a, b]) => a + b)
  .filter((f) => f !== 'time' && f !== 'timestamp' && f !== 'symbol');
// JSON.stringify writes −0 as 0, so generated values use +0 (parsing "-0" is tested above).
const valueArb = fc
  .oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -1e9, max: 1e9 }).map((k) => k / 100))
  .map((v) => (v === 0 ? 0 : v));

interface GenRow {
  symbol: string;
  us: number;
  fields: [string, number | null][];
  timeKey: 'timestamp' | 'time';
  iso: boolean;
}

const MIN_US = -2208988800e6;
const MAX_US = 7258118400e6;

const rowArb = (symbols: string[], fields: string[]) =>
  fc.record({
    symbol: fc.constantFrom(...symbols),
    us: fc.integer({ min: MIN_US / 1e6, max: MAX_US / 1e6 - 1 }).chain((s) => fc.integer({ min: 0, max: 999_999 }).map((f) => s * 1e6 + f)),
    fields: fc
      .uniqueArray(fc.tuple(fc.constantFrom(...fields), fc.option(valueArb, { freq: 8 })), { minLength: 1, maxLength: 6, selector: ([f]) => f })
      .filter((fs) => fs.some(([, v]) => v !== null)),
    timeKey: fc.constantFrom<'timestamp' | 'time'>('timestamp', 'time'),
    iso: fc.boolean(),
  });

const batchArb = fc
  .record({ symbols: fc.uniqueArray(symbolArb, { minLength: 1, maxLength: 4 }), fields: fc.uniqueArray(fieldArb, { minLength: 1, maxLength: 8 }) })
  .chain(({ symbols, fields }) => fc.array(rowArb(symbols, fields), { minLength: 1, maxLength: 30 }));

/** RFC 3339 with exactly µs digits: what `us` means. */
function iso(us: number): string {
  const ms = Math.floor(us / 1000);
  const micros = us - ms * 1000;
  return new Date(ms).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
}

/** Seconds (ms) as float64 resolve every µs only before 2^31 s (2038): later ones go as ISO. */
const EXACT_FRACTION_US = 2 ** 31 * 1e6;

function jsonRow(r: GenRow, p: Precision, withSymbol: boolean): Record<string, unknown> {
  const inexact = (p === 's' || p === 'ms') && Math.abs(r.us) >= EXACT_FRACTION_US;
  const t = r.iso || inexact ? iso(r.us) : p === 'us' ? r.us : p === 'ns' ? r.us * 1000 : p === 'ms' ? r.us / 1e3 : r.us / 1e6;
  const o: Record<string, unknown> = withSymbol ? { symbol: r.symbol } : {};
  o[r.timeKey] = t;
  for (const [f, v] of r.fields) o[f] = v;
  return o;
}

function expected(rows: GenRow[]) {
  const bySymbol = new Map<string, GenRow[]>();
  for (const r of rows) bySymbol.set(r.symbol, [...(bySymbol.get(r.symbol) ?? []), r]);
  const out: Record<string, Record<string, (number | null)[]>> = {};
  for (const [symbol, rs] of bySymbol) {
    const names = new Set(rs.flatMap((r) => r.fields.filter(([, v]) => v !== null).map(([f]) => f)));
    const cols: Record<string, (number | null)[]> = { ts: rs.map((r) => r.us) };
    for (const f of names) cols[f] = rs.map((r) => r.fields.find(([g]) => g === f)?.[1] ?? null);
    out[symbol] = cols;
  }
  return out;
}

describe('parseJsonWrite() round trip (property)', () => {
  // ns numbers above 2^53 are not exact in JSON; s/ms fractions round to the µs: both are covered
  // by using precisions whose numbers are exact for these µs values (us, ns ≤ 2^53) or by ISO.
  const precisionArb = fc.constantFrom<Precision>('us', 's', 'ms');

  it('array of rows', () => {
    fc.assert(
      fc.property(batchArb, precisionArb, (rows, p) => {
        expect(parse(JSON.stringify(rows.map((r) => jsonRow(r, p, true))), { precision: p })).toEqual(expected(rows));
      }),
      { numRuns: 700 },
    );
  });

  it('NDJSON, with and without content type, LF or CRLF', () => {
    fc.assert(
      fc.property(batchArb, precisionArb, fc.boolean(), fc.constantFrom('\n', '\r\n'), (rows, p, typed, eol) => {
        const body = rows.map((r) => JSON.stringify(jsonRow(r, p, true))).join(eol) + eol;
        const contentType = typed ? 'application/x-ndjson' : undefined;
        expect(parse(body, { precision: p, contentType })).toEqual(expected(rows));
      }),
      { numRuns: 700 },
    );
  });

  it('{symbol, rows}', () => {
    fc.assert(
      fc.property(batchArb, precisionArb, (rows, p) => {
        const one = rows.map((r) => ({ ...r, symbol: rows[0].symbol }));
        const body = JSON.stringify({ symbol: one[0].symbol, rows: one.map((r) => jsonRow(r, p, false)) });
        expect(parse(body, { precision: p })).toEqual(expected(one));
      }),
      { numRuns: 700 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzz: arbitrary and mutated bodies never throw anything but ValidationError.

function parseOrReject(body: Uint8Array | string, contentType?: string): void {
  try {
    expectWellFormed(parseJsonWrite(body, { precision: 's', contentType }));
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
  }
}

describe('parseJsonWrite() fuzz', () => {
  it('random bytes and random JSON values', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.option(fc.constant('application/x-ndjson')), (b, ct) => parseOrReject(b, ct ?? undefined)),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (v, nd) => parseOrReject(JSON.stringify(v), nd ? 'application/x-ndjson' : undefined)),
      { numRuns: 3000 },
    );
  });

  it('rows with random keys and values', () => {
    const anyRow = fc.dictionary(fc.oneof(fc.constantFrom('symbol', 'timestamp', 'time', 'x', 'rows'), fc.string()), fc.jsonValue());
    fc.assert(
      fc.property(fc.array(anyRow, { maxLength: 5 }), fc.boolean(), (rows, nd) => {
        parseOrReject(nd ? rows.map((r) => JSON.stringify(r)).join('\n') : JSON.stringify(rows), nd ? 'application/x-ndjson' : undefined);
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated valid bodies', () => {
    const alphabet = [...'{}[],:"\n\r 0123456789.-eE', 'null', 'true', 'symbol', 'timestamp'];
    fc.assert(
      fc.property(batchArb, fc.array(fc.record({ at: fc.nat(), del: fc.boolean(), s: fc.constantFrom(...alphabet) }), { minLength: 1, maxLength: 5 }), fc.boolean(), (rows, muts, nd) => {
        let body = nd ? rows.map((r) => JSON.stringify(jsonRow(r, 's', true))).join('\n') : JSON.stringify(rows.map((r) => jsonRow(r, 's', true)));
        for (const m of muts) {
          const at = m.at % (body.length + 1);
          body = body.slice(0, at) + (m.del ? '' : m.s) + body.slice(at + (m.del ? 1 : 0));
        }
        parseOrReject(body, nd ? 'application/x-ndjson' : undefined);
      }),
      { numRuns: 3000 },
    );
  });
});
