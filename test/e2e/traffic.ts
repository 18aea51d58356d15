/**
 * Client traffic during e2e scenarios, as an application behind the client Service would send it:
 * a writer that sends small batches to a random Ready pod and remembers every acknowledged row,
 * and a reader that asks a random Ready pod for a symbol and checks that every row acknowledged
 * before the read is there. DESIGN.md §8: rebalance never loses or hides data, reads keep working.
 */
import type { PodRunner } from './pod-runner.ts';

const SYMBOLS = ['stock.SH.600000', 'stock.SH.600519', 'stock.SZ.000001', 'stock.SZ.000002', 'stock.SH.601318', 'stock.SZ.300750'];
const T0 = 1_710_000_000;

/** Counters and failures of a traffic run. */
export interface TrafficReport {
  writesAcked: number;
  writesRefused: number;
  reads: number;
  /** Reads answered 503 with Retry-After and retried (as the client SDK does); not failures. */
  readRetries: number;
  /** Reads that failed or missed acknowledged rows: must stay empty. */
  readFailures: string[];
}

/** Runs writer and reader loops until `stop()`. */
export class Traffic {
  private readonly acked = new Map<string, Set<number>>(SYMBOLS.map((s) => [s, new Set()]));
  /** Which pod coordinated each acknowledged write and when (first row's timestamp → note): a
   *  lost-row report says where to look in the pods' logs. */
  private readonly provenance = new Map<number, string>();
  private next = 0;
  private stopped = false;
  private loops: Promise<void>[] = [];
  readonly report: TrafficReport = { writesAcked: 0, writesRefused: 0, reads: 0, readRetries: 0, readFailures: [] };

  constructor(private readonly runner: PodRunner) {}

  start(): void {
    this.loops = [this.writeLoop(), this.readLoop()];
  }

  async stop(): Promise<TrafficReport> {
    this.stopped = true;
    await Promise.all(this.loops);
    return this.report;
  }

  /** Checks every acknowledged row through every Ready pod; returns the problems found. */
  async verifyAll(): Promise<string[]> {
    const problems: string[] = [];
    for (const pod of this.runner.ready()) for (const s of SYMBOLS) {
      const p = await this.check(pod, s, new Set(this.acked.get(s)));
      if (p) problems.push(p);
    }
    return problems;
  }

  private async writeLoop(): Promise<void> {
    while (!this.stopped) {
      const pods = this.runner.ready();
      if (pods.length) {
        const symbol = SYMBOLS[this.next % SYMBOLS.length]!;
        const ts = Array.from({ length: 20 }, (_, i) => T0 + this.next * 20 + i);
        this.next++;
        const rows = ts.map((t) => ({ timestamp: t, open: 1, high: 2, low: 0.5, close: 1.5, volume: t % 1000 }));
        const pod = pick(pods);
        const sent = new Date();
        try {
          const r = await fetch(`${this.runner.pod(pod)!.url}/v1/write`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ symbol, rows }), signal: AbortSignal.timeout(10_000) });
          await r.text();
          if (r.status === 200) {
            for (const t of ts) this.acked.get(symbol)!.add(t);
            this.provenance.set(ts[0]!, `written through ${pod} at ${sent.toISOString()} in ${Date.now() - sent.getTime()} ms`);
            this.report.writesAcked++;
          } else this.report.writesRefused++;
        } catch {
          this.report.writesRefused++;
        }
      }
      await sleep(100);
    }
  }

  private async readLoop(): Promise<void> {
    while (!this.stopped) {
      const pods = this.runner.ready();
      if (pods.length) {
        const symbol = SYMBOLS[Math.floor(Math.random() * SYMBOLS.length)]!;
        const p = await this.check(pick(pods), symbol, new Set(this.acked.get(symbol)));
        this.report.reads++;
        if (p) this.report.readFailures.push(p);
      }
      await sleep(150);
    }
  }

  /**
   * Null when `pod` returns every timestamp of `want` for `symbol`, else what went wrong. A 503
   * with Retry-After is retried like the client SDK does (up to 10 times); "shutting down" is not
   * a lost row (a Service stops routing to a terminating pod).
   */
  private async check(pod: string, symbol: string, want: Set<number>): Promise<string | null> {
    const url = `${this.runner.pod(pod)?.url}/v1/query?symbol=${symbol}&start=${T0}&end=${T0 + 10_000_000}`;
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        const text = await r.text();
        if (r.status === 503 && text.includes('shutting down')) return null;
        if (r.status === 503 && attempt < 10 && r.headers.get('retry-after')) {
          this.report.readRetries++;
          await sleep(500);
          continue;
        }
        if (r.status !== 200) return `${pod} ${symbol}: ${r.status} ${text.slice(0, 200)}`;
        const got = new Set((JSON.parse(text) as { rows: number[][] }).rows.map((row) => row[0]));
        const missing = [...want].filter((t) => !got.has(t));
        if (!missing.length) return null;
        const writes = [...new Set(missing.map((t) => T0 + Math.floor((t - T0) / 20) * 20))].slice(0, 3);
        const where = writes.map((w) => `${w}: ${this.provenance.get(w) ?? '?'}`).join('; ');
        return `${pod} ${symbol}: ${missing.length} of ${want.size} acknowledged rows missing (e.g. ${missing.slice(0, 3).join(', ')}; writes ${where})`;
      } catch (err) {
        if (!this.runner.ready().includes(pod)) return null; // the pod went away mid-request
        // A pod killed a moment ago is still listed Ready until the kubelet notices (a Service
        // keeps routing to it meanwhile too); clients retry connection errors, as the SDK does.
        if (attempt < 10) {
          this.report.readRetries++;
          await sleep(300);
          if (!this.runner.ready().includes(pod)) return null;
          continue;
        }
        return `${pod} ${symbol}: ${(err as Error).message}`;
      }
    }
  }
}

function pick<T>(xs: T[]): T {
  return xs[Math.floor(Math.random() * xs.length)]!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
