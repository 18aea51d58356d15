/**
 * UTC-offset spans of an IANA time zone, computed with Intl once and reused: a query buckets
 * millions of rows, and one Intl call costs about a microsecond, so the hot path only ever does
 * a range check against a cached span.
 *
 * Pure (Intl only, no I/O, no node:*): worker-safe. Each thread keeps its own cache.
 */

const MS_PER_DAY = 86_400_000;
/** Coverage grows in chunks of this many days (one Intl call per sample day inside). */
const CHUNK_DAYS = 366;
/**
 * Before 1800 every zone keeps its first (local mean time) offset: the earliest transition in
 * the tz database is Asia/Manila's on 1844-12-31 (checked against Node's and Bun's ICU).
 */
const CONSTANT_BEFORE_MS = Date.UTC(1800, 0, 1);
/**
 * Sampling step: one day up to 2200, then one week. Transitions in the data are at least
 * 7 days apart (Asia/Gaza's Ramadan rules, the closest pair, are predicted until 2086; checked
 * 1840–2100 over every zone), and after 2200 only ICU's yearly final rules remain.
 */
const DAILY_UNTIL_MS = Date.UTC(2200, 0, 1);
/** Beyond ±8.64e15 ms Date (and Intl) stop working; the offset is held constant there. */
const MAX_SAMPLE_MS = 8.64e15 - 2 * CHUNK_DAYS * MS_PER_DAY;

/** Coverage restarts at a lookup this far (µs) outside it instead of growing to reach it. */
const RESTART_DISTANCE_US = 8 * CHUNK_DAYS * MS_PER_DAY * 1000;

/** One span of constant UTC offset, filled in by `ZoneOffsets.spanAt` (reused, no allocation). */
export interface OffsetSpan {
  /** first µs of the span; -Infinity when unbounded */
  lo: number;
  /** first µs after the span; +Infinity when unbounded */
  hi: number;
  /** UTC offset in µs (local = utc + off) */
  off: number;
  /** true when `lo` is a real offset change (then `offBefore` holds the previous offset) */
  loReal: boolean;
  /** true when `hi` is a real offset change (then `offAfter` holds the next offset) */
  hiReal: boolean;
  offBefore: number;
  offAfter: number;
}

/** A fresh span object for `spanAt` to fill in. */
export function newOffsetSpan(): OffsetSpan {
  return { lo: 0, hi: 0, off: 0, loReal: false, hiReal: false, offBefore: 0, offAfter: 0 };
}

/**
 * The offset history of one zone over a lazily grown range of time. Spans are split only at
 * real offset changes; the outermost spans end at the edge of the computed range (`loReal` /
 * `hiReal` false) until coverage grows past them with `extendBefore` / `extendAfter`.
 *
 * Single-threaded mutable state; one instance per zone per thread (see `zoneOffsets`).
 */
export class ZoneOffsets {
  /** µs; `knownLo` is -Infinity once coverage reached the constant pre-1800 era */
  private knownLo: number;
  private knownHi: number;
  /** real transitions strictly inside (knownLo, knownHi), ascending, µs */
  private trans: number[] = [];
  /** offs[i] is the offset (µs) before trans[i]; offs[trans.length] after the last one */
  private offs: number[];

  constructor(private readonly offsetMs: (ms: number) => number, fixedOffsetUs?: number) {
    if (fixedOffsetUs !== undefined) {
      this.knownLo = -Infinity;
      this.knownHi = Infinity;
      this.offs = [fixedOffsetUs];
      return;
    }
    // Empty until the first lookup, which starts coverage at that time's chunk.
    this.knownLo = NaN;
    this.knownHi = NaN;
    this.offs = [];
  }

  /** Fills `sp` with the span containing `tUs`, growing coverage as needed. */
  spanAt(tUs: number, sp: OffsetSpan): void {
    // Far from what is computed (e.g. 1850 after 2024): start over there rather than compute
    // every day in between. Spans handed out earlier stay true; they are facts about the zone.
    if (this.offs.length === 0 || tUs < this.knownLo - RESTART_DISTANCE_US || tUs >= this.knownHi + RESTART_DISTANCE_US) this.start(tUs);
    while (tUs < this.knownLo) this.extendBefore();
    while (tUs >= this.knownHi) this.extendAfter();
    const trans = this.trans;
    // i = number of transitions <= tUs
    let lo = 0;
    let hi = trans.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (trans[mid] <= tUs) lo = mid + 1;
      else hi = mid;
    }
    const i = lo;
    sp.off = this.offs[i];
    sp.loReal = i > 0;
    sp.lo = i > 0 ? trans[i - 1] : this.knownLo;
    sp.offBefore = i > 0 ? this.offs[i - 1] : sp.off;
    sp.hiReal = i < trans.length;
    sp.hi = i < trans.length ? trans[i] : this.knownHi;
    sp.offAfter = i < trans.length ? this.offs[i + 1] : sp.off;
  }

  /** Starts coverage as the empty range at the chunk grid point at or before `tUs`. */
  private start(tUs: number): void {
    const chunkMs = CHUNK_DAYS * MS_PER_DAY;
    let ms = Math.floor(tUs / 1000 / chunkMs) * chunkMs;
    ms = Math.min(Math.max(ms, CONSTANT_BEFORE_MS), MAX_SAMPLE_MS);
    this.knownLo = ms * 1000;
    this.knownHi = ms * 1000;
    this.trans = [];
    this.offs = [this.offsetMs(ms) * 1000];
  }

  /** Computes one more chunk of offsets before the covered range. */
  extendBefore(): void {
    if (this.knownLo === -Infinity) return;
    const hiMs = this.knownLo / 1000;
    const loMs = Math.max(hiMs - CHUNK_DAYS * MS_PER_DAY, CONSTANT_BEFORE_MS);
    if (loMs < hiMs) {
      const found = this.scan(loMs, hiMs, this.offsetMs(loMs) * 1000);
      // found.offs ends with the offset at hiMs, which is offs[0] already
      this.trans = [...found.trans, ...this.trans];
      this.offs = [...found.offs.slice(0, -1), ...this.offs];
    }
    this.knownLo = loMs <= CONSTANT_BEFORE_MS ? -Infinity : loMs * 1000;
  }

  /** Computes one more chunk of offsets after the covered range. */
  extendAfter(): void {
    if (this.knownHi === Infinity) return;
    const loMs = this.knownHi / 1000;
    if (loMs >= MAX_SAMPLE_MS) {
      this.knownHi = Infinity;
      return;
    }
    const hiMs = Math.min(loMs + CHUNK_DAYS * MS_PER_DAY, MAX_SAMPLE_MS);
    const found = this.scan(loMs, hiMs, this.offs[this.offs.length - 1]);
    for (const t of found.trans) this.trans.push(t);
    for (let k = 1; k < found.offs.length; k++) this.offs.push(found.offs[k]);
    this.knownHi = hiMs * 1000;
  }

  /**
   * Transitions in (loMs, hiMs] by sampling (daily, weekly after 2200) and bisecting every
   * change down to the second (tz database transitions fall on whole seconds).
   * `offs` starts with `offLoUs`, the offset at loMs, and has one more entry than `trans`.
   */
  private scan(loMs: number, hiMs: number, offLoUs: number): { trans: number[]; offs: number[] } {
    const trans: number[] = [];
    const offs = [offLoUs];
    let prevMs = loMs;
    let prevOff = offLoUs / 1000;
    while (prevMs < hiMs) {
      const step = prevMs < DAILY_UNTIL_MS ? MS_PER_DAY : 7 * MS_PER_DAY;
      const ms = Math.min(prevMs + step, hiMs);
      const off = this.offsetMs(ms);
      if (off !== prevOff) {
        trans.push(this.bisect(prevMs, ms, prevOff) * 1000);
        offs.push(off * 1000);
      }
      prevMs = ms;
      prevOff = off;
    }
    return { trans, offs };
  }

  /** First whole second in (aMs, bMs] whose offset differs from `offA` (which holds at aMs). */
  private bisect(aMs: number, bMs: number, offA: number): number {
    let a = aMs / 1000;
    let b = bMs / 1000;
    while (b - a > 1) {
      const mid = Math.floor((a + b) / 2);
      if (this.offsetMs(mid * 1000) === offA) a = mid;
      else b = mid;
    }
    return b * 1000;
  }
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Hinnant's days_from_civil; any year). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const FORMAT_PATTERN = /^(\d+)\/(\d+)\/(\d+) ([AB])[^,]*, (\d+):(\d+):(\d+)$/;

/**
 * A function giving the UTC offset (ms) of `timeZone` at a whole-second UTC instant (ms).
 * Uses `format` plus a regex (about 3x faster than `formatToParts`), falling back to
 * `formatToParts` if this runtime's en-US format ever differs.
 */
export function intlOffsetFn(timeZone: string): (ms: number) => number {
  const dtf = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    era: 'short',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return (ms: number): number => {
    const m = FORMAT_PATTERN.exec(dtf.format(ms));
    if (m) {
      const year = m[4] === 'B' ? 1 - Number(m[3]) : Number(m[3]);
      return localMs(year, +m[1], +m[2], +m[5], +m[6], +m[7]) - ms;
    }
    return offsetFromParts(dtf, ms);
  };
}

/** The offset from `formatToParts` (slow path, locale-format independent). */
export function offsetFromParts(dtf: Intl.DateTimeFormat, ms: number): number {
  const p: Record<string, string> = {};
  for (const part of dtf.formatToParts(ms)) p[part.type] = part.value;
  const y = Number(p.year);
  const year = p.era === 'BC' || p.era === 'B' ? 1 - y : y;
  return localMs(year, +p.month, +p.day, +p.hour % 24, +p.minute, +p.second) - ms;
}

function localMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  return daysFromCivil(y, mo, d) * MS_PER_DAY + h * 3_600_000 + mi * 60_000 + s * 1000;
}

/** Canonical names of zones that never change offset (no Intl sampling needed). */
const FIXED_ZONE = /^(?:Etc\/)?(?:UTC|UCT|GMT|Universal|Zulu|Greenwich)(?:[+-]\d{1,2})?$|^[+-]\d{2}(?::?\d{2})?$/;

const cache = new Map<string, ZoneOffsets>();

/**
 * The shared offset history of a zone (created on first use). `timeZone` must already be
 * valid (see validateTimeZone); an unknown zone throws Intl's RangeError.
 */
export function zoneOffsets(timeZone: string): ZoneOffsets {
  let z = cache.get(timeZone);
  if (!z) {
    const fn = intlOffsetFn(timeZone);
    const canonical = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
    z = FIXED_ZONE.test(canonical) ? new ZoneOffsets(fn, fn(0) * 1000) : new ZoneOffsets(fn);
    cache.set(timeZone, z);
  }
  return z;
}
