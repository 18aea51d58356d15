/** Candle intervals and time-zone formatting (Intl; the chart's data stays in UTC seconds). */

import { TickMarkType, type Time } from 'lightweight-charts';

/** Intervals the console offers (the API accepts any Ns|Nm|Nh|Nd|Nw). */
export const INTERVALS = ['1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w'] as const;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Nominal width of an interval in seconds ("1d" → 86400; calendar days may be 23 or 25 h). */
export function intervalSeconds(iv: string): number {
  const m = /^([1-9][0-9]*)([smhdw])$/.exec(iv);
  if (!m) throw new Error(`invalid interval ${iv}`);
  return Number(m[1]) * UNIT_SECONDS[m[2]!]!;
}

/** Server settings the console mirrors (GET /console/api/info). */
export interface ZoneDefaults {
  default_timezone: string;
  exchange_timezones: Record<string, string>;
}

/** The zone the server uses for `symbol` when the query names none (kind.EXCHANGE.code). */
export function exchangeZone(symbol: string, d: ZoneDefaults): string {
  const parts = symbol.split('.');
  if (parts.length >= 3) {
    const zone = d.exchange_timezones[parts[1]!.toUpperCase()];
    if (zone) return zone;
  }
  return d.default_timezone;
}

/** Zones offered besides the exchange default; the browser's own zone is added when missing. */
export function zoneChoices(): string[] {
  const zones = ['UTC', 'Asia/Shanghai', 'Asia/Hong_Kong', 'Asia/Tokyo', 'Asia/Kolkata', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Chicago'];
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (own && !zones.includes(own)) zones.push(own);
  return zones;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function parts(tsSec: number, tz: string): Record<string, string> {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    });
    formatters.set(tz, f);
  }
  const out: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(tsSec * 1000))) out[p.type] = p.value;
  return out;
}

/** "2024-03-01 09:30" (or with ":ss") in `tz`. */
export function formatTime(tsSec: number, tz: string, seconds = false): string {
  const p = parts(tsSec, tz);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${seconds ? `:${p.second}` : ''}`;
}

/** The chart's time-axis labels in `tz` (the library would label in UTC). */
export function tickMarkFormatter(tz: string): (time: Time, type: TickMarkType) => string {
  return (time, type) => {
    const p = parts(time as number, tz);
    switch (type) {
      case TickMarkType.Year:
        return p.year!;
      case TickMarkType.Month:
        return `${p.year}-${p.month}`;
      case TickMarkType.DayOfMonth:
        return `${p.month}-${p.day}`;
      case TickMarkType.Time:
        return `${p.hour}:${p.minute}`;
      case TickMarkType.TimeWithSeconds:
        return `${p.hour}:${p.minute}:${p.second}`;
    }
  };
}
