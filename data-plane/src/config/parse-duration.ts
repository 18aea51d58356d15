const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 604800,
};

const WHOLE_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/**
 * Parses a duration into seconds: a non-negative finite number (already seconds), a string of
 * digits (seconds) or Go-style units "500ms", "30s", "5m", "1h30m", "1d", "2w" (case-insensitive).
 * The result may be fractional ("500ms" → 0.5); callers that need whole seconds check it.
 * @throws RangeError whose message says what was expected (the caller adds the key path)
 */
export function parseDuration(input: unknown): number {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input >= 0) return input;
    throw new RangeError('expected a non-negative number of seconds or a duration such as "30s"');
  }
  if (typeof input !== 'string') throw new RangeError('expected a number of seconds or a duration such as "30s"');
  const s = input.trim().toLowerCase();
  if (/^\d+(?:\.\d+)?$/.test(s)) return Number(s);
  if (!WHOLE_RE.test(s)) {
    throw new RangeError('expected a number of seconds or a duration such as "30s", "5m", "1h30m"');
  }
  let seconds = 0;
  for (const m of s.matchAll(PART_RE)) seconds += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  if (!Number.isFinite(seconds)) throw new RangeError('duration is too large');
  return seconds;
}
