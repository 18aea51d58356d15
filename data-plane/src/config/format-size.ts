const STEPS: readonly [string, number][] = [
  ['TB', 2 ** 40],
  ['GB', 2 ** 30],
  ['MB', 2 ** 20],
  ['KB', 2 ** 10],
];

/**
 * Writes a byte count the way a person would put it in a config file: the largest binary unit
 * that divides it exactly ("1GB", "768MB", "1536KB"), else plain bytes. `parseSize` reads it back
 * to the same number.
 */
export function formatSize(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`BUG: formatSize(${bytes})`);
  if (bytes === 0) return '0';
  for (const [unit, mult] of STEPS) {
    if (bytes % mult === 0) return `${bytes / mult}${unit}`;
  }
  return String(bytes);
}
