import { hash32 } from '../encoding/checksum.ts';
import { CorruptionError } from '../errors.ts';
import type { KvEntry } from '../storage/kv-store.ts';

/**
 * The backup snapshot stream (data-plane/docs/format/backup.md):
 *
 *   "STSDBSNP" | version u8 (=1) | headerLen u32 | header JSON
 *   frames:  keyLen u32 | key | valueLen u32 | value            (little-endian lengths)
 *   trailer: 0xFFFFFFFF u32 | entries f64 | checksum u32
 *
 * checksum = Σ hash32(key) + 3·hash32(value) over frames, mod 2^32, so a reader verifies the
 * whole stream without buffering it. Every value also carries its own envelope checksum.
 */
export const SNAPSHOT_MAGIC = 'STSDBSNP';
export const SNAPSHOT_VERSION = 1;
const END = 0xffffffff;
const CHUNK = 1 << 20;
/**
 * The first chunk of entries is this small, and each next one twice the last up to CHUNK, so the
 * reader starts working ~1 ms into the stream instead of after a whole MB has been read and framed.
 */
const FIRST_CHUNK = CHUNK >> 3;
/** Largest frame a reader accepts (a length field beyond it is corruption, not a reason to allocate). */
const MAX_FRAME = 1 << 30;

/** What the snapshot header says about its origin. */
export interface SnapshotHeader {
  walSeq: number;
  takenAtMs: number;
  vnodes?: number;
}

/** Serializes entries into stream chunks of about 1 MB (the first ones smaller, see FIRST_CHUNK). */
export async function* writeSnapshot(header: SnapshotHeader, entries: AsyncIterable<KvEntry>): AsyncGenerator<Uint8Array> {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const first = Buffer.alloc(8 + 1 + 4 + head.length);
  first.write(SNAPSHOT_MAGIC, 0, 'latin1');
  first[8] = SNAPSHOT_VERSION;
  first.writeUInt32LE(head.length, 9);
  first.set(head, 13);
  yield first;
  let parts: Buffer[] = [];
  let size = 0;
  let count = 0;
  let sum = 0;
  let chunk = FIRST_CHUNK;
  for await (const { key, value } of entries) {
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32LE(key.length, 0);
    const vlen = Buffer.allocUnsafe(4);
    vlen.writeUInt32LE(value.length, 0);
    parts.push(len, key, vlen, value);
    size += 8 + key.length + value.length;
    count++;
    sum = (sum + hash32(key) + Math.imul(3, hash32(value))) >>> 0;
    if (size >= chunk) {
      yield Buffer.concat(parts, size);
      parts = [];
      size = 0;
      chunk = Math.min(CHUNK, chunk * 2);
    }
  }
  const trailer = Buffer.alloc(16);
  trailer.writeUInt32LE(END, 0);
  trailer.writeDoubleLE(count, 4);
  trailer.writeUInt32LE(sum, 12);
  parts.push(trailer);
  yield Buffer.concat(parts, size + 16);
}

/**
 * Parses a snapshot stream; yields the header first (via `onHeader`) and then every entry.
 * Throws CorruptionError when the stream is truncated, malformed, or its checksum is wrong.
 * Entries are views into the caller's chunks (no copy), except a frame cut by a chunk's end,
 * which is assembled in its own buffer: so the caller must not modify a chunk after yielding it
 * (fetch bodies and file streams hand out fresh chunks), and an entry kept keeps its chunk alive.
 */
export async function* readSnapshot(chunks: AsyncIterable<Uint8Array>, onHeader: (h: SnapshotHeader) => void): AsyncGenerator<KvEntry> {
  const st: ParseState = { count: 0, sum: 0, ended: false };
  let head: Buffer | null = Buffer.alloc(0); // bytes before the first frame, until the header is read
  const cut = new CutFrame();
  for await (const chunk of chunks) {
    // No copy of the chunk: copying every byte once (and allocating its copy) was ~13% of a
    // handoff receiver's main thread. Only a frame cut by a chunk's end is copied (~1 per chunk).
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (head) {
      head = head.length ? Buffer.concat([head, buf]) : buf;
      const at = headerEnd(head, onHeader);
      if (at < 0) continue;
      buf = head.subarray(at);
      head = null;
    }
    let p = 0;
    if (cut.pending) {
      p = cut.fill(buf);
      if (cut.pending) continue;
      const frame = cut.take();
      if (parseFrame(frame, 0, st) !== frame.length) throw new Error('BUG: readSnapshot: an assembled frame did not parse');
      const e = st.entry;
      st.entry = undefined;
      if (e) yield e;
    }
    for (;;) {
      const next = parseFrame(buf, p, st);
      if (next === p) break;
      p = next;
      const e = st.entry;
      st.entry = undefined;
      if (e) yield e;
    }
    if (p < buf.length) {
      if (st.ended) throw new CorruptionError('bytes after the snapshot trailer');
      cut.start(buf.subarray(p));
    }
  }
  if (head || !st.ended || cut.pending) throw new CorruptionError('snapshot stream is truncated (no trailer)');
}

interface ParseState {
  count: number;
  sum: number;
  ended: boolean;
  /** the entry parsed last, until it is yielded */
  entry?: KvEntry;
}

/** Reads the stream header from `b`; returns the offset of the first frame, or -1 if `b` holds only part of it. */
function headerEnd(b: Buffer, onHeader: (h: SnapshotHeader) => void): number {
  if (b.length < 13) return -1;
  if (b.toString('latin1', 0, 8) !== SNAPSHOT_MAGIC) throw new CorruptionError('not a stock-tsdb snapshot (bad magic)');
  if (b[8] !== SNAPSHOT_VERSION) throw new CorruptionError(`snapshot version ${b[8]} is not supported`);
  const hl = b.readUInt32LE(9);
  if (b.length < 13 + hl) return -1;
  onHeader(JSON.parse(b.toString('utf8', 13, 13 + hl)) as SnapshotHeader);
  return 13 + hl;
}

/**
 * Parses the one frame (or the trailer) at `buf[p]` if `buf` holds all of it: sets `st.entry`
 * for a frame, `st.ended` for the trailer, and returns the offset after it; returns `p` when the
 * frame is not complete in `buf` (or the trailer was read before).
 */
function parseFrame(buf: Buffer, p: number, st: ParseState): number {
  const end = buf.length;
  if (st.ended || end - p < 4) return p;
  const kl = buf.readUInt32LE(p);
  if (kl === END) {
    if (end - p < 16) return p;
    const n = buf.readDoubleLE(p + 4);
    const s = buf.readUInt32LE(p + 12);
    if (n !== st.count || s !== st.sum) throw new CorruptionError(`snapshot trailer says ${n} entries / checksum ${s}, read ${st.count} / ${st.sum}`);
    st.ended = true;
    return p + 16;
  }
  if (end - p < 8 + kl) return p;
  const vl = buf.readUInt32LE(p + 4 + kl);
  if (end - p < 8 + kl + vl) return p;
  const key = buf.subarray(p + 4, p + 4 + kl);
  const value = buf.subarray(p + 8 + kl, p + 8 + kl + vl);
  st.count++;
  st.sum = (st.sum + hash32(key) + Math.imul(3, hash32(value))) >>> 0;
  st.entry = { key, value };
  return p + 8 + kl + vl;
}

/**
 * A frame cut by the end of a chunk, completed from the following chunks. Its length fields are
 * gathered first (a few bytes); once its size is known it gets one buffer of that size, so a frame
 * spread over many chunks is still copied only once.
 */
class CutFrame {
  private buf = Buffer.alloc(0);
  private filled = 0;
  /** true while a cut frame waits for more bytes */
  pending = false;

  start(part: Buffer): void {
    this.buf = Buffer.from(part); // a copy: the rest of its chunk need not stay alive
    this.filled = part.length;
    this.pending = true;
    this.grow();
  }

  /** Copies what the frame still needs from the start of `chunk`; returns how many bytes it took. */
  fill(chunk: Buffer): number {
    let p = 0;
    while (this.pending && p < chunk.length) {
      const n = Math.min(this.buf.length - this.filled, chunk.length - p);
      chunk.copy(this.buf, this.filled, p, p + n);
      this.filled += n;
      p += n;
      this.grow();
    }
    return p;
  }

  /** The completed frame (call once `pending` is false). */
  take(): Buffer {
    const b = this.buf.subarray(0, this.filled);
    this.buf = Buffer.alloc(0);
    this.filled = 0;
    return b;
  }

  /** Sizes the buffer to what is known of the frame's length; clears `pending` once it is whole. */
  private grow(): void {
    const b = this.buf;
    const have = this.filled;
    let want = 4;
    if (have >= 4) {
      const kl = b.readUInt32LE(0);
      want = kl === END ? 16 : 8 + kl;
      if (kl !== END && have >= want) want += b.readUInt32LE(4 + kl);
    }
    if (have >= want) {
      this.pending = false;
      return;
    }
    if (want > MAX_FRAME) throw new CorruptionError(`snapshot frame of ${want} bytes (at most ${MAX_FRAME})`);
    if (b.length !== want) {
      const next = Buffer.allocUnsafe(want);
      b.copy(next, 0, 0, have);
      this.buf = next;
    }
  }
}
