import { hash32 } from './checksum.ts';
import { CorruptionError } from '../errors.ts';

/**
 * The stored-value envelope around every persisted value (docs/format/segment.md §1):
 * version, kind, flags (bit 0 = compressed), raw length, payload, xxHash32 of everything before.
 *
 * Compression is injected (`compress`/`decompress`; the worker passes lz4-napi's), so this module
 * stays pure and loads in any worker. Worker-safe; no shared state.
 */

/** What a stored value holds; the byte codes are part of the format. */
export type ValueKind = 'segment' | 'series-meta' | 'wal' | 'hint' | 'meta' | 'blob' | 'routed-hint';

const KIND_CODE: Record<ValueKind, number> = { segment: 1, 'series-meta': 2, wal: 3, hint: 4, meta: 5, blob: 6, 'routed-hint': 7 };
const KIND_OF: (ValueKind | undefined)[] = [];
for (const [kind, code] of Object.entries(KIND_CODE)) KIND_OF[code] = kind as ValueKind;

/** Version byte at offset 0 of every envelope. */
export const ENVELOPE_VERSION = 1;
/** Header bytes before the payload: version, kind, flags, reserved, rawLength u32. */
export const ENVELOPE_HEADER_SIZE = 8;
/** Total bytes an envelope adds to its payload (header + trailing checksum). */
export const ENVELOPE_OVERHEAD = ENVELOPE_HEADER_SIZE + 4;

const FLAG_COMPRESSED = 1;

/** Compresses a payload (e.g. lz4-napi `compressSync`); the output must be self-delimiting. */
export type Compressor = (payload: Uint8Array) => Uint8Array;
/** Inverse of Compressor; `rawLength` is the expected output length. */
export type Decompressor = (stored: Uint8Array, rawLength: number) => Uint8Array;

/**
 * Wraps `payload` for storage. With `compress`, the payload is stored compressed only when that
 * is strictly smaller. Returns a new Uint8Array; `payload` is not retained. Payloads are limited
 * to 4 GiB − 1 (the raw length is a u32); larger ones throw Error('BUG: …').
 */
export function wrapValue(kind: ValueKind, payload: Uint8Array, compress?: Compressor): Uint8Array {
  const code = KIND_CODE[kind];
  if (code === undefined) throw new Error(`BUG: wrapValue: unknown kind ${String(kind)}`);
  if (payload.length > 0xffffffff) throw new Error(`BUG: wrapValue: payload of ${payload.length} bytes`);
  let stored = payload;
  let flags = 0;
  if (compress && payload.length > 0) {
    const c = compress(payload);
    if (c.length < payload.length) {
      stored = c;
      flags = FLAG_COMPRESSED;
    }
  }
  const out = new Uint8Array(ENVELOPE_OVERHEAD + stored.length);
  out[0] = ENVELOPE_VERSION;
  out[1] = code;
  out[2] = flags;
  out[3] = 0;
  writeU32(out, 4, payload.length);
  out.set(stored, ENVELOPE_HEADER_SIZE);
  const end = out.length - 4;
  writeU32(out, end, hash32(out, 0, end));
  return out;
}

/**
 * Verifies and opens a stored value. Returns its kind and the payload — a view into `bytes`
 * when it was stored uncompressed, else the decompressed copy. Throws CorruptionError naming
 * `key` on a bad length, version, checksum, kind, flags, or a decompression failure/mismatch;
 * throws Error('BUG: …') for a compressed value when no `decompress` is given.
 */
export function unwrapValue(bytes: Uint8Array, key?: string, decompress?: Decompressor): { kind: ValueKind; payload: Uint8Array } {
  const { kind, compressed, rawLength, stored } = openValue(bytes, key);
  if (!compressed) return { kind, payload: stored };
  if (!decompress) throw new Error(`BUG: unwrapValue: value ${key ?? ''} is compressed but no decompressor was given`);
  let payload: Uint8Array;
  try {
    payload = decompress(stored, rawLength);
  } catch (cause) {
    throw new CorruptionError('value does not decompress', key, { cause });
  }
  if (payload.length !== rawLength) throw new CorruptionError(`value decompressed to ${payload.length} bytes, header says ${rawLength}`, key);
  return { kind, payload };
}

/**
 * Verifies a stored value's envelope (length, version, checksum, kind, flags) and returns its
 * parts without decompressing: `stored` is the payload as stored (compressed or not), `rawLength`
 * its uncompressed length. For readers that need only the start of a payload.
 */
export function openValue(bytes: Uint8Array, key?: string): { kind: ValueKind; compressed: boolean; rawLength: number; stored: Uint8Array } {
  if (bytes.length < ENVELOPE_OVERHEAD) throw new CorruptionError(`value truncated to ${bytes.length} bytes`, key);
  if (bytes[0] !== ENVELOPE_VERSION) throw new CorruptionError(`unsupported value version ${bytes[0]}`, key);
  const end = bytes.length - 4;
  if (hash32(bytes, 0, end) !== readU32(bytes, end)) throw new CorruptionError('value checksum mismatch', key);
  const kind = KIND_OF[bytes[1]];
  if (kind === undefined) throw new CorruptionError(`unknown value kind ${bytes[1]}`, key);
  const flags = bytes[2];
  if ((flags & ~FLAG_COMPRESSED) !== 0 || bytes[3] !== 0) throw new CorruptionError(`unknown value flags ${flags}/${bytes[3]}`, key);
  const rawLength = readU32(bytes, 4);
  const stored = bytes.subarray(ENVELOPE_HEADER_SIZE, end);
  const compressed = (flags & FLAG_COMPRESSED) !== 0;
  if (!compressed && stored.length !== rawLength) throw new CorruptionError(`value length ${stored.length}, header says ${rawLength}`, key);
  return { kind, compressed, rawLength, stored };
}

function writeU32(b: Uint8Array, p: number, v: number): void {
  b[p] = v;
  b[p + 1] = v >>> 8;
  b[p + 2] = v >>> 16;
  b[p + 3] = v >>> 24;
}

function readU32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}
