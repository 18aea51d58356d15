import { StorageError } from '../errors.ts';
import type { EngineStats } from '../engine-api.ts';

/** The /health answer: 200 with `status: "ok"`, or 503 with `status: "unavailable"` and the reason. */
export interface HealthReport {
  healthy: boolean;
  body: Record<string, unknown>;
}

/**
 * Decides whether the node is healthy: not shutting down, the engine answers `stats()`, and no
 * storage failure in the last `windowSec` seconds (a RocksDB write error makes the node
 * unhealthy until the window passes without another; a corrupt block does not, it is one bad
 * value, counted in stock_tsdb_corruptions_detected_total).
 */
export class HealthTracker {
  private readonly startedAt = Date.now();
  private closing = false;
  private lastStorageFailure: { at: number; message: string } | undefined;

  constructor(
    private readonly version: string,
    private readonly windowSec: number,
  ) {}

  /** Called by the error mapping for every server-side failure. */
  noteInternalError(err: unknown): void {
    if (err instanceof StorageError) this.lastStorageFailure = { at: Date.now(), message: err.message };
  }

  /** From now on the node reports 503 "shutting down". */
  markClosing(): void {
    this.closing = true;
  }

  /** Seconds since the tracker (≈ the server) started. */
  uptimeSec(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** The current report; `stats` may throw (engine gone), which is reported as the reason. */
  report(stats: () => EngineStats): HealthReport {
    const base = { version: this.version, uptime_seconds: Math.round(this.uptimeSec() * 10) / 10 };
    if (this.closing) return down(base, 'shutting down');
    let s: EngineStats;
    try {
      s = stats();
    } catch (err) {
      return down(base, `storage engine unavailable: ${(err as Error).message}`);
    }
    const f = this.lastStorageFailure;
    if (f && Date.now() - f.at < this.windowSec * 1000) return down(base, `storage error ${Math.round((Date.now() - f.at) / 1000)}s ago: ${f.message}`);
    return {
      healthy: true,
      body: { status: 'ok', ...base, rows_written: s.rowsWritten, series: s.seriesCount, head_rows: s.headRows, wal_bytes: s.walBytes, storage_bytes: s.storageBytes },
    };
  }
}

function down(base: Record<string, unknown>, reason: string): HealthReport {
  return { healthy: false, body: { status: 'unavailable', reason, ...base } };
}
