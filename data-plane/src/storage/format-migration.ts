import type { KvOp, KvStore } from './kv-store.ts';
import { KIND_SEGMENT, SYSTEM_PREFIX, segmentKey } from './keys.ts';
import { segmentSummaryOf } from './segment-reader.ts';

/** Bytes of rewritten values per batch. */
const BATCH_BYTES = 4 << 20;

/**
 * Format 1 → 2: format 1 computed a segment key's timestamp as `maxTs + 2^63` in a double,
 * which rounds to a multiple of 2048 µs. Keys kept their order, but a read could stop one
 * segment early when a segment ended within ~1 ms before the end of the range, and
 * `segmentKeyTs` did not give back the segment's last timestamp. This rewrites every segment
 * whose key is not exact under the key of its real last timestamp (from its header), with the
 * same value. Idempotent, so a crash part-way is finished by the next open; the caller records
 * format 2 only after it returns. Returns the number of keys rewritten, and of segments whose
 * header could not be read (left as they are).
 */
export async function migrateSegmentKeysFrom1(kv: KvStore, onProgress?: (rewritten: number) => void): Promise<{ rewritten: number; unreadable: number }> {
  let ops: KvOp[] = [];
  let bytes = 0;
  let rewritten = 0;
  let unreadable = 0;
  const end = Buffer.from([SYSTEM_PREFIX >> 8, SYSTEM_PREFIX & 0xff]);
  for await (const e of kv.iterate({ lt: end })) {
    if (e.key[2] !== KIND_SEGMENT) continue;
    let summary;
    try {
      summary = segmentSummaryOf(e);
    } catch {
      // A damaged value keeps its key: its reads fail with CorruptionError as before, and one
      // bad segment does not keep the whole store from opening.
      unreadable++;
      continue;
    }
    if (summary.rowCount === 0) continue; // no rows, no last timestamp: its key says nothing wrong
    const prefix = e.key.subarray(0, e.key.length - 8);
    const exact = segmentKey(prefix, summary.maxTs);
    if (exact.equals(e.key)) continue;
    // Segments never overlap, so no other segment of the series has (or gets) this exact key.
    ops.push({ type: 'del', key: e.key }, { type: 'put', key: exact, value: e.value });
    bytes += e.value.length;
    rewritten++;
    if (bytes >= BATCH_BYTES) {
      await kv.write(ops, { sync: true });
      onProgress?.(rewritten);
      ops = [];
      bytes = 0;
    }
  }
  if (ops.length) await kv.write(ops, { sync: true });
  return { rewritten, unreadable };
}
