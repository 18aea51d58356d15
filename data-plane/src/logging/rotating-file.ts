import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where log lines go: a rotating file in production, an array in unit tests. */
export interface LogSink {
  /** Queues one line (without its trailing newline). Never throws, never blocks on I/O. */
  append(line: string): void;
  /** Writes everything queued now (synchronously: used at shutdown and for error lines). */
  flush(): void;
  close(): void;
}

/** Options of {@link RotatingFile}. */
export interface RotatingFileOptions {
  /** rotate when the file would grow past this many bytes (0 = never rotate) */
  maxBytes: number;
  /** rotated files kept (`x.log.1` newest … `x.log.N` oldest); 0 = truncate the current file */
  maxFiles: number;
  /** queued lines are written at most this late (ms; default 200) */
  flushMs?: number;
  /** queue size that triggers an early write (bytes; default 256 KiB) */
  maxBufferBytes?: number;
}

/**
 * An append-only log file rotated by size. Lines are buffered and written in batches from a
 * timer, so a request handler never waits for the disk; a crash loses at most `flushMs` of
 * lines (the data itself is protected by the WAL, not by logs).
 *
 * Single writer: one instance per path per process (rotation renames files under other writers).
 * A failing write (disk full, directory removed) drops the batch and reports once on stderr
 * rather than throwing into request handlers.
 */
export class RotatingFile implements LogSink {
  private fd: number;
  private size: number;
  private queue: string[] = [];
  private queued = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private reportedFailure = false;
  private readonly flushMs: number;
  private readonly maxBufferBytes: number;

  constructor(
    readonly path: string,
    private readonly opts: RotatingFileOptions,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
    this.size = fstatSync(this.fd).size;
    this.flushMs = opts.flushMs ?? 200;
    this.maxBufferBytes = opts.maxBufferBytes ?? 256 * 1024;
  }

  append(line: string): void {
    if (this.closed) return;
    this.queue.push(line);
    this.queued += line.length + 1;
    if (this.queued >= this.maxBufferBytes) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      // A pending log write must not keep the process alive at exit (close() flushes anyway).
      this.timer.unref?.();
    }
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.queue.length === 0 || this.closed) return;
    const data = Buffer.from(this.queue.join('\n') + '\n', 'utf8');
    this.queue = [];
    this.queued = 0;
    try {
      if (this.opts.maxBytes > 0 && this.size > 0 && this.size + data.length > this.opts.maxBytes) this.rotate();
      writeAll(this.fd, data);
      this.size += data.length;
    } catch (err) {
      if (!this.reportedFailure) {
        this.reportedFailure = true;
        process.stderr.write(`stock-tsdb: cannot write ${this.path}: ${(err as Error).message}\n`);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }

  /** Shifts x.log → x.log.1 → … → x.log.N (dropping the oldest) and starts an empty x.log. */
  private rotate(): void {
    closeSync(this.fd);
    const n = this.opts.maxFiles;
    if (n <= 0) {
      rmSync(this.path, { force: true });
    } else {
      rmSync(`${this.path}.${n}`, { force: true });
      for (let i = n - 1; i >= 1; i--) {
        if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      }
      renameSync(this.path, `${this.path}.1`);
    }
    this.fd = openSync(this.path, 'a');
    this.size = 0;
  }
}

function writeAll(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/** An in-memory sink for unit tests: `lines` holds every appended line. */
export class MemorySink implements LogSink {
  readonly lines: string[] = [];
  append(line: string): void {
    this.lines.push(line);
  }
  flush(): void {}
  close(): void {}
}
