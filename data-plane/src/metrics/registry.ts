/**
 * A small Prometheus metrics registry: counters, gauges (set directly or read from a callback at
 * scrape time) and histograms with fixed buckets, rendered in the text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Concurrency: single-threaded (the server's event loop); a metric object is owned by the registry
 * that created it. Other layers (engine, cluster) add their own metrics through the same registry,
 * usually as callback gauges/counters so the registry never holds their state.
 */

/** Label name → value of one series of a metric family. */
export type Labels = Readonly<Record<string, string>>;

/** One sample a callback reports: its labels (may be empty) and value. */
export interface Sample {
  labels?: Labels;
  value: number;
}

/** What a callback metric returns at scrape time: one value, or one value per label set. */
export type CollectFn = () => number | readonly Sample[];

/** Options common to every metric family. */
export interface MetricOptions {
  /** `[a-zA-Z_:][a-zA-Z0-9_:]*`; counters must end in `_total` (promtool lint) */
  name: string;
  help: string;
  labelNames?: readonly string[];
}

/** A counter or gauge whose value is read at scrape time. */
export interface CallbackOptions extends MetricOptions {
  collect: CollectFn;
}

/** Histogram options: `buckets` are the upper bounds (sorted ascending; `+Inf` is implicit). */
export interface HistogramOptions extends MetricOptions {
  buckets: readonly number[];
}

/** Buckets for HTTP latencies in seconds: 0.5 ms … 10 s. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Family {
  readonly name: string;
  render(out: string[]): void;
}

/** Holds metric families and renders them for `/metrics`. */
export class Registry {
  private readonly families = new Map<string, Family>();

  /** A counter incremented by the caller. Throws `Error('BUG: …')` on a bad or duplicate name. */
  counter(opts: MetricOptions): Counter {
    checkCounterName(opts.name);
    return this.add(new Counter(opts));
  }

  /** A counter read from `collect()` at scrape time (for totals another component keeps). */
  callbackCounter(opts: CallbackOptions): void {
    checkCounterName(opts.name);
    this.add(new CallbackFamily(opts, 'counter'));
  }

  /** A gauge set by the caller. */
  gauge(opts: MetricOptions): Gauge {
    return this.add(new Gauge(opts));
  }

  /** A gauge read from `collect()` at scrape time (the way the cluster layer adds ring gauges). */
  callbackGauge(opts: CallbackOptions): void {
    this.add(new CallbackFamily(opts, 'gauge'));
  }

  /** A histogram with fixed buckets. */
  histogram(opts: HistogramOptions): Histogram {
    return this.add(new Histogram(opts));
  }

  /** Removes a family (e.g. when a cluster component shuts down); unknown names are ignored. */
  unregister(name: string): void {
    this.families.delete(name);
  }

  /**
   * The exposition text of every family, in registration order. A callback that throws is
   * skipped for this scrape (its family is left out) so one broken source never hides the rest.
   */
  render(): string {
    const out: string[] = [];
    for (const f of this.families.values()) {
      const part: string[] = [];
      try {
        f.render(part);
      } catch {
        continue;
      }
      for (const line of part) out.push(line);
    }
    return out.length ? out.join('\n') + '\n' : '';
  }

  private add<F extends Family>(f: F): F {
    if (this.families.has(f.name)) throw new Error(`BUG: metric ${f.name} registered twice`);
    this.families.set(f.name, f);
    return f;
  }
}

/** Content-Type of the text exposition format. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

abstract class LabeledFamily {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];

  constructor(opts: MetricOptions) {
    if (!METRIC_NAME.test(opts.name)) throw new Error(`BUG: invalid metric name ${JSON.stringify(opts.name)}`);
    for (const l of opts.labelNames ?? []) {
      if (!LABEL_NAME.test(l) || l.startsWith('__') || l === 'le') {
        throw new Error(`BUG: invalid label name ${JSON.stringify(l)} on ${opts.name}`);
      }
    }
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames ?? [];
  }

  protected header(out: string[], type: string): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${type}`);
  }

  /** Stable map key of a label set; throws when labels do not match the declared names. */
  protected key(labels: Labels | undefined): string {
    const names = this.labelNames;
    if (names.length === 0) {
      if (labels && Object.keys(labels).length) throw new Error(`BUG: ${this.name} takes no labels`);
      return '';
    }
    if (!labels) throw new Error(`BUG: ${this.name} needs labels ${names.join(',')}`);
    let k = '';
    for (const n of names) {
      const v = labels[n];
      if (v === undefined) throw new Error(`BUG: ${this.name} missing label ${n}`);
      k += `${n}="${escapeLabelValue(v)}",`;
    }
    return k.slice(0, -1);
  }
}

/** A monotonically increasing value per label set. */
export class Counter extends LabeledFamily implements Family {
  private readonly values = new Map<string, number>();

  /** Adds `by` (default 1; must be ≥ 0) to the series of `labels`. */
  inc(labels?: Labels, by = 1): void {
    if (!(by >= 0)) throw new Error(`BUG: counter ${this.name} increment ${by}`);
    const k = this.key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }

  /** The current value of one series (0 when never incremented). */
  get(labels?: Labels): number {
    return this.values.get(this.key(labels)) ?? 0;
  }

  render(out: string[]): void {
    this.header(out, 'counter');
    renderValues(out, this.name, this.values, this.labelNames.length === 0);
  }
}

/** A value that goes up and down, per label set. */
export class Gauge extends LabeledFamily implements Family {
  private readonly values = new Map<string, number>();

  /** Sets the series of `labels` to `value`. */
  set(value: number, labels?: Labels): void {
    this.values.set(this.key(labels), value);
  }

  /** Adds `by` (may be negative). */
  inc(by = 1, labels?: Labels): void {
    const k = this.key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }

  /** The current value of one series (0 when never set). */
  get(labels?: Labels): number {
    return this.values.get(this.key(labels)) ?? 0;
  }

  render(out: string[]): void {
    this.header(out, 'gauge');
    renderValues(out, this.name, this.values, this.labelNames.length === 0);
  }
}

class CallbackFamily extends LabeledFamily implements Family {
  private readonly collect: CollectFn;

  constructor(
    opts: CallbackOptions,
    private readonly type: 'counter' | 'gauge',
  ) {
    super(opts);
    this.collect = opts.collect;
  }

  render(out: string[]): void {
    const got = this.collect();
    const lines: string[] = [];
    if (typeof got === 'number') {
      lines.push(`${this.name} ${formatValue(got)}`);
    } else {
      for (const s of got) {
        const k = this.key(s.labels);
        lines.push(k ? `${this.name}{${k}} ${formatValue(s.value)}` : `${this.name} ${formatValue(s.value)}`);
      }
    }
    this.header(out, this.type);
    for (const l of lines) out.push(l);
  }
}

interface HistogramSeries {
  counts: Float64Array;
  sum: number;
  count: number;
}

/** Observations counted into fixed buckets per label set (cumulative in the output). */
export class Histogram extends LabeledFamily implements Family {
  private readonly bounds: Float64Array;
  private readonly series = new Map<string, HistogramSeries>();

  constructor(opts: HistogramOptions) {
    super(opts);
    const b = opts.buckets.filter((x) => x !== Infinity);
    for (let i = 1; i < b.length; i++) {
      if (!(b[i]! > b[i - 1]!)) throw new Error(`BUG: histogram ${opts.name} buckets not ascending`);
    }
    this.bounds = Float64Array.from(b);
  }

  /** Records one observation (e.g. a latency in seconds). */
  observe(labels: Labels | undefined, value: number): void {
    const k = this.key(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { counts: new Float64Array(this.bounds.length), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    // Bucket counts are stored non-cumulative and summed at render time: observe stays O(log n).
    let lo = 0;
    let hi = this.bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.bounds[mid]! >= value) hi = mid;
      else lo = mid + 1;
    }
    if (lo < this.bounds.length) s.counts[lo]! += 1;
    s.sum += value;
    s.count += 1;
  }

  /** Number of observations of one series. */
  count(labels?: Labels): number {
    return this.series.get(this.key(labels))?.count ?? 0;
  }

  render(out: string[]): void {
    this.header(out, 'histogram');
    for (const [k, s] of this.series) {
      const prefix = k ? `${k},` : '';
      let cum = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cum += s.counts[i]!;
        out.push(`${this.name}_bucket{${prefix}le="${formatValue(this.bounds[i]!)}"} ${cum}`);
      }
      out.push(`${this.name}_bucket{${prefix}le="+Inf"} ${s.count}`);
      const braces = k ? `{${k}}` : '';
      out.push(`${this.name}_sum${braces} ${formatValue(s.sum)}`, `${this.name}_count${braces} ${s.count}`);
    }
  }
}

function renderValues(out: string[], name: string, values: Map<string, number>, unlabeled: boolean): void {
  // An unlabeled family always shows a sample (0 before the first update), so dashboards see it.
  if (unlabeled && values.size === 0) out.push(`${name} 0`);
  for (const [k, v] of values) out.push(k ? `${name}{${k}} ${formatValue(v)}` : `${name} ${formatValue(v)}`);
}

function checkCounterName(name: string): void {
  if (!name.endsWith('_total')) throw new Error(`BUG: counter ${name} must end in _total`);
}

const NEEDS_LABEL_ESCAPE = /[\\"\n]/;

/** Escapes a label value: backslash, double quote and line feed (exposition format). */
export function escapeLabelValue(v: string): string {
  // One test first: label values are built on every metric update, and almost never need it.
  if (!NEEDS_LABEL_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes HELP text: backslash and line feed only (exposition format). */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the exposition format spells it (`NaN`, `+Inf`, `-Inf`, Go-style floats). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
