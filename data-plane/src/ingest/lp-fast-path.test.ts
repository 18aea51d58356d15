import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import type { Precision } from '../model.ts';
import { runIngestTask } from './ingest-task.ts';
import { parseLineProtocolPacked } from './line-protocol-parser.ts';
import { FAST_PATH_MAX_BYTES, fastPathAvailable, parseLineProtocolFast, parseLineProtocolFastWithWal } from './lp-fast-path.ts';
import { PackedWriteBatch, type PackedBatch } from './packed-batch.ts';
import { decodeWalRecordV2Packed, sliceWalRecordV2 } from '../encoding/wal-record-v2.ts';
import { CorruptionError } from '../errors.ts';
import { decodeWalValue } from '../storage/wal-compact.ts';
import type { WriteBatch } from '../model.ts';
import { DEFAULT_WRITE_LIMITS } from './write-limits.ts';

const enc = new TextEncoder();
/** Server time for lines without a timestamp: fixed, so both parses of a body agree. */
const NOW_US = 1_700_000_000_000_000;

type PackedParse = typeof parseLineProtocolPacked;

/** What `parse` gives for `body`: its batch, or its ValidationError as `code: message`. */
function answer(parse: PackedParse, body: Uint8Array, precision: Precision, limits = DEFAULT_WRITE_LIMITS): PackedBatch | string {
  try {
    return parse(body, { precision, limits, defaultTimeUs: NOW_US });
  } catch (e) {
    if (e instanceof ValidationError) return `${e.code}: ${e.message}`;
    throw e;
  }
}

/** The reference parser's answer. */
const reference = (body: Uint8Array, precision: Precision, limits = DEFAULT_WRITE_LIMITS) => answer(parseLineProtocolPacked, body, precision, limits);
/** What a codec worker makes of the body (fast path first: ingest-task.ts). */
const packed = (body: Uint8Array, precision: Precision, limits = DEFAULT_WRITE_LIMITS) =>
  answer((b, opts) => runIngestTask({ kind: 'ingest', format: 'line-protocol', body: b.slice(), ...opts, walValue: false }).packed, body, precision, limits);

/** Exact equality of two packed batches (values compared with Object.is: NaN, -0). */
function expectSameBatch(a: PackedBatch, b: PackedBatch): void {
  expect(a.symbols).toEqual(b.symbols);
  expect(a.fieldNames).toEqual(b.fieldNames);
  expect(a.rowCount).toBe(b.rowCount);
  expect(Array.from(a.starts)).toEqual(Array.from(b.starts));
  expect(Array.from(a.present)).toEqual(Array.from(b.present));
  expect(a.data.length).toBe(b.data.length);
  for (let k = 0; k < a.data.length; k++) {
    if (!Object.is(a.data[k], b.data[k])) throw new Error(`data[${k}]: fast ${a.data[k]}, reference ${b.data[k]}`);
  }
}

/**
 * `decoded` (a WAL record read back) holds exactly the rows of `p` (of its series `only`, when
 * given), series and columns in order.
 */
function expectSameRows(decoded: WriteBatch, p: PackedBatch, only: Int32Array | null = null): void {
  const part = new PackedWriteBatch(p, only);
  const want = part.series;
  expect(decoded.rowCount).toBe(part.rowCount);
  expect(decoded.series.map((s) => s.symbol)).toEqual(want.map((s) => s.symbol));
  decoded.series.forEach((s, i) => {
    const w = want[i];
    expect([...s.columns.keys()]).toEqual([...w.columns.keys()]);
    const same = (a: Float64Array, b: Float64Array, what: string) => {
      expect(a.length).toBe(b.length);
      for (let k = 0; k < a.length; k++) if (!Object.is(a[k], b[k])) throw new Error(`${s.symbol} ${what}[${k}]: read back ${a[k]}, parsed ${b[k]}`);
    };
    same(s.ts, w.ts, 'ts');
    for (const [name, col] of w.columns) same(s.columns.get(name)!, col, name);
  });
}

/**
 * The fast path's batch and WAL record of `text`, the record checked against the batch: read back
 * by replay, by a peer (the packed decode), and as the slices a cluster coordinator forwards.
 */
function walRoundTrip(text: string, precision: Precision = 'ns'): { packed: PackedBatch; walRecord: Uint8Array | null } {
  const r = parseLineProtocolFastWithWal(enc.encode(text), precision);
  if (!r) throw new Error(`fast path did not take ${JSON.stringify(text.slice(0, 80))}`);
  if (!r.walRecord) return { packed: r.packed, walRecord: null };
  const { record } = r.walRecord;
  expectSameRows(decodeWalValue(record, 'wal/test'), r.packed);
  expectSameBatch(decodeWalRecordV2Packed(record), r.packed);
  const all = Int32Array.from(r.packed.symbols, (_, k) => k);
  // odd series (scattered ranges), the first half (one run), every series (the whole record)
  for (const only of [all.filter((k) => k % 2 === 1), all.slice(0, all.length >> 1), all]) {
    const slice = sliceWalRecordV2(r.walRecord, only, new PackedWriteBatch(r.packed, only).rowCount);
    expectSameRows(decodeWalValue(slice, 'wal/slice'), r.packed, only);
  }
  expect(sliceWalRecordV2(r.walRecord, all, r.packed.rowCount)).toEqual(record);
  return { packed: r.packed, walRecord: record };
}

/** Checks the fast path against the reference on one body; returns whether the fast path took it. */
function check(text: string, precision: Precision = 'ns', limits = DEFAULT_WRITE_LIMITS): boolean {
  const body = enc.encode(text);
  const ref = reference(body, precision, limits);
  const fast = parseLineProtocolFast(body, precision, limits);
  if (fast !== null) {
    if (typeof ref === 'string') throw new Error(`fast path accepted a body the reference rejects (${ref}): ${JSON.stringify(text)}`);
    expectSameBatch(fast, ref);
  }
  // The public parse gives the reference's answer either way (batch or the very same error).
  const pub = packed(body, precision, limits);
  if (typeof ref === 'string') expect(pub).toBe(ref);
  else expectSameBatch(pub as PackedBatch, ref);
  return fast !== null;
}

/** Time-major OHLCV body as the bench and bulk loaders send it. */
function ohlcvBody(symbols: number, rowsPerSymbol: number, t0Ns = 1704159000000000000n): string {
  const lines: string[] = [];
  for (let r = 0; r < rowsPerSymbol; r++) {
    const ts = t0Ns + BigInt(r) * 1_000_000_000n;
    for (let s = 0; s < symbols; s++) {
      const p = (10 + s + r / 100).toFixed(2);
      lines.push(`bars,symbol=stock.SH.${600000 + s} open=${p},high=${p},low=${p},close=${p},volume=${100 * (r + 1)}i ${ts}`);
    }
  }
  return lines.join('\n');
}

/** A line of the fast path's clean shape: decimals of up to `maxScale` places, ns timestamps up to `maxTsNs`. */
function cleanLine(maxScale: number, maxTsNs: bigint): fc.Arbitrary<string> {
  const sym = fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/);
  const key = fc.constantFrom('open', 'high', 'low', 'close', 'volume', 'a.b', '_c', 'x-1:2', 'Vwap');
  const value = fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: maxScale })).map(([m, f]) => (f === 0 ? `${m}` : (m / 10 ** f).toFixed(f))),
    fc.integer({ min: 0, max: 2 ** 40 }).map((v) => `${v}i`),
  );
  return fc
    .tuple(sym, fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 5 }), fc.bigInt({ min: 0n, max: maxTsNs }))
    .map(([s, fields, t]) => `bars,symbol=${s} ${fields.map(([k, v]) => `${k}=${v}`).join(',')} ${t}`);
}

describe('line-protocol fast path (WebAssembly)', () => {
  it('is built in the test environment (scripts/build-wasm.sh ran)', () => {
    expect(fastPathAvailable()).toBe(true);
  });

  it('takes time-major OHLCV bodies and gives exactly the reference batch', () => {
    expect(check(ohlcvBody(1000, 10))).toBe(true);
    expect(check(ohlcvBody(3, 50) + '\n')).toBe(true);
    expect(check(ohlcvBody(1, 1))).toBe(true);
  });

  it('agrees with the reference on every precision and on integral, fractional and long values', () => {
    for (const precision of ['ns', 'us', 'ms', 's'] as Precision[]) {
      const ts = { ns: '1700000000123456789', us: '1700000000123456', ms: '1700000000123', s: '1700000000' }[precision];
      expect(check(`X a=1,b=0.1,c=123456789012345,d=12345678.9012345,e=007,f=1.,g=0i,h=999999999999999i ${ts}`, precision)).toBe(true);
    }
  });

  it('agrees with the reference on tags, comments, blank lines and repeated keys', () => {
    const handled = [
      'bars,exchange=SH,symbol=X,kind=stock close=1 1700000000000000000',
      'stock.SH.600519 close=1 1700000000000000000',
      '# header\n\nX a=1 1700000000000000000\n\n# mid\nY a=2 1700000000000000000\n',
      'X a=1,a=2 1700000000000000000', // last value wins
      'X a=1 1700000000000000000\nX b=2 1700000000000000001\nX a=3,b=4 1700000000000001000',
      'X a=1 5', // ns → 0 µs (1970), inside the accepted range
    ];
    for (const text of handled) expect(check(text), text).toBe(true);
  });

  it('hands every other shape to the reference, which answers it (batch or error)', () => {
    const others = [
      'bars,symbol=bad/sym open=1 1700000000000000000', // invalid symbol: the reference's message
      'bars,symbol=X time=1 1700000000000000000', // reserved field name
      'bars,symbol=X 1bad=1 1700000000000000000',
      'bars,symbol=X,symbol=Y a=1 1700000000000000000',
      'X a=-1.5 1700000000000000000',
      'X a=1e3 1700000000000000000',
      'X a=.5 1700000000000000000',
      'X a=12u 1700000000000000000',
      'X a=1.5i 1700000000000000000',
      'X a="s" 1700000000000000000',
      'X a=t 1700000000000000000',
      'X a=NaN 1700000000000000000',
      'X a=1234567890123456 1700000000000000000', // 16 digits
      'X a=1', // no timestamp: server time
      'X a=1 1700000000000000000\r\n',
      ' X a=1 1700000000000000000',
      'X  a=1 1700000000000000000',
      'X a=1  1700000000000000000',
      'X a=1 1700000000000000000 ',
      'X a=1 -1700000000000000000',
      'X a=1 99999999999999999999',
      'X a=1 7258118400000000000', // 2200-01-01: outside the range
      'm\\ x,symbol=X a=1 1700000000000000000',
      'm=x,symbol=X a=1 1700000000000000000',
      'bars,symbol=X a=1,',
      'bars,symbol= a=1 1700000000000000000',
      'bars,=X a=1 1700000000000000000',
      'bars, a=1 1700000000000000000',
      'X a=1,,b=2 1700000000000000000',
      'X =1 1700000000000000000',
      'X a= 1700000000000000000',
      'X\ta=1 1700000000000000000',
      'X a=1 1700000000000000000x',
      '',
      '\n\n',
    ];
    for (const text of others) {
      check(text);
      if (text.trim() !== '') expect(parseLineProtocolFast(enc.encode(text), 'ns'), text).toBeNull();
    }
  });

  it('leaves limits to the reference: too many rows or values', () => {
    const body = ohlcvBody(10, 10);
    expect(check(body, 'ns', { maxRows: 99, maxValues: 32_000_000 })).toBe(false);
    expect(check(body, 'ns', { maxRows: 100, maxValues: 32_000_000 })).toBe(true);
    expect(check(body, 'ns', { maxRows: 1000, maxValues: 5 * 1024 - 1 })).toBe(false);
  });

  it('leaves bodies over its size bound to the reference', () => {
    const line = 'X a=1 1700000000000000000\n';
    const big = enc.encode(line.repeat(Math.ceil((FAST_PATH_MAX_BYTES + 1) / line.length)));
    expect(parseLineProtocolFast(big, 'ns')).toBeNull();
    expect((packed(big, 'ns') as PackedBatch).rowCount).toBe(big.length / line.length);
  });

  it('stays exact after its name cache was emptied at its bound (100K names)', () => {
    const lines = (from: number, n: number) => Array.from({ length: n }, (_, k) => `S${from + k} a=${k} 1700000000000000000`).join('\n');
    for (let round = 0; round < 3; round++) expect(check(lines(round * 45_000, 45_000))).toBe(true);
    expect(check(lines(0, 1000))).toBe(true); // names from before the reset
  });

  it('does not intern names too long to be valid: bodies of them cannot crowd out later ones', () => {
    const junk = Array.from({ length: 2000 }, (_, k) => `${'m'.repeat(5000)}${k} a=1 1700000000000000000`).join('\n');
    for (let round = 0; round < 3; round++) expect(check(junk)).toBe(false); // 30 MB of names in all
    expect(check(ohlcvBody(100, 5))).toBe(true);
  });

  it('agrees with the reference on generated bodies (property)', () => {
    /** Mostly the clean form, sometimes one of the shapes the fast path leaves to the reference. */
    const mostly = <T,>(clean: fc.Arbitrary<T>, dirty: fc.Arbitrary<T>) => fc.oneof({ weight: 12, arbitrary: clean }, { weight: 1, arbitrary: dirty });
    const symbol = mostly(fc.constantFrom('AAPL', 'stock.SH.600000', 'X_1:2-3', 'Y'), fc.constantFrom('bad/sym', 'é', 'a'.repeat(129), ''));
    const measurement = mostly(fc.constantFrom('bars', 'm', 'stock.SZ.000001'), fc.constantFrom('a=b', 'b\\ ar', 'b\\,ar', ''));
    const tag = mostly(
      fc.oneof(symbol.map((s) => `symbol=${s}`), fc.constantFrom('exchange=SH', 'k=v')),
      fc.constantFrom('k=', '=v', 'k\\ x=v', 'name=贵州茅台', 'k=v\\=w'),
    );
    const fieldKey = mostly(fc.constantFrom('open', 'high', 'low', 'close', 'volume', 'v2', '_x'), fc.constantFrom('time', '1bad', 'a\\ b', 'é', ''));
    const value = mostly(
      fc.oneof(
        fc.tuple(fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 3 })).map(([m, f]) => (f === 0 ? `${m}` : (m / 10 ** f).toFixed(f))),
        fc.integer({ min: 0, max: 2_000_000 }).map((v) => `${v}i`),
        fc.constantFrom('1.', '007', '0.000000000000001', '123456789012345', '999999999999999i'),
      ),
      fc.oneof(
        fc.double({ noNaN: true }).map((v) => `${v}`),
        fc.constantFrom('1234567890123456', '-1.5', '1e3', '.5', '12u', 't', '"s"', 'NaN', '-0i', '99999999999999999999i', '1.5i', ''),
      ),
    );
    // A timestamp in ns (rendered in the body's precision), or a shape left to the reference.
    const ts = mostly<bigint | string>(
      fc.bigInt({ min: 0n, max: 7_300_000_000_000_000_000n }),
      fc.constantFrom('', ' ', '-5', '12x', '1700000000000000000 ', '99999999999999999999'),
    );
    const render = (t: bigint | string, p: Precision) => (typeof t === 'string' ? t : String(t / { ns: 1n, us: 1000n, ms: 1_000_000n, s: 1_000_000_000n }[p]));
    const line = fc.tuple(fc.oneof(measurement, symbol), fc.array(tag, { maxLength: 3 }), fc.array(fc.tuple(fieldKey, value), { minLength: 1, maxLength: 6 }), ts);
    const sep = mostly(fc.constant('\n'), fc.constantFrom('\n\n', '\r\n', '\n# c\n', '\n '));
    const precision = fc.constantFrom<Precision>('ns', 'us', 'ms', 's');
    let handled = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(line, sep), { minLength: 1, maxLength: 5 }), precision, (lines, p) => {
        runs++;
        const text = lines
          .map(([[m, tags, fields, t], s]) => `${[m, ...tags].join(',')} ${fields.map(([k, v]) => `${k}=${v}`).join(',')}${t === '' ? '' : ` ${render(t, p)}`}${s}`)
          .join('');
        if (check(text, p)) handled++;
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: a real share of the generated bodies took the fast path.
    expect(handled).toBeGreaterThan(runs / 20); // ~8% expected; 5% is > 5 standard deviations below
  });

  it('agrees with the reference on valid bodies with random bytes changed, inserted or removed (fuzz)', () => {
    const base = enc.encode(ohlcvBody(20, 3) + '\n' + 'X a=1.5,b=2i 1700000000000000000\n# c\n\n');
    const edit = fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete'));
    let handled = 0;
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), fc.constantFrom<Precision>('ns', 'us'), (edits, p) => {
        const bytes = Array.from(base);
        for (const [at, byte, op] of edits) {
          const i = Math.min(at, bytes.length - 1);
          if (op === 'set') bytes[i] = byte;
          else if (op === 'insert') bytes.splice(i, 0, byte);
          else bytes.splice(i, 1);
        }
        const body = Uint8Array.from(bytes);
        const ref = reference(body, p);
        const fast = parseLineProtocolFast(body, p);
        if (fast !== null) {
          handled++;
          if (typeof ref === 'string') throw new Error(`fast path accepted a body the reference rejects (${ref})`);
          expectSameBatch(fast, ref);
        }
      }),
      { numRuns: 3000 },
    );
    expect(handled).toBeGreaterThan(100); // edits inside values, digits and names keep many bodies valid
  });

  it('agrees with the reference on clean generated bodies, which it always takes (property)', () => {
    const line = cleanLine(6, 7_000_000_000_000_000_000n);
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 30 }), (lines) => {
        expect(check(lines.join('\n'))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('compact WAL records (version 2) written by the fast path', () => {
  it('read back as exactly the parsed rows: OHLCV, every precision, mixed scales in one column', () => {
    const r = walRoundTrip(ohlcvBody(1000, 10));
    expect(r.walRecord![0]).toBe(2);
    // smaller than the LZ4-compressed version-1 record of the same rows (~14 B/row)
    expect(r.walRecord!.length / r.packed.rowCount).toBeLessThan(14);
    for (const precision of ['ns', 'us', 'ms', 's'] as Precision[]) {
      const ts = { ns: '1700000000123456789', us: '1700000000123456', ms: '1700000000123', s: '1700000000' }[precision];
      walRoundTrip(`X a=1,b=0.1 ${ts}\nX a=1.25,b=7 ${ts}\nX a=12.5,b=0.001 ${ts}\nY a=3 ${ts}`, precision);
    }
    walRoundTrip('X a=0.00000000000001,b=999999999999999i 1700000000000000000\nX a=123456789012345,b=0i 1700000000000000001');
  });

  it('keep as raw values the columns some rows lack (NaN = absent) or whose mantissas would pass 2^51 at one scale', () => {
    expect(walRoundTrip('X a=1,b=2 1700000000000000000\nX b=3 1700000000001000000\nY c=1.5 1700000000000000000').walRecord).not.toBeNull();
    expect(walRoundTrip('X a=99999999999999 1\nX a=0.00000000000001 2').walRecord).not.toBeNull();
  });

  it('are not written when a timestamp is too large for the format (version 1 is logged instead)', () => {
    // 2050-01-01: µs past 2^51
    const r = parseLineProtocolFastWithWal(enc.encode('X a=1 2524608000000000000'), 'ns')!;
    expect(r.packed.rowCount).toBe(1);
    expect(r.walRecord).toBeNull();
  });

  it('fail to read as CorruptionError when a byte changes or the record is cut', () => {
    const { walRecord } = walRoundTrip(ohlcvBody(3, 3));
    const flipped = walRecord!.slice();
    flipped[20] ^= 1;
    expect(() => decodeWalValue(flipped, 'wal/7')).toThrow(CorruptionError);
    expect(() => decodeWalValue(walRecord!.subarray(0, walRecord!.length - 9), 'wal/7')).toThrow(CorruptionError);
  });

  it('read back as exactly the parsed rows on generated clean bodies (property)', () => {
    const line = cleanLine(8, 2_000_000_000_000_000_000n);
    let written = 0;
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 30 }), (lines) => {
        if (walRoundTrip(lines.join('\n')).walRecord) written++;
      }),
      { numRuns: 500 },
    );
    expect(written).toBe(500); // timestamps up to 2033 fit the format; wide scale spreads go raw, not to version 1
  });
});
