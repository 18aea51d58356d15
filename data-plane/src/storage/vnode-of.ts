/**
 * Stable symbol → vnode mapping shared by the engine's key layout and the cluster ring.
 *
 * FNV-1a (32-bit) over the symbol's UTF-8 bytes, modulo the vnode count. FNV-1a is chosen
 * because it is trivial to reimplement byte-for-byte in any client language (a smart client
 * can route by itself) and its output is fixed forever: changing it would move every key.
 */
export function vnodeOf(symbol: string, vnodes: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < symbol.length; i++) {
    let c = symbol.charCodeAt(i);
    // Symbols are ASCII by contract; non-ASCII code units are folded in as UTF-8 would be.
    if (c < 0x80) {
      h = Math.imul(h ^ c, 0x01000193);
    } else {
      const bytes = new TextEncoder().encode(symbol);
      return fnvBytes(bytes) % vnodes;
    }
  }
  return (h >>> 0) % vnodes;
}

function fnvBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}
