import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { parseInterval } from './interval.ts';
import { naiveBuckets, naiveOffsetMs } from './naive-reference.test-util.ts';
import { makeBucketer, validateTimeZone } from './time-zone.ts';
import { intlOffsetFn, offsetFromParts, zoneOffsets, newOffsetSpan } from './zone-offsets.ts';

const us = (iso: string): number => Date.parse(iso) * 1000;
const iso = (t: number): string => new Date(t / 1000).toISOString().replace('.000Z', 'Z');

/** The first n bucket starts from the bucket holding `from`. */
function starts(interval: string, tz: string, from: string, n: number): string[] {
  const b = makeBucketer(parseInterval(interval), tz);
  const out = [b.bucketStart(us(from))];
  while (out.length < n) out.push(b.nextBucket(out[out.length - 1]));
  return out.map(iso);
}

describe('makeBucketer()', () => {
  it.each([
    ['1h in Asia/Kolkata starts at :30 UTC', '1h', 'Asia/Kolkata', '2024-01-01T10:10:00Z', ['2024-01-01T09:30:00Z', '2024-01-01T10:30:00Z']],
    ['1d in Asia/Shanghai starts at 16:00 UTC the day before', '1d', 'Asia/Shanghai', '2024-01-01T10:10:00Z', ['2023-12-31T16:00:00Z', '2024-01-01T16:00:00Z']],
    ['1d in America/New_York follows spring-forward', '1d', 'America/New_York', '2024-03-09T10:00:00Z', ['2024-03-09T05:00:00Z', '2024-03-10T05:00:00Z', '2024-03-11T04:00:00Z']],
    ['1d in America/New_York follows fall-back', '1d', 'America/New_York', '2024-11-02T10:00:00Z', ['2024-11-02T04:00:00Z', '2024-11-03T04:00:00Z', '2024-11-04T05:00:00Z']],
    ['1h in America/New_York keeps both 01:00 hours of the fall-back night', '1h', 'America/New_York', '2024-11-03T05:10:00Z', ['2024-11-03T05:00:00Z', '2024-11-03T06:00:00Z', '2024-11-03T07:00:00Z']],
    ['4h in America/New_York covers 4 wall-clock hours (5 real) at fall-back', '4h', 'America/New_York', '2024-11-03T04:10:00Z', ['2024-11-03T04:00:00Z', '2024-11-03T09:00:00Z']],
    ['4h in America/New_York covers 3 real hours at spring-forward', '4h', 'America/New_York', '2024-03-10T05:10:00Z', ['2024-03-10T05:00:00Z', '2024-03-10T08:00:00Z']],
    ['1h in Australia/Lord_Howe starts a bucket at the 02:00 -> 02:30 jump', '1h', 'Australia/Lord_Howe', '2024-10-05T14:40:00Z', ['2024-10-05T14:30:00Z', '2024-10-05T15:30:00Z', '2024-10-05T16:00:00Z']],
    ['1h in Australia/Lord_Howe stretches the 01:00 bucket over the repeated half hour', '1h', 'Australia/Lord_Howe', '2024-04-06T14:10:00Z', ['2024-04-06T14:00:00Z', '2024-04-06T15:30:00Z']],
    ['1w starts on Monday', '1w', 'UTC', '2024-01-03T10:00:00Z', ['2024-01-01T00:00:00Z', '2024-01-08T00:00:00Z']],
    ['1w in Asia/Shanghai starts Monday local midnight', '1w', 'Asia/Shanghai', '2024-01-03T10:00:00Z', ['2023-12-31T16:00:00Z', '2024-01-07T16:00:00Z']],
    ['15m in UTC', '15m', 'UTC', '2024-01-01T10:14:59Z', ['2024-01-01T10:00:00Z', '2024-01-01T10:15:00Z']],
    ['1d before 1883 uses New York local mean time', '1d', 'America/New_York', '1850-01-03T10:00:00Z', ['1850-01-03T04:56:02Z', '1850-01-04T04:56:02Z']],
    ['1d in 2250 (weekly sampling era)', '1d', 'Asia/Kolkata', '2250-01-03T10:00:00Z', ['2250-01-02T18:30:00Z', '2250-01-03T18:30:00Z']],
  ])('%s', (_name, interval, tz, from, expected) => {
    expect(starts(interval, tz, from, expected.length)).toEqual(expected);
  });

  // Each zone with instants near its DST changes (where it has any) and a plain one.
  const anchors: Record<string, string[]> = {
    UTC: ['2024-06-01T00:00:00Z'],
    'Asia/Shanghai': ['1986-05-03T18:00:00Z', '1991-09-14T16:00:00Z', '2024-02-10T00:00:00Z'],
    'Asia/Kolkata': ['2024-01-01T12:00:00Z'],
    'America/New_York': ['2024-03-10T07:00:00Z', '2024-11-03T06:00:00Z'],
    'Australia/Lord_Howe': ['2024-04-06T15:00:00Z', '2024-10-05T15:30:00Z'],
    'Europe/London': ['2023-03-26T01:00:00Z'],
  };
  const cases = Object.entries(anchors).flatMap(([tz, list]) => list.map((a) => [tz, us(a)] as const));
  const intervals = ['1s', '5s', '1m', '7m', '15m', '30m', '1h', '90m', '4h', '25h', '1d', '2d', '1w'];

  it('bucketStart/nextBucket agree with the naive definition (random instants, DST anchors)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        fc.constantFrom(...intervals),
        fc.array(fc.integer({ min: -2 * 86_400e6, max: 2 * 86_400e6 }), { minLength: 1, maxLength: 30 }),
        ([tz, anchor], iv, deltas) => {
          const interval = parseInterval(iv);
          const fast = makeBucketer(interval, tz);
          const naive = naiveBuckets(interval.widthUs, interval.originUs, tz);
          for (const d of deltas.sort((a, b) => a - b)) {
            const t = anchor + d;
            const b = fast.bucketStart(t);
            expect(iso(b)).toBe(iso(naive.bucketStart(t)));
            const next = fast.nextBucket(b);
            expect(next).toBeGreaterThan(t);
            expect(fast.bucketStart(next)).toBe(next);
            expect(fast.bucketStart(next - 1)).toBe(b);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('nextBucket walks the same boundaries as the naive definition', () => {
    for (const tz of ['America/New_York', 'Australia/Lord_Howe']) {
      for (const iv of ['30m', '1h', '4h', '1d']) {
        const interval = parseInterval(iv);
        const naive = naiveBuckets(interval.widthUs, interval.originUs, tz);
        const [a, b] = tz === 'America/New_York' ? ['2024-11-02T12:00:00Z', '2024-11-04T12:00:00Z'] : ['2024-10-05T00:00:00Z', '2024-10-06T12:00:00Z'];
        expect(starts(iv, tz, a, naive.grid(us(a), us(b)).length).map(us)).toEqual(naive.grid(us(a), us(b)));
      }
    }
  });

  it('rejects instants outside ±2^53 µs as a bug', () => {
    expect(() => makeBucketer(parseInterval('1h'), 'UTC').bucketStart(2 ** 54)).toThrow(/BUG/);
  });
});

describe('zone offsets', () => {
  it('format-based offsets equal formatToParts offsets', () => {
    for (const tz of ['America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Apia']) {
      const fn = intlOffsetFn(tz);
      const dtf = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', era: 'short', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
      for (const ms of [Date.UTC(1800, 0, 1), Date.UTC(1970, 5, 1), Date.UTC(2011, 11, 30, 12), Date.UTC(2024, 2, 10, 7), -62198755200000, Date.UTC(2200, 6, 1)]) {
        expect(fn(ms)).toBe(offsetFromParts(dtf, ms));
      }
    }
  });

  it('spans match Intl at random instants 1900-2100 and transitions are exact to the second', () => {
    fc.assert(
      fc.property(fc.constantFrom('America/New_York', 'Australia/Lord_Howe', 'Europe/Moscow', 'Asia/Gaza', 'America/Sao_Paulo'), fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2100, 0, 1) }), (tz, ms) => {
        const sp = newOffsetSpan();
        const t = Math.floor(ms / 1000) * 1e6;
        zoneOffsets(tz).spanAt(t, sp);
        expect(sp.off).toBe(naiveOffsetMs(tz, t / 1000) * 1000);
        if (sp.loReal) expect(naiveOffsetMs(tz, sp.lo / 1000 - 1000) * 1000).toBe(sp.offBefore);
        if (sp.hiReal) expect(naiveOffsetMs(tz, sp.hi / 1000 - 1000) * 1000).toBe(sp.off);
      }),
      { numRuns: 60 },
    );
  });
});

describe('validateTimeZone()', () => {
  it('returns the canonical name of a known zone', () => {
    expect(validateTimeZone('Asia/Shanghai')).toBe('Asia/Shanghai');
    expect(validateTimeZone('UTC')).toBe('UTC');
  });
  it.each(['Mars/Olympus', '', 'Asia/Shanghai; DROP', 'x'.repeat(65)])('rejects %j with a ValidationError naming it', (tz) => {
    expect(() => validateTimeZone(tz)).toThrow(ValidationError);
    expect(() => validateTimeZone(tz)).toThrow(tz.length > 20 ? /time zone/ : new RegExp(JSON.stringify(tz).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });
});
