import { ByteReader } from './byte-reader.ts';
import { hash32 } from './checksum.ts';
import { SEGMENT_HEADER_SIZE, SEGMENT_VERSION } from './column-encoding.ts';
import { CorruptionError } from '../errors.ts';

/** The fixed header and field names of a verified segment. */
export interface SegmentHeader {
  rowCount: number;
  /** µs of the first / last row; NaN when rowCount is 0 */
  minTs: number;
  maxTs: number;
  /** the logical block size the encoder partitioned by (µs) */
  blockSizeUs: number;
  fields: string[];
  /** offset of the chunk directory (first byte after the field names) */
  bodyStart: number;
  /** offset of the trailing checksum (= end of the body) */
  bodyEnd: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Verifies a segment's length, version byte and checksum, then reads its fixed header and field
 * names (docs/format/segment.md §2). Throws CorruptionError naming `key` on any failure.
 */
export function readSegmentHeader(bytes: Uint8Array, key?: string): SegmentHeader {
  if (bytes.length < SEGMENT_HEADER_SIZE + 4) throw new CorruptionError(`segment truncated to ${bytes.length} bytes`, key);
  if (bytes[0] !== SEGMENT_VERSION) throw new CorruptionError(`unsupported segment version ${bytes[0]}`, key);
  const bodyEnd = bytes.length - 4;
  const stored = (bytes[bodyEnd] | (bytes[bodyEnd + 1] << 8) | (bytes[bodyEnd + 2] << 16) | (bytes[bodyEnd + 3] << 24)) >>> 0;
  if (hash32(bytes, 0, bodyEnd) !== stored) throw new CorruptionError('segment checksum mismatch', key);
  return readFields(new ByteReader(bytes, 1, bodyEnd, key), bodyEnd);
}

/**
 * The header fields from the first bytes of a segment (at least its fixed header and names),
 * WITHOUT the length and checksum checks of readSegmentHeader: for callers that verified the
 * stored value holding the segment (its envelope checksum) and must not pay for the columns.
 * Returns null when `prefix` ends inside the field names (read more and retry). `bodyEnd` is
 * not known from a prefix and is reported as -1.
 */
export function readSegmentHeaderPrefix(prefix: Uint8Array, key?: string): SegmentHeader | null {
  if (prefix.length < SEGMENT_HEADER_SIZE) return null;
  if (prefix[0] !== SEGMENT_VERSION) throw new CorruptionError(`unsupported segment version ${prefix[0]}`, key);
  // Field names (u8 length + bytes each) follow the fixed header; all of them must be here.
  const fieldCount = prefix[2] | (prefix[3] << 8);
  let end = SEGMENT_HEADER_SIZE;
  for (let j = 0; j < fieldCount; j++) {
    if (end >= prefix.length) return null;
    end += 1 + prefix[end];
  }
  if (end > prefix.length) return null;
  return readFields(new ByteReader(prefix, 1, end, key), -1);
}

function readFields(r: ByteReader, bodyEnd: number): SegmentHeader {
  const key = r.key;
  if (r.u8() !== 0) r.fail('segment flags set');
  const fieldCount = r.u16();
  const rowCount = r.u32();
  const minTs = r.f64();
  const maxTs = r.f64();
  const blockSizeUs = r.f64();
  const fields: string[] = new Array(fieldCount);
  for (let j = 0; j < fieldCount; j++) {
    const n = r.u8();
    r.need(n, 'field name');
    const ascii = asciiName(r.buf, r.pos, n);
    if (ascii !== null) {
      fields[j] = ascii;
      r.pos += n;
      continue;
    }
    const name = r.bytes(n, 'field name');
    try {
      fields[j] = decoder.decode(name);
    } catch (cause) {
      throw new CorruptionError(`field name ${j} is not UTF-8`, key, { cause });
    }
  }
  return { rowCount, minTs, maxTs, blockSizeUs, fields, bodyStart: r.pos, bodyEnd };
}

/**
 * `b[p, p + n)` as a string when every byte is ASCII (field names nearly always are), else null.
 * Cheaper than a subarray and a TextDecoder call per name: reading the headers of a handoff's
 * thousands of segments spent ~7% of its time there. ASCII is valid UTF-8, so the result is the same.
 */
function asciiName(b: Uint8Array, p: number, n: number): string | null {
  let s = '';
  for (let i = 0; i < n; i++) {
    const c = b[p + i];
    if (c >= 0x80) return null;
    s += String.fromCharCode(c);
  }
  return s;
}
