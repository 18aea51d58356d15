import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../errors.ts';
import type { KvEntry } from '../storage/kv-store.ts';
import { readSnapshot, writeSnapshot, type SnapshotHeader } from './snapshot-stream.ts';

const HEADER: SnapshotHeader = { walSeq: 7, takenAtMs: 1_700_000_000_000 };

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const x of items) yield x;
}

/** The whole stream of `entries` as one buffer. */
async function streamOf(entries: KvEntry[]): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of writeSnapshot(HEADER, from(entries))) parts.push(c);
  return Buffer.concat(parts);
}

/** `bytes` cut at the given offsets (sorted, deduplicated, inside the buffer). */
function cutAt(bytes: Buffer, offsets: number[]): Uint8Array[] {
  const at = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let p = 0;
  for (const o of [...at, bytes.length]) {
    out.push(new Uint8Array(bytes.subarray(p, o))); // fresh chunks, as fetch hands them out
    p = o;
  }
  return out;
}

async function readAll(chunks: Uint8Array[]): Promise<{ header?: SnapshotHeader; entries: KvEntry[] }> {
  let header: SnapshotHeader | undefined;
  const entries: KvEntry[] = [];
  for await (const e of readSnapshot(from(chunks), (h) => (header = h))) entries.push(e);
  return { header, entries };
}

const entryArb = fc.record({ key: fc.uint8Array({ minLength: 1, maxLength: 40 }), value: fc.uint8Array({ maxLength: 3000 }) });

describe('writeSnapshot()', () => {
  it('sends a small first chunk, then chunks that double up to ~1 MB, so a reader can start early', async () => {
    const entries = Array.from({ length: 600 }, (_, i) => ({ key: Buffer.from(`k${String(i).padStart(4, '0')}`), value: Buffer.alloc(10_000, i) }));
    const sizes: number[] = [];
    for await (const c of writeSnapshot(HEADER, from(entries))) sizes.push(c.length);
    // header, then 128 KB, 256 KB, 512 KB, then 1 MB chunks; each ends with the frame that
    // reaches its size (10013 bytes here), so it is at most one frame longer
    const frame = 8 + 5 + 10_000;
    const limits = [1 << 17, 1 << 18, 1 << 19, 1 << 20, 1 << 20];
    sizes.slice(1, 6).forEach((n, i) => expect([n, n >= limits[i] && n < limits[i] + frame]).toEqual([n, true]));
    expect(sizes.slice(5, -1).every((n) => n >= 1 << 20 && n < (1 << 20) + frame)).toBe(true);
    const got = await readAll([await streamOf(entries)]);
    expect(got.entries.length).toBe(600);
  });
});

describe('readSnapshot()', () => {
  it('reads back what writeSnapshot wrote, however the stream is cut into chunks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entryArb, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 40 }), async (list, offsets) => {
        const entries = list.map((e) => ({ key: Buffer.from(e.key), value: Buffer.from(e.value) }));
        const got = await readAll(cutAt(await streamOf(entries), offsets));
        expect(got.header).toEqual(HEADER);
        expect(got.entries.map((e) => [e.key.toString('hex'), e.value.toString('hex')])).toEqual(entries.map((e) => [e.key.toString('hex'), e.value.toString('hex')]));
      }),
      { numRuns: 200 },
    );
  });

  it('reads a stream delivered one byte at a time', async () => {
    const entries = [{ key: Buffer.from('k1'), value: Buffer.alloc(100, 1) }, { key: Buffer.from('k2'), value: Buffer.alloc(0) }];
    const bytes = await streamOf(entries);
    const got = await readAll(cutAt(bytes, Array.from({ length: bytes.length }, (_, i) => i)));
    expect(got.entries.map((e) => e.value.length)).toEqual([100, 0]);
  });

  it('rejects any flipped byte after the header, a truncated stream and bytes after the trailer', async () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({ key: Buffer.from(`key-${i}`), value: Buffer.alloc(50 + i, i + 1) }));
    const bytes = await streamOf(entries);
    const headerLen = 13 + bytes.readUInt32LE(9);
    for (let at = headerLen; at < bytes.length; at++) {
      const bad = Buffer.from(bytes);
      bad[at] ^= 0x40;
      await expect(readAll(cutAt(bad, [at, at + 1, 31])), `byte ${at}`).rejects.toThrow(CorruptionError);
    }
    for (const end of [0, 12, headerLen, bytes.length - 1]) await expect(readAll([bytes.subarray(0, end)])).rejects.toThrow(CorruptionError);
    await expect(readAll([bytes, Buffer.from([0])])).rejects.toThrow(CorruptionError);
    await expect(readAll([Buffer.concat([bytes, Buffer.from([0])])])).rejects.toThrow(CorruptionError);
  });
});
