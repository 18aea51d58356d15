/**
 * RFC 3339 timestamps → integer µs since the epoch, exact to the µs (Date.parse stops at ms).
 * Pure; worker-safe.
 */
import { ValidationError } from '../errors.ts';

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (RFC 3339 §5.6; `t`/`z` and a space instead of
 * `T` accepted as §5.6's note allows). The UTC offset is required: a time without one is
 * ambiguous, so it is rejected rather than guessed. Fractions finer than 1 µs are floored
 * (like ns → µs elsewhere). Leap second 60 is rejected. Range is NOT checked here.
 * Throws ValidationError (message without row prefix).
 */
export function parseRfc3339Micros(s: string): number {
  const fail = (why: string): never => {
    const shown = JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
    throw new ValidationError(`timestamp ${shown} is not an RFC 3339 date-time: ${why}`);
  };
  let i = 0;
  const num = (width: number, what: string): number => {
    let v = 0;
    for (let k = 0; k < width; k++, i++) {
      const d = s.charCodeAt(i) - 48;
      if (!(d >= 0 && d <= 9)) fail(`expected ${width}-digit ${what} at offset ${i}`);
      v = v * 10 + d;
    }
    return v;
  };
  const expect = (ok: boolean, what: string): void => {
    if (!ok) fail(`expected ${what} at offset ${i}`);
    i++;
  };
  const year = num(4, 'year');
  expect(s[i] === '-', '"-"');
  const month = num(2, 'month');
  expect(s[i] === '-', '"-"');
  const day = num(2, 'day');
  expect(s[i] === 'T' || s[i] === 't' || s[i] === ' ', '"T"');
  const hour = num(2, 'hour');
  expect(s[i] === ':', '":"');
  const minute = num(2, 'minute');
  expect(s[i] === ':', '":"');
  const second = num(2, 'second');
  let fracUs = 0;
  if (s[i] === '.') {
    i++;
    const f0 = i;
    let scale = 100_000;
    while (i < s.length) {
      const d = s.charCodeAt(i) - 48;
      if (!(d >= 0 && d <= 9)) break;
      fracUs += d * scale;
      scale = Math.floor(scale / 10); // digits past the 6th add 0: floored to the µs
      i++;
    }
    if (i === f0) fail('expected fraction digits after "."');
  }
  let offsetMin = 0;
  const z = s[i];
  if (z === 'Z' || z === 'z') {
    i++;
  } else if (z === '+' || z === '-') {
    i++;
    const oh = num(2, 'offset hour');
    expect(s[i] === ':', '":" in offset');
    const om = num(2, 'offset minute');
    if (oh > 23 || om > 59) fail('offset out of range');
    offsetMin = (oh * 60 + om) * (z === '-' ? -1 : 1);
  } else {
    fail('missing UTC offset ("Z" or ±HH:MM)');
  }
  if (i !== s.length) fail(`unexpected text at offset ${i}`);
  if (month < 1 || month > 12) fail('month out of range');
  if (day < 1 || day > daysInMonth(year, month)) fail('day out of range');
  if (hour > 23 || minute > 59 || second > 59) fail('time of day out of range');
  const ms = daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute - offsetMin) * 60 + second) * 1000;
  return ms * 1000 + fracUs;
}
