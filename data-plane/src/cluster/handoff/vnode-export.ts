import { writeSnapshot } from '../../ops/snapshot-stream.ts';
import type { Engine } from '../../storage/engine.ts';
import { KIND_SEGMENT } from '../../storage/keys.ts';
import type { KvEntry } from '../../storage/kv-store.ts';
import { segmentSummaryOf } from '../../storage/segment-reader.ts';

/** Key of the last frame of an export stream: `0xFFFF 'D'` + "digest", outside every vnode range. */
export const DIGEST_KEY = Buffer.concat([Buffer.from([0xff, 0xff, 0x44]), Buffer.from('digest')]);

/** What the source sent of one vnode, in the frame after its entries; the receiver checks its import against it. */
export interface ExportDigest {
  vnode: number;
  entries: number;
  /** rows of the exported segments (from their headers) */
  rows: number;
}

/** One vnode of an export request: everything, or what follows `after` (resuming). */
export interface ExportPart {
  vnode: number;
  after?: Uint8Array;
}

/**
 * Streams vnodes' stored entries (series meta + segments), one vnode after the other, each in
 * key order after its `after` key and followed by its digest frame. Every vnode is read from its
 * own consistent snapshot. Uses the backup snapshot framing (ops/snapshot-stream.ts), so the
 * whole stream is checksummed in transit. Flush the vnodes first to include head rows.
 */
export function exportVnodesStream(engine: Engine, parts: ExportPart[]): AsyncGenerator<Uint8Array> {
  return readAhead(writeSnapshot({ walSeq: 0, takenAtMs: Date.now(), vnodes: engine.opts.vnodes }, framesWithDigests(engine, parts)), READ_AHEAD);
}

/** Chunks (~1 MB each) prepared ahead of the receiver, so reading here overlaps importing there. */
const READ_AHEAD = 3;

/** Runs `src` up to `depth` items ahead of its consumer; closes it when the consumer stops. */
async function* readAhead<T>(src: AsyncGenerator<T>, depth: number): AsyncGenerator<T> {
  const queue: Promise<IteratorResult<T>>[] = [];
  try {
    for (;;) {
      while (queue.length < depth) queue.push(src.next());
      const r = await queue.shift()!;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await Promise.allSettled(queue);
    await src.return(undefined);
  }
}

/** One vnode's export stream (see exportVnodesStream). */
export function exportVnodeStream(engine: Engine, vnode: number, afterKey?: Uint8Array): AsyncGenerator<Uint8Array> {
  return exportVnodesStream(engine, [{ vnode, after: afterKey }]);
}

async function* framesWithDigests(engine: Engine, parts: ExportPart[]): AsyncGenerator<KvEntry> {
  for (const { vnode, after } of parts) {
    const digest: ExportDigest = { vnode, entries: 0, rows: 0 };
    for await (const e of engine.vnodes.export(vnode, after)) {
      if (e.key[2] === KIND_SEGMENT) digest.rows += segmentRows(e);
      digest.entries++;
      yield e;
    }
    yield { key: DIGEST_KEY, value: Buffer.from(JSON.stringify(digest)) };
  }
}

/** Row count of a stored segment from its header (checks the envelope and header checksums). */
export function segmentRows(e: KvEntry): number {
  return segmentSummaryOf(e).rowCount;
}
