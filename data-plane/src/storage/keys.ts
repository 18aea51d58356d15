/**
 * RocksDB key layout (see data-plane/docs/format/keys.md).
 *
 * Every key of series data starts with its vnode (u16 big-endian), so one vnode's data is
 * one contiguous key range [vnode, vnode+1) that can be streamed, counted and dropped as a unit.
 *
 *   series meta : vnode u16 | 0x00 | symLen u8 | symbol
 *   segment     : vnode u16 | 0x01 | symLen u8 | symbol | maxTs u64 (offset-binary µs)
 *   system      : 0xFF 0xFF | kind u8 | ...        (outside every vnode range)
 *     WAL record: 0xFF 0xFF | 'W' | seq u64
 *     engine meta: 0xFF 0xFF | 'M' | name (utf-8)
 *
 * Segments are keyed by their LAST timestamp: a forward seek to key(start) lands on the first
 * segment that can hold rows ≥ start, so range reads never need a reverse seek.
 */

export const KIND_META = 0x00;
export const KIND_SEGMENT = 0x01;
export const SYSTEM_PREFIX = 0xffff;
export const MAX_VNODES = 0xfffe;

/** Bytes of a symbol (ASCII by contract). */
export function symbolBytes(symbol: string): Buffer {
  return Buffer.from(symbol, 'utf8');
}

/** Prefix shared by every key of a vnode. */
export function vnodePrefix(vnode: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(vnode, 0);
  return b;
}

/** [gte, lt) bounds of a whole vnode. */
export function vnodeRange(vnode: number): { gte: Buffer; lt: Buffer } {
  return { gte: vnodePrefix(vnode), lt: vnodePrefix(vnode + 1) };
}

/** `vnode u16 | kind u8 | symLen u8 | symbol`: the start of every key of one series. */
function seriesKey(vnode: number, kind: number, symbol: string): Buffer {
  const s = symbolBytes(symbol);
  const b = Buffer.allocUnsafe(4 + s.length);
  b.writeUInt16BE(vnode, 0);
  b[2] = kind;
  b[3] = s.length;
  s.copy(b, 4);
  return b;
}

/** Key of a series' meta record. */
export function metaKey(vnode: number, symbol: string): Buffer {
  return seriesKey(vnode, KIND_META, symbol);
}

/** [gte, lt) bounds of the meta records of a vnode. */
export function metaRange(vnode: number): { gte: Buffer; lt: Buffer } {
  const gte = Buffer.from([vnode >> 8, vnode & 0xff, KIND_META]);
  const lt = Buffer.from([vnode >> 8, vnode & 0xff, KIND_META + 1]);
  return { gte, lt };
}

/** Prefix of every segment key of one series. */
export function segmentPrefix(vnode: number, symbol: string): Buffer {
  return seriesKey(vnode, KIND_SEGMENT, symbol);
}

/** Key of the segment of `prefix`'s series whose last row is at `maxTs` (µs). */
export function segmentKey(prefix: Buffer, maxTs: number): Buffer {
  const b = Buffer.allocUnsafe(prefix.length + 8);
  prefix.copy(b, 0);
  writeTs(b, prefix.length, maxTs);
  return b;
}

/** Upper bound (exclusive) of every segment key of a series. */
export function segmentPrefixEnd(prefix: Buffer): Buffer {
  const b = Buffer.allocUnsafe(prefix.length + 8);
  prefix.copy(b, 0);
  b.fill(0xff, prefix.length);
  return Buffer.concat([b, Buffer.from([0xff])]);
}

/** Timestamp (µs) stored at the end of a segment key. */
export function segmentKeyTs(key: Uint8Array): number {
  const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const hi = b.readUInt32BE(b.length - 8) - 2 ** 31;
  const lo = b.readUInt32BE(b.length - 4);
  return hi * 2 ** 32 + lo;
}

/** Whether `key` is a segment key (not series meta, not a system key). */
export function isSegmentKey(key: Uint8Array): boolean {
  return key.length >= 4 && !(key[0] === 0xff && key[1] === 0xff) && key[2] === KIND_SEGMENT;
}

/** Parses a data key: which vnode, kind and symbol it belongs to. */
export function parseDataKey(key: Uint8Array): { vnode: number; kind: number; symbol: string } {
  const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const len = b[3];
  return { vnode: b.readUInt16BE(0), kind: b[2], symbol: b.toString('utf8', 4, 4 + len) };
}

function writeTs(b: Buffer, at: number, ts: number): void {
  // A seek bound may be any number (±Infinity from a library caller, say): beyond ±(2^53 − 1)
  // it becomes that limit, which keeps its order against every stored key (always inside).
  if (!(ts >= -Number.MAX_SAFE_INTEGER && ts <= Number.MAX_SAFE_INTEGER)) ts = ts > 0 ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
  // Offset-binary (ts + 2^63) so that negative timestamps sort before positive ones, computed
  // on the two 32-bit halves: ts + 2^63 itself is not exact in a double (format 1 computed it
  // so, and stored keys rounded to 2048 µs; see format-migration.ts). ts is an integer with
  // |ts| < 2^53, so the split by division is exact and hi + 2^31 fits 32 bits.
  const hi = Math.floor(ts / 2 ** 32);
  const lo = ts - hi * 2 ** 32;
  b.writeUInt32BE(hi + 2 ** 31, at);
  b.writeUInt32BE(lo, at + 4);
}

/** Key of the WAL record with sequence number `seq`. */
export function walKey(seq: number): Buffer {
  const b = Buffer.allocUnsafe(11);
  b[0] = 0xff; b[1] = 0xff; b[2] = 0x57; // 'W'
  b.writeUInt32BE(Math.floor(seq / 2 ** 32), 3);
  b.writeUInt32BE(seq >>> 0, 7);
  return b;
}

/** Sequence number of a WAL key. */
export function walKeySeq(key: Uint8Array): number {
  const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return b.readUInt32BE(3) * 2 ** 32 + b.readUInt32BE(7);
}

/** [gte, lt) of all WAL records. */
export function walRange(): { gte: Buffer; lt: Buffer } {
  return { gte: Buffer.from([0xff, 0xff, 0x57]), lt: Buffer.from([0xff, 0xff, 0x58]) };
}

/** Key of an engine-level meta value (format version, node identity, ...). */
export function engineMetaKey(name: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xff, 0x4d]), Buffer.from(name, 'utf8')]);
}
