import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWalRecord } from '../encoding/wal-record.ts';
import { sliceWalRecordV2 } from '../encoding/wal-record-v2.ts';
import { ValidationError } from '../errors.ts';
import type { WriteBatch } from '../model.ts';
import { PiscinaCodecPool } from '../storage/codec-pool.ts';
import { Engine } from '../storage/engine.ts';
import { decodeWalValue } from '../storage/wal-compact.ts';
import { parseJsonWrite } from './json-write-parser.ts';
import { parseLineProtocol } from './line-protocol-parser.ts';
import { plain } from './test-support.ts';
import { PackedWriteBatch } from './packed-batch.ts';
import { OFF_THREAD_MIN_BYTES, WriteParser } from './write-parser.ts';

const enc = new TextEncoder();
const T0 = Date.UTC(2024, 0, 2, 1, 30); // ms

/** OHLCV line protocol over `symbols` symbols, `perSymbol` rows each, interleaved by time. */
function lpBody(symbols: number, perSymbol: number): Uint8Array {
  let out = '';
  for (let i = 0; i < perSymbol; i++) {
    for (let s = 0; s < symbols; s++) {
      const p = 100 + s + i / 100;
      out += `bars,symbol=SYM${s},exchange=X open=${p},high=${p + 0.5},low=${p - 0.5},close=${p + 0.25},volume=${100 + i}i ${(T0 + i * 1000) * 1e6}\n`;
    }
  }
  return enc.encode(out);
}

/** lpBody with 2-decimal prices: the shape the WebAssembly fast path takes (lp-fast-path.ts). */
function fastLpBody(symbols: number, perSymbol: number): Uint8Array {
  let out = '';
  for (let i = 0; i < perSymbol; i++) {
    for (let s = 0; s < symbols; s++) {
      const p = (k: number) => (100 + s + i / 100 + k).toFixed(2);
      out += `bars,symbol=SYM${s} open=${p(0)},high=${p(0.5)},low=${p(-0.5)},close=${p(0.25)},volume=${100 + i}i ${(T0 + i * 1000) * 1e6}\n`;
    }
  }
  return enc.encode(out);
}

function jsonBody(symbols: number, perSymbol: number): Uint8Array {
  const rows = [];
  for (let i = 0; i < perSymbol; i++) for (let s = 0; s < symbols; s++) rows.push({ symbol: `J${s}`, timestamp: T0 / 1000 + i, close: 10 + s + i / 8, volume: i });
  return enc.encode(JSON.stringify(rows));
}

const shape = (b: WriteBatch) => b.series.map((s) => [s.symbol, [...s.columns.keys()]]);

/** The failure of a promise that must reject with a ValidationError. */
async function rejection(p: Promise<unknown>): Promise<ValidationError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return err as ValidationError;
}

describe('WriteParser (real worker pool)', () => {
  let pool: PiscinaCodecPool;
  beforeAll(() => {
    pool = new PiscinaCodecPool({ threads: 2, maxQueue: 100 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('parses a big line-protocol body in a worker into the batch the inline parser gives, with its WAL value', async () => {
    const body = lpBody(300, 4);
    expect(body.byteLength).toBeGreaterThanOrEqual(OFF_THREAD_MIN_BYTES);
    const expected = parseLineProtocol(body, { precision: 'ns' });
    const r = await new WriteParser(pool, 'wal-value').parse('line-protocol', body.slice(), { precision: 'ns' });
    expect(r.batch.rowCount).toBe(1200);
    expect(plain(r.batch)).toEqual(plain(expected));
    expect(shape(r.batch)).toEqual(shape(expected));
    // The WAL value is exactly this batch (what replay after a crash will apply).
    const logged = decodeWalValue(r.prepared!.walValue, 'test');
    expect(plain(logged)).toEqual(plain(expected));
    expect(shape(logged)).toEqual(shape(expected));
  });

  it('parses small bodies on the calling thread (no WAL value: the engine encodes it)', async () => {
    const body = lpBody(3, 2);
    expect(body.byteLength).toBeLessThan(OFF_THREAD_MIN_BYTES);
    const r = await new WriteParser(pool, 'wal-value').parse('line-protocol', body, { precision: 'ns' });
    expect(r.prepared).toBeUndefined();
    expect(plain(r.batch)).toEqual(plain(parseLineProtocol(body, { precision: 'ns' })));
  });

  it('gives the worker a copy of a body that shares its buffer, and leaves the caller its bytes', async () => {
    const whole = lpBody(300, 4);
    const big = new Uint8Array(whole.byteLength + 16);
    big.set(whole, 8);
    const view = big.subarray(8, 8 + whole.byteLength);
    const r = await new WriteParser(pool, 'wal-value').parse('line-protocol', view, { precision: 'ns' });
    expect(r.batch.rowCount).toBe(1200);
    expect(view.byteLength).toBe(whole.byteLength); // not detached
    expect(view[0]).toBe(whole[0]);
  });

  it('rejects a bad line found in a worker with the same ValidationError (message and code)', async () => {
    const good = new TextDecoder().decode(lpBody(300, 4));
    const lines = good.split('\n');
    lines[777] = lines[777].replace('close=', 'close="x",c2=');
    const body = enc.encode(lines.join('\n'));
    const inline = (() => {
      try {
        parseLineProtocol(body, { precision: 'ns' });
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error('inline parse accepted the bad line');
    })();
    const err = await rejection(new WriteParser(pool, 'wal-value').parse('line-protocol', body, { precision: 'ns' }));
    expect(err.message).toBe(inline.message);
    expect(err.message).toMatch(/^line 778: /);
    expect(err.code).toBe('invalid_line_protocol');
  });

  it('parses big JSON bodies in a worker like the inline parser', async () => {
    const body = jsonBody(400, 3);
    expect(body.byteLength).toBeGreaterThanOrEqual(OFF_THREAD_MIN_BYTES);
    const expected = parseJsonWrite(body, { precision: 's' });
    const r = await new WriteParser(pool, 'wal-value').parse('json', body.slice(), { precision: 's', contentType: 'application/json' });
    expect(plain(r.batch)).toEqual(plain(expected));
    expect(plain(decodeWalValue(r.prepared!.walValue, 'test'))).toEqual(plain(expected));
    const bad = enc.encode(new TextDecoder().decode(body).replace('"volume":2}', '"volume":"two"}'));
    const err = await rejection(new WriteParser(pool, 'wal-value').parse('json', bad, { precision: 's' }));
    expect(err.message).toMatch(/row \d+.*volume/);
  });

  it('logs a peer WAL record as received, and rejects a damaged one as the sender’s fault', async () => {
    const batch = parseLineProtocol(lpBody(300, 4), { precision: 'ns' });
    const record = encodeWalRecord(batch);
    const r = await new WriteParser(pool, 'wal-value').parse('wal-record', record.slice(), { precision: 'us' });
    expect(plain(r.batch)).toEqual(plain(batch));
    expect(plain(decodeWalValue(r.prepared!.walValue, 'test'))).toEqual(plain(batch));
    const damaged = record.slice();
    damaged[100] ^= 0xff;
    const err = await rejection(new WriteParser(pool, 'wal-value').parse('wal-record', damaged, { precision: 'us' }));
    expect(err.message).toMatch(/internal write: body is not a valid WAL record/);
  });

  it('gives a cluster coordinator the version-2 record of a fast-path parse; a peer logs its slice as received', async () => {
    const parser = new WriteParser(pool, 'forward-record');
    const r = await parser.parse('line-protocol', fastLpBody(300, 40), { precision: 'ns' });
    expect(parser.lineProtocolBodies.fast).toBe(1);
    expect(r.prepared).toBeUndefined();
    const { packed } = r.batch as PackedWriteBatch;
    const v2 = packed.walRecordV2!;
    expect(v2.record[0]).toBe(2);
    expect(v2.seriesAt.length).toBe(301);
    // a peer's part: every third series (big enough for the workers)
    const only = Int32Array.from({ length: 100 }, (_, i) => i * 3);
    const part = new PackedWriteBatch(packed, only);
    const slice = sliceWalRecordV2(v2, only, part.rowCount);
    expect(slice.byteLength).toBeGreaterThanOrEqual(OFF_THREAD_MIN_BYTES);
    const peer = await new WriteParser(pool, 'wal-value').parse('wal-record', slice.slice(), { precision: 'us' });
    expect(plain(peer.batch)).toEqual(plain(part));
    expect(peer.prepared!.walValue).toEqual(slice); // stored as received: no re-encoding, no LZ4
    const damaged = slice.slice();
    damaged[40] ^= 0xff;
    const err = await rejection(new WriteParser(pool, 'wal-value').parse('wal-record', damaged, { precision: 'us' }));
    expect(err.message).toMatch(/internal write: body is not a valid WAL record: WAL record checksum mismatch/);
    // a small part is decoded on the request thread, to the same rows
    const one = Int32Array.of(7);
    const small = await new WriteParser(pool, 'wal-value').parse('wal-record', sliceWalRecordV2(v2, one, new PackedWriteBatch(packed, one).rowCount), { precision: 'us' });
    expect(plain(small.batch)).toEqual(plain(new PackedWriteBatch(packed, one)));
  });

  it('leaves the WAL value out when asked (cluster coordinators split the rows first)', async () => {
    const r = await new WriteParser(pool, 'none').parse('line-protocol', lpBody(300, 4), { precision: 'ns' });
    expect(r.batch.rowCount).toBe(1200);
    expect(r.prepared).toBeUndefined();
  });
});

describe('Engine.write with a prepared WAL value', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('stores the rows the workers parsed; after a crash-free reopen the WAL replay gives the same rows', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'prepared-'));
    dirs.push(dataDir);
    let engine = await Engine.open({ dataDir, workerThreads: 2, idleSealMs: 3_600_000 });
    const parser = new WriteParser(engine.pool, 'wal-value');
    const body = lpBody(300, 4);
    const expected = parseLineProtocol(body, { precision: 'ns' });
    const { batch, prepared } = await parser.parse('line-protocol', body, { precision: 'ns' });
    expect(prepared).toBeDefined();
    await engine.write(batch, prepared);
    const read = async (e: Engine) => {
      const out: Record<string, unknown> = {};
      for (const s of expected.series) {
        const r = await e.readRange({ symbol: s.symbol, start: 0, end: Number.MAX_SAFE_INTEGER });
        out[s.symbol] = { fields: r.fields, ts: Array.from(r.ts), values: r.values.map((v) => Array.from(v)) };
      }
      return out;
    };
    const before = await read(engine);
    const first = expected.series[0];
    expect(before[first.symbol]).toEqual({
      fields: [...first.columns.keys()],
      ts: Array.from(first.ts),
      values: [...first.columns.values()].map((v) => Array.from(v)),
    });
    // Replay: the WAL holds the worker-encoded value (close() seals, so reopen reads segments;
    // the WAL path itself is exercised by reading the record back).
    const logged = decodeWalValue(prepared!.walValue, 'test');
    expect(plain(logged)).toEqual(plain(expected));
    await engine.close();
    engine = await Engine.open({ dataDir, workerThreads: 2, idleSealMs: 3_600_000 });
    expect(await read(engine)).toEqual(before);
    await engine.close();
  });

  it('applies and logs a series subset of a packed batch (a coordinator\'s local part) and nothing else', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'subset-'));
    dirs.push(dataDir);
    const engine = await Engine.open({ dataDir, workerThreads: 2, idleSealMs: 3_600_000 });
    try {
      const { batch } = await new WriteParser(engine.pool, 'none').parse('line-protocol', lpBody(300, 4), { precision: 'ns' });
      const packed = (batch as PackedWriteBatch).packed;
      const only = Int32Array.from([5, 17, 250]);
      const part = new PackedWriteBatch(packed, only);
      expect(part.rowCount).toBe(12);
      expect(await engine.write(part)).toEqual({ written: 12 });
      expect(await engine.symbols('SYM')).toEqual(['SYM17', 'SYM250', 'SYM5']);
      const r = await engine.readRange({ symbol: 'SYM17', start: 0, end: Number.MAX_SAFE_INTEGER });
      const want = part.series[1];
      expect(Array.from(r.ts)).toEqual(Array.from(want.ts));
      expect(r.fields).toEqual([...want.columns.keys()]);
      expect(r.values.map((v) => Array.from(v))).toEqual([...want.columns.values()].map((v) => Array.from(v)));
      // Only the subset was written (and counted).
      expect(engine.stats().rowsWritten).toBe(12);
    } finally {
      await engine.close();
    }
  });
});
