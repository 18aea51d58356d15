import type { AggregateFn, CandleQuery } from '../engine-api.ts';
import { ValidationError } from '../errors.ts';

/**
 * Which accumulators a candle query runs and how output columns read them.
 *
 * Default columns (DESIGN §5): bars (any of open/high/low/close present) give
 * open=first(open), high=max(high), low=min(low), close=last(close); ticks (a `price` field and
 * no OHLC fields) give open/high/low/close = first/max/min/last(price). Then volume=sum(volume),
 * amount=sum(amount) when present, then every other field = last, in series order.
 * `q.fields` selects and orders columns: a default column, an `aggregations` column, or any
 * series field (aggregated by its name: volume/amount sum, open first, high max, low min,
 * anything else last). `q.aggregations` adds or overrides columns; given alone, its columns are
 * the output. Pure; worker-safe.
 */

/** State kinds; sum also counts, so it serves sum, avg and count. */
export type AccKind = 'first' | 'last' | 'min' | 'max' | 'sum';

/** One accumulator over one source field; `key` is `kind(src)`, unique within a plan. */
export interface AccSpec {
  key: string;
  src: string;
  kind: AccKind;
}

/** How `fill=prev` fills an empty bucket: 0, the column's previous value, or the previous close. */
export type PrevFill = 'zero' | 'self' | 'close';

/** One output column: the accumulator it reads (-1: none, always empty) and its final function. */
export interface PlanColumn {
  name: string;
  fn: AggregateFn;
  acc: number;
  prevFill: PrevFill;
}

/** Accumulators to run and the columns that read them. */
export interface CandlePlan {
  accs: AccSpec[];
  columns: PlanColumn[];
  /** accumulator holding each bucket's close (for fill=prev of OHLC columns), or -1 */
  closeAcc: number;
}

const AGGREGATE_FNS: ReadonlySet<string> = new Set(['first', 'last', 'min', 'max', 'sum', 'avg', 'count']);
const OHLC = ['open', 'high', 'low', 'close'] as const;
const OHLC_FN: Record<string, AggregateFn> = { open: 'first', high: 'max', low: 'min', close: 'last' };
const SUMMED = new Set(['volume', 'amount']);
const RESERVED = new Set(['timestamp', 'time']);

interface ColumnDef {
  src: string;
  fn: AggregateFn;
  prevFill: PrevFill;
}

/** The aggregate a plain series field gets when named in `fields`. */
function byName(field: string): AggregateFn {
  return OHLC_FN[field] ?? (SUMMED.has(field) ? 'sum' : 'last');
}

function defaultFill(fn: AggregateFn): PrevFill {
  return fn === 'sum' || fn === 'count' ? 'zero' : 'self';
}

/** Default columns of a series with these fields, in output order, and its close source. */
function defaults(fields: string[]): { cols: Map<string, ColumnDef>; closeSrc: string | null } {
  const has = new Set(fields);
  const cols = new Map<string, ColumnDef>();
  const bars = OHLC.some((f) => has.has(f));
  const ticks = !bars && has.has('price');
  const closeSrc = bars ? (has.has('close') ? 'close' : null) : ticks ? 'price' : null;
  for (const f of OHLC) {
    if (bars && has.has(f)) cols.set(f, { src: f, fn: OHLC_FN[f], prevFill: closeSrc ? 'close' : 'self' });
    if (ticks) cols.set(f, { src: 'price', fn: OHLC_FN[f], prevFill: 'close' });
  }
  for (const f of SUMMED) if (has.has(f)) cols.set(f, { src: f, fn: 'sum', prevFill: 'zero' });
  for (const f of fields) {
    if (cols.has(f) || OHLC_FN[f] || (ticks && f === 'price')) continue;
    cols.set(f, { src: f, fn: 'last', prevFill: 'self' });
  }
  return { cols, closeSrc };
}

/** The accumulator state an aggregate function reads (avg and count read the sum state). */
export function accKind(fn: AggregateFn): AccKind {
  return fn === 'avg' || fn === 'count' ? 'sum' : fn;
}

/** Throws ValidationError unless every entry is `name → [sourceField, fn]` with a known fn and a free name. */
export function checkAggregations(aggs: Record<string, [string, AggregateFn]>): void {
  for (const [name, spec] of Object.entries(aggs)) {
    if (RESERVED.has(name)) throw new ValidationError(`aggregation column ${JSON.stringify(name)} is reserved`);
    if (!Array.isArray(spec) || spec.length !== 2 || typeof spec[0] !== 'string' || !AGGREGATE_FNS.has(spec[1])) {
      throw new ValidationError(
        `aggregation ${JSON.stringify(name)}: expected [sourceField, fn] with fn one of first|last|min|max|sum|avg|count`,
      );
    }
  }
}

/**
 * Plans a candle query over a series with `fields`. `strict` (the final merge) throws
 * ValidationError for a requested column or source field the series does not have — unless
 * the series has no fields at all (unknown symbol), where requested columns are all null.
 * Non-strict (a partial over one slice, whose schema may lack fields other slices have) skips
 * what it cannot compute; the merge validates against the union of the slices' fields.
 */
export function planCandles(fields: string[], q: CandleQuery, strict: boolean): CandlePlan {
  const aggs = q.aggregations ?? {};
  checkAggregations(aggs);
  const { cols, closeSrc } = defaults(fields);
  const has = new Set(fields);
  const names = q.fields ?? (q.aggregations ? Object.keys(aggs) : [...cols.keys()]);
  const accs: AccSpec[] = [];
  const accIndex = (src: string, fn: AggregateFn): number => {
    if (!has.has(src)) return -1;
    const kind = accKind(fn);
    const key = `${kind}(${src})`;
    let i = accs.findIndex((a) => a.key === key);
    if (i < 0) i = accs.push({ key, src, kind }) - 1;
    return i;
  };
  const seen = new Set<string>();
  const columns: PlanColumn[] = [];
  for (const name of names) {
    if (seen.has(name)) throw new ValidationError(`field ${JSON.stringify(name)} requested twice`);
    seen.add(name);
    const agg = Object.hasOwn(aggs, name) ? aggs[name] : undefined;
    const def: ColumnDef | undefined = agg
      ? { src: agg[0], fn: agg[1], prevFill: defaultFill(agg[1]) }
      : (cols.get(name) ?? (has.has(name) ? { src: name, fn: byName(name), prevFill: defaultFill(byName(name)) } : undefined));
    if (!def || !has.has(def.src)) {
      if (strict && fields.length > 0) throw unknownField(q.symbol, name, def?.src, [...cols.keys()]);
      // No data for it: still typed by its name, so fill=prev gives volume 0 and close null.
      const fn = def?.fn ?? byName(name);
      if (strict || fields.length === 0) columns.push({ name, fn, acc: -1, prevFill: def?.prevFill ?? defaultFill(fn) });
      continue;
    }
    columns.push({ name, fn: def.fn, acc: accIndex(def.src, def.fn), prevFill: def.prevFill });
  }
  const needClose = q.fill === 'prev' && closeSrc !== null && columns.some((c) => c.prevFill === 'close');
  return { accs, columns, closeAcc: needClose ? accIndex(closeSrc, 'last') : -1 };
}

function unknownField(symbol: string, name: string, src: string | undefined, available: string[]): ValidationError {
  if (src !== undefined && src !== name) {
    return new ValidationError(`unknown source field ${JSON.stringify(src)} for column ${JSON.stringify(name)} of ${symbol}`);
  }
  return new ValidationError(`unknown field ${JSON.stringify(name)} for ${symbol} (available: ${available.join(', ')})`);
}
