/**
 * Parses write request bodies for the HTTP routes: big bodies in the codec worker pool (parse,
 * validate, and encode the WAL value there; the request thread only applies the rows), small
 * ones on the calling thread, where a pool round trip (~0.1 ms) would cost more than the parse.
 *
 * Measured on 10K-line OHLCV bodies over 1000 symbols (bench/RESULTS.md): parsing and encoding
 * on the request thread cost ~0.5 µs/row of its ~1 µs/row, and that thread was the ingest limit.
 */
import type { PreparedWrite } from '../engine-api.ts';
import type { Precision, WriteBatch } from '../model.ts';
import type { CodecPool } from '../storage/codec-pool.ts';
import { decodePeerRecord, type IngestResult, type WriteFormat } from './ingest-task.ts';
import { parseJsonWrite } from './json-write-parser.ts';
import { parseLineProtocol } from './line-protocol-parser.ts';
import { unpackBatch } from './packed-batch.ts';
import type { WriteLimits } from './write-limits.ts';

/** Bodies smaller than this are parsed on the calling thread. */
export const OFF_THREAD_MIN_BYTES = 32 * 1024;

export interface ParseOptions {
  precision: Precision;
  /** request Content-Type (JSON: selects NDJSON) */
  contentType?: string;
  limits?: Partial<WriteLimits>;
}

/** A parsed body: the rows, and what the workers prepared for the local engine's write. */
export interface ParsedWrite {
  batch: WriteBatch;
  prepared?: PreparedWrite;
}

/** Line-protocol bodies parsed so far, by parser (exported as stock_tsdb_line_protocol_bodies_total). */
export interface LineProtocolCounts {
  /** the WebAssembly fast path (lp-fast-path.ts) */
  fast: number;
  /** the TypeScript parser: bodies outside the fast path's shape, and small bodies parsed on the request thread */
  reference: number;
}

/** What the ingest workers prepare besides the parsed rows (see WriteParser's constructor). */
export type WorkerPreparation = 'wal-value' | 'forward-record' | 'none';

export class WriteParser {
  readonly lineProtocolBodies: LineProtocolCounts = { fast: 0, reference: 0 };

  /**
   * @param pool the codec pool, or null to parse everything on the calling thread
   * @param prepare what the workers prepare besides the rows: 'wal-value' when the rows go to a
   *   local engine as they are (standalone, and a cluster node's peer writes); 'forward-record'
   *   when a cluster coordinator splits them by owner (the version-2 record it slices, on line
   *   protocol the fast path parsed); 'none'
   */
  constructor(
    private readonly pool: CodecPool | null,
    private readonly prepare: WorkerPreparation,
    private readonly minOffThreadBytes = OFF_THREAD_MIN_BYTES,
  ) {}

  /**
   * Parses `body`; throws ValidationError naming what is wrong (nothing partial is returned).
   * A big body that is its buffer's only view is MOVED to the worker (detached here): callers
   * hand over the request body and do not read it afterwards.
   */
  async parse(format: WriteFormat, body: Uint8Array, opts: ParseOptions): Promise<ParsedWrite> {
    // Receive time for lines without a timestamp: taken here, not when a worker gets to it.
    const defaultTimeUs = Date.now() * 1000;
    if (!this.pool || body.byteLength < this.minOffThreadBytes) {
      const batch = parseHere(format, body, opts, defaultTimeUs);
      if (format === 'line-protocol') this.lineProtocolBodies.reference++;
      return { batch };
    }
    // The body's buffer is moved to the worker: it must be the body's alone.
    const owned = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : body.slice();
    const r = await this.pool.run<IngestResult>({
      kind: 'ingest',
      format,
      body: owned,
      ...opts,
      defaultTimeUs,
      walValue: this.prepare === 'wal-value',
      forwardRecord: this.prepare === 'forward-record',
    });
    if (r.fastPath !== undefined) this.lineProtocolBodies[r.fastPath ? 'fast' : 'reference']++;
    const batch = unpackBatch(r.packed);
    return r.walValue ? { batch, prepared: { walValue: r.walValue } } : { batch };
  }
}

function parseHere(format: WriteFormat, body: Uint8Array, opts: ParseOptions, defaultTimeUs: number): WriteBatch {
  switch (format) {
    case 'line-protocol':
      return parseLineProtocol(body, { precision: opts.precision, defaultTimeUs, limits: opts.limits });
    case 'json':
      return parseJsonWrite(body, { precision: opts.precision, contentType: opts.contentType, limits: opts.limits });
    case 'wal-record':
      return decodePeerRecord(body);
  }
}
