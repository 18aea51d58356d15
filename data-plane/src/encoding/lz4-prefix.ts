/**
 * Decodes only the first bytes of an LZ4 block, as lz4-napi stores it (a u32 LE uncompressed
 * size, then one LZ4 block: sequences of token, literals, 2-byte offset, extra match length).
 * Used to read a stored segment's header without decompressing its columns: the header is the
 * first few dozen bytes of a value that is often 1000× bigger.
 *
 * Not a validator: the stored bytes are trusted to be a well-formed block (their envelope
 * checksum was verified before); malformed input throws Error, never reads out of bounds.
 */

/** The first `want` bytes of the block's output (fewer if the output is shorter). */
export function lz4BlockPrefix(src: Uint8Array, want: number): Uint8Array {
  if (src.length < 4) throw new Error('lz4: truncated size prefix');
  const total = (src[0] | (src[1] << 8) | (src[2] << 16) | (src[3] << 24)) >>> 0;
  const limit = Math.min(want, total);
  const out = new Uint8Array(limit);
  let o = 0;
  let i = 4;
  const n = src.length;
  while (o < limit) {
    if (i >= n) throw new Error('lz4: block ends early');
    const token = src[i++];
    // literals
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (i >= n) throw new Error('lz4: truncated literal length');
        b = src[i++];
        lit += b;
      } while (b === 255);
    }
    if (i + lit > n) throw new Error('lz4: literals past the end of the block');
    const take = Math.min(lit, limit - o);
    // Byte by byte when short (a header prefix's literals are): cheaper than a subarray + set.
    if (take < 64) for (let k = 0; k < take; k++) out[o + k] = src[i + k];
    else out.set(src.subarray(i, i + take), o);
    o += take;
    i += lit;
    if (o >= limit || i >= n) break; // the last sequence has literals only
    // match
    if (i + 2 > n) throw new Error('lz4: truncated match offset');
    const offset = src[i] | (src[i + 1] << 8);
    i += 2;
    if (offset === 0 || offset > o) throw new Error('lz4: match offset outside the output');
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (i >= n) throw new Error('lz4: truncated match length');
        b = src[i++];
        len += b;
      } while (b === 255);
    }
    // Byte by byte: a match may overlap the bytes it produces (offset < len).
    const end = Math.min(o + len, limit);
    for (let from = o - offset; o < end; ) out[o++] = out[from++];
  }
  return o === limit ? out : out.subarray(0, o);
}
