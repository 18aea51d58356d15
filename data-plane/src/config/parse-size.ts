/**
 * Byte sizes as people write them in config files.
 *
 * Every unit is binary (K = KB = KiB = 1024): these sizes bound memory and buffers, where the
 * original doc's "1GB" / "512MB" and RocksDB / Redis conventions mean powers of 1024.
 */

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 2 ** 10, kb: 2 ** 10, kib: 2 ** 10,
  m: 2 ** 20, mb: 2 ** 20, mib: 2 ** 20,
  g: 2 ** 30, gb: 2 ** 30, gib: 2 ** 30,
  t: 2 ** 40, tb: 2 ** 40, tib: 2 ** 40,
};

const SIZE_RE = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i;

/**
 * Parses a byte size: a non-negative integer number (bytes) or a string such as "512MB", "1GB",
 * "64 MiB", "100kb", "1.5G", "4096". Fractional results are rounded to whole bytes.
 * Returns bytes, at most Number.MAX_SAFE_INTEGER.
 * @throws RangeError whose message says what was expected (the caller adds the key path)
 */
export function parseSize(input: unknown): number {
  if (typeof input === 'number') return checkBytes(input, input);
  if (typeof input !== 'string') throw new RangeError('expected a size such as "512MB" or a number of bytes');
  const m = SIZE_RE.exec(input);
  const mult = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || mult === undefined) {
    throw new RangeError('expected a size such as "512MB", "1GB", "64 MiB" or a number of bytes');
  }
  return checkBytes(Math.round(Number(m[1]) * mult), input);
}

function checkBytes(n: number, original: unknown): number {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(
      typeof original === 'number'
        ? 'expected a whole, non-negative number of bytes or a size string such as "512MB"'
        : 'size is too large',
    );
  }
  return n;
}
