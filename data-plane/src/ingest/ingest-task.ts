/**
 * The ingest work a codec worker does for one write request: parse the body (line protocol,
 * JSON, or a peer's WAL record) into a PackedBatch and, when asked, encode the batch's stored
 * WAL value too — everything but applying the rows, off the request thread. Pure (no I/O).
 */
import { decodeWalRecord, decodeWalRecordPacked, encodeWalRecordPacked } from '../encoding/wal-record.ts';
import { decodeWalRecordV2Packed, isWalRecordV2 } from '../encoding/wal-record-v2.ts';
import { CorruptionError, ValidationError } from '../errors.ts';
import type { Precision } from '../model.ts';
import { walValueOfRecord } from '../storage/wal-compact.ts';
import { parseJsonWritePacked } from './json-write-parser.ts';
import { parseLineProtocolPacked } from './line-protocol-parser.ts';
import { parseLineProtocolFastWithWal } from './lp-fast-path.ts';
import { unpackBatch, type PackedBatch } from './packed-batch.ts';
import { resolveLimits, type WriteLimits } from './write-limits.ts';

/** What a write body is. `wal-record`: a peer's internal write (a WAL record of version 1 or 2). */
export type WriteFormat = 'line-protocol' | 'json' | 'wal-record';

export interface IngestTask {
  kind: 'ingest';
  format: WriteFormat;
  /** the request body; moved to the worker */
  body: Uint8Array;
  precision: Precision;
  /** µs given to line-protocol lines without a timestamp (the request's receive time) */
  defaultTimeUs?: number;
  /** request Content-Type (JSON: selects NDJSON) */
  contentType?: string;
  limits?: Partial<WriteLimits>;
  /** also encode the stored WAL value (standalone writes: the local engine logs exactly this batch) */
  walValue: boolean;
  /**
   * line protocol without `walValue`: attach the rows' version-2 record to the packed batch when
   * the fast path parsed them (cluster coordinators forward slices of it to the owners)
   */
  forwardRecord?: boolean;
}

export interface IngestResult {
  packed: PackedBatch;
  /** the stored WAL value of exactly `packed`'s batch (wal-compact.ts), when asked for */
  walValue: Uint8Array | null;
  /** line protocol: the WebAssembly fast path parsed the body (else the TypeScript parser did) */
  fastPath?: boolean;
}

/** Runs one ingest task; throws ValidationError for a bad body (nothing partial is returned). */
export function runIngestTask(task: IngestTask): IngestResult {
  switch (task.format) {
    case 'line-protocol': {
      const opts = { precision: task.precision, defaultTimeUs: task.defaultTimeUs, limits: task.limits };
      // The fast path also writes the compact (version 2) record from its own parse: the WAL
      // value without LZ4, or what a cluster coordinator forwards.
      const fast = parseLineProtocolFastWithWal(task.body, task.precision, resolveLimits(task.limits), task.walValue || task.forwardRecord === true);
      if (fast) {
        if (task.walValue) return { packed: fast.packed, walValue: fast.walRecord?.record ?? walValueOfRecord(encodeWalRecordPacked(fast.packed)), fastPath: true };
        // (never with a WAL value too: the record's buffer is moved back once)
        if (fast.walRecord) fast.packed.walRecordV2 = fast.walRecord;
        return { packed: fast.packed, walValue: null, fastPath: true };
      }
      const packed = parseLineProtocolPacked(task.body, opts); // a body the fast path does not take
      return { packed, walValue: task.walValue ? walValueOfRecord(encodeWalRecordPacked(packed)) : null, fastPath: false };
    }
    case 'json': {
      const packed = parseJsonWritePacked(task.body, { precision: task.precision, contentType: task.contentType, limits: task.limits });
      return { packed, walValue: task.walValue ? walValueOfRecord(encodeWalRecordPacked(packed)) : null };
    }
    case 'wal-record': {
      // The body already is the record: log it as received instead of encoding it again.
      if (isWalRecordV2(task.body)) {
        // Version 2 keeps one field order for the whole record: replay sees the live order.
        const packed = decodePeerRecordV2Packed(task.body);
        return { packed, walValue: task.walValue ? task.body : null };
      }
      // Decoded straight into the packed layout, with what the engine checks for batches it
      // did not see parsed (validateBatch's checks).
      const { packed, orderKept } = decodePeerRecordPacked(task.body);
      if (!task.walValue) return { packed, walValue: null };
      // Live apply and WAL replay must see the same column order (it decides a new series'
      // schema order); a record whose series disagree on it is logged as packed instead.
      return { packed, walValue: walValueOfRecord(orderKept ? task.body : encodeWalRecordPacked(packed)) };
    }
    default:
      throw new Error(`BUG: unknown write format ${String((task as { format: unknown }).format)}`);
  }
}

/** A WAL record from a peer; a broken one is the sender's fault (400), not corruption here. */
export function decodePeerRecord(body: Uint8Array) {
  if (isWalRecordV2(body)) return unpackBatch(decodePeerRecordV2Packed(body));
  return asSendersFault(() => decodeWalRecord(body, 'internal write body'));
}

/** A peer's version-2 record (a coordinator's slice of a parsed request), validated and packed. */
function decodePeerRecordV2Packed(body: Uint8Array) {
  return asSendersFault(() => decodeWalRecordV2Packed(body, 'internal write body'));
}

/** decodePeerRecord + validateBatch + packBatch in one pass (encoding/wal-record.ts). */
export function decodePeerRecordPacked(body: Uint8Array) {
  return asSendersFault(() => decodeWalRecordPacked(body, 'internal write body'));
}

function asSendersFault<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof CorruptionError) throw new ValidationError(`internal write: body is not a valid WAL record: ${err.message}`);
    throw err;
  }
}
