import { join } from 'node:path';
import type { StockTsdbConfig } from '../config/types.ts';
import { MemorySink, RotatingFile, type LogSink } from './rotating-file.ts';

/** Log levels in increasing severity (config `logging.level`). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Extra structured fields of a log line (JSON-serializable; Errors are expanded). */
export type LogFields = Record<string, unknown>;

/** The three log files of the deployment doc. */
export interface LogSinks {
  /** logs/system.log: lifecycle, config warnings, everything at or above `level` */
  system: LogSink;
  /** logs/error.log: errors only (with stack traces; never sent to clients) */
  error: LogSink;
  /** logs/performance.log: `slow_query` lines */
  performance: LogSink;
}

/**
 * Structured JSON-lines logger over the three log files. Each line is one JSON object:
 * `{"time": ISO-8601, "level": "INFO"|"WARN"|"ERROR"|"DEBUG", "msg": …, …fields}`; the level is
 * upper-case so the doc's `grep -E "(ERROR|WARN)" logs/system.log` works.
 *
 * Errors go to error.log and system.log and are written at once (not left in the buffer), since
 * they are what an operator reads after a crash.
 */
export class Logger {
  private readonly minRank: number;

  constructor(
    private readonly sinks: LogSinks,
    level: LogLevel = 'info',
    /** also echo warnings and errors to stderr (the CLI turns this on) */
    private readonly echoStderr = false,
  ) {
    this.minRank = RANK[level];
  }

  /** Opens logs/{system,error,performance}.log under `cfg.dir`, rotated per `cfg`. */
  static open(cfg: StockTsdbConfig['logging'], opts: { echoStderr?: boolean } = {}): Logger {
    const file = (name: string) =>
      new RotatingFile(join(cfg.dir, name), { maxBytes: cfg.max_file_size, maxFiles: cfg.max_files });
    return new Logger(
      { system: file('system.log'), error: file('error.log'), performance: file('performance.log') },
      cfg.level,
      opts.echoStderr ?? false,
    );
  }

  /** A logger writing into arrays (unit tests). */
  static memory(level: LogLevel = 'debug'): { logger: Logger; sinks: Record<keyof LogSinks, MemorySink> } {
    const sinks = { system: new MemorySink(), error: new MemorySink(), performance: new MemorySink() };
    return { logger: new Logger(sinks, level), sinks };
  }

  /** Debug detail, system.log only when `logging.level` is debug. */
  debug(msg: string, fields?: LogFields): void {
    this.system('debug', msg, fields);
  }

  /** Lifecycle events (startup, shutdown). */
  info(msg: string, fields?: LogFields): void {
    this.system('info', msg, fields);
  }

  /** Something an operator should look at (config warnings, refused requests). */
  warn(msg: string, fields?: LogFields): void {
    this.system('warn', msg, fields);
  }

  /** A server-side failure: error.log (always) and system.log, flushed immediately. */
  error(msg: string, fields?: LogFields): void {
    const line = formatLine('error', msg, fields);
    this.sinks.error.append(line);
    this.sinks.error.flush();
    this.sinks.system.append(line);
    this.sinks.system.flush();
    if (this.echoStderr) process.stderr.write(line + '\n');
  }

  /**
   * One `slow_query` line in performance.log: what was asked (route and parameters) and how long
   * it took, so `grep slow_query logs/performance.log` lists the offenders.
   */
  slowQuery(fields: { route: string; params: LogFields; duration_ms: number; rows?: number }): void {
    this.sinks.performance.append(
      formatLine('warn', `slow_query ${fields.route} ${fields.duration_ms.toFixed(1)}ms`, { event: 'slow_query', ...fields }),
    );
  }

  /** Writes all buffered lines now. */
  flush(): void {
    for (const s of Object.values(this.sinks)) s.flush();
  }

  /** Flushes and closes the files; later calls log nothing. */
  close(): void {
    for (const s of Object.values(this.sinks)) s.close();
  }

  private system(level: LogLevel, msg: string, fields?: LogFields): void {
    if (RANK[level] < this.minRank) return;
    const line = formatLine(level, msg, fields);
    this.sinks.system.append(line);
    if (this.echoStderr && RANK[level] >= RANK.warn) process.stderr.write(line + '\n');
  }
}

/** One JSON log line (exported for tests). Error values become `{name, message, stack, cause}`. */
export function formatLine(level: LogLevel, msg: string, fields?: LogFields): string {
  const obj: LogFields = { time: new Date().toISOString(), level: level.toUpperCase(), msg };
  if (fields) for (const [k, v] of Object.entries(fields)) obj[k] = v instanceof Error ? errorFields(v) : v;
  try {
    return JSON.stringify(obj);
  } catch {
    // A cyclic or BigInt field must not lose the line itself.
    return JSON.stringify({ time: obj.time, level: obj.level, msg, note: 'fields not serializable' });
  }
}

function errorFields(e: Error): LogFields {
  const out: LogFields = { name: e.name, message: e.message, stack: e.stack };
  if (e.cause instanceof Error) out.cause = errorFields(e.cause);
  else if (e.cause !== undefined) out.cause = String(e.cause);
  return out;
}
