/**
 * Key layout of hints (writes a coordinator keeps for a replica it could not reach), beside the
 * engine's own system keys (storage/keys.ts):
 *
 *   hint : 0xFF 0xFF | 'H' | targetLen u8 | target (utf-8 node id) | seq u64 big-endian
 *
 * System keys start with 0xFFFF, above every vnode range, so hints never mix with series data
 * and never travel with a vnode export. Big-endian seq makes key order = append order per target.
 */

const HINT_TAG = 0x48; // 'H'

/** [gte, lt) of every hint of every target. */
export function allHintsRange(): { gte: Buffer; lt: Buffer } {
  return { gte: Buffer.from([0xff, 0xff, HINT_TAG]), lt: Buffer.from([0xff, 0xff, HINT_TAG + 1]) };
}

/** Prefix of every hint for `target`. Throws Error('BUG') for an id over 255 bytes (config caps ids at 63). */
export function hintPrefix(target: string): Buffer {
  const id = Buffer.from(target, 'utf8');
  if (id.length === 0 || id.length > 255) throw new Error(`BUG: hint target id "${target}" must be 1..255 bytes`);
  return Buffer.concat([Buffer.from([0xff, 0xff, HINT_TAG, id.length]), id]);
}

/** [gte, lt) of the hints for `target`, in append order. */
export function hintRange(target: string): { gte: Buffer; lt: Buffer } {
  const p = hintPrefix(target);
  return { gte: p, lt: Buffer.concat([p, Buffer.alloc(9, 0xff)]) };
}

/** Key of hint number `seq` for `target`. */
export function hintKey(target: string, seq: number): Buffer {
  const p = hintPrefix(target);
  const b = Buffer.allocUnsafe(p.length + 8);
  p.copy(b, 0);
  b.writeUInt32BE(Math.floor(seq / 2 ** 32), p.length);
  b.writeUInt32BE(seq >>> 0, p.length + 4);
  return b;
}

/** Target and sequence number of a hint key. */
export function parseHintKey(key: Uint8Array): { target: string; seq: number } {
  const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const len = b[3]!;
  const at = 4 + len;
  return { target: b.toString('utf8', 4, at), seq: b.readUInt32BE(at) * 2 ** 32 + b.readUInt32BE(at + 4) };
}
