/** True on little-endian hosts (every platform Bun and Node ship for). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Throws on big-endian hosts: codecs that copy typed-array bytes (WAL records, Gorilla columns)
 * would otherwise write bytes in the wrong order.
 */
export function assertLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new Error('BUG: stock-tsdb encoding requires a little-endian host');
}
