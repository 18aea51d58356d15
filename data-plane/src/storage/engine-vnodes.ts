import type { KvEntry, KvStore } from './kv-store.ts';
import { KIND_META, KIND_SEGMENT, parseDataKey, vnodeRange } from './keys.ts';
import { unwrapValue } from '../encoding/envelope.ts';
import { CorruptionError } from '../errors.ts';
import type { Sealer, VerbatimSegment } from './sealer.ts';
import { keyName, segmentSummaryOf, type SegmentReader } from './segment-reader.ts';
import type { SeriesState } from './series-state.ts';
import type { SortedRows } from './sorted-rows.ts';

/** What VnodeStore needs from the engine. */
export interface VnodeHost {
  kv: KvStore;
  reader: SegmentReader;
  sealer: Sealer;
  seriesIn(vnode: number): SeriesState[];
  stateFor(symbol: string): SeriesState;
  /** forgets the series of a vnode and records that WAL records up to now must not revive them */
  forgetVnode(vnode: number): Promise<void>;
}

/** Count and order-independent checksum of a vnode's stored rows. */
export interface VnodeDigest {
  vnode: number;
  series: number;
  rows: number;
  /** sum over rows of a 32-bit row hash (symbol, timestamp, present field values), mod 2^32 */
  checksum: number;
}

/**
 * Per-vnode operations the cluster layer uses for handoff and anti-entropy. A vnode is one
 * contiguous key range (keys.md), so export, count and drop are range operations; import goes
 * through the normal merge path so it can never create overlapping segments.
 */
export class VnodeStore {
  constructor(private readonly host: VnodeHost) {}

  /** Seals every head row of the vnodes' series into stored segments (all in shared seal tasks). */
  async flush(...vnodes: number[]): Promise<void> {
    await this.host.sealer.sealSeries(vnodes.flatMap((v) => this.host.seriesIn(v)));
  }

  /**
   * The vnode's stored entries (series meta and segments) from a consistent snapshot, in key
   * order, starting after `afterKey` when resuming an interrupted stream. Flush first to include
   * rows still in memory.
   */
  async *export(vnode: number, afterKey?: Uint8Array): AsyncGenerator<KvEntry> {
    const { gte, lt } = vnodeRange(vnode);
    yield* this.host.kv.iterate(afterKey ? { gt: afterKey, lt } : { gte, lt });
  }

  /**
   * Imports entries exported by another node. Meta records add fields; segment rows merge with
   * what is stored here, and rows already here win collisions (they come from writes at least as
   * new as the exported snapshot). Verifies every value's checksum first. Segments that overlap
   * nothing stored here are stored verbatim (no decode), one batch per series; others are
   * merged. Give many entries at once (a few MB): the cost per call is a few RocksDB round
   * trips per series, not per segment. Returns the
   * imported row count; with `onRows`, every segment is decoded, handed to it, and the
   * order-independent checksum of the rows (as `digest` computes it) is returned too.
   */
  async importEntries(entries: KvEntry[], onRows?: (symbol: string, rows: SortedRows) => void): Promise<{ rows: number; checksum: number }> {
    let rows = 0;
    let checksum = 0;
    const merge = async (st: SeriesState, symbol: string, e: KvEntry) => {
      // Its own copy: an imported value may be a view into a larger stream chunk
      // (readSnapshot), which a worker task would clone whole, or detach if it moved it.
      const [decoded] = await this.host.reader.decodeAll([{ key: e.key, value: Buffer.from(e.value) }]);
      await this.host.sealer.importRows(st, decoded);
      rows += decoded.ts.length;
      checksum = (checksum + rowsChecksum(symbol, decoded)) >>> 0;
      onRows?.(symbol, decoded);
    };
    for (let i = 0; i < entries.length; ) {
      const { kind, symbol } = parseDataKey(entries[i].key);
      const st = this.host.stateFor(symbol);
      if (kind === KIND_META) {
        this.importMeta(st, entries[i++]);
        continue;
      }
      if (kind !== KIND_SEGMENT) throw new CorruptionError(`unknown key kind ${kind}`, keyName(entries[i].key));
      // The run of this series' segments (keys are sorted: a series' segments are adjacent).
      const run: (VerbatimSegment & { entry: KvEntry })[] = [];
      for (; i < entries.length; i++) {
        const e = entries[i];
        const k = parseDataKey(e.key);
        if (k.kind !== KIND_SEGMENT || k.symbol !== symbol) break;
        const sum = segmentSummaryOf(e);
        for (const f of sum.fields) if (!st.fieldTypes.has(f)) (st.fieldTypes.set(f, 'float'), (st.metaDirty = true));
        run.push({ value: e.value, minTs: sum.minTs, maxTs: sum.maxTs, rowCount: sum.rowCount, entry: e });
      }
      const verbatim = onRows ? [] : run.filter((s) => s.rowCount > 0);
      const rest = onRows ? run : run.filter((s) => s.rowCount === 0);
      const overlapping = (await this.host.sealer.importVerbatim(st, verbatim)) as typeof run;
      for (const s of verbatim) if (!overlapping.includes(s)) rows += s.rowCount;
      for (const s of [...overlapping, ...rest]) await merge(st, symbol, s.entry);
    }
    return { rows, checksum: onRows ? checksum : 0 };
  }

  /** Meta records add fields (a field typed int here and float there becomes float). */
  private importMeta(st: SeriesState, e: KvEntry): void {
    const { payload } = unwrapValue(e.value, keyName(e.key));
    const meta = JSON.parse(new TextDecoder().decode(payload)) as { fields: [string, 'int' | 'float'][] };
    for (const [name, type] of meta.fields) {
      const known = st.fieldTypes.get(name);
      if (known !== type && known !== 'float') (st.fieldTypes.set(name, known ? 'float' : type), (st.metaDirty = true));
    }
  }

  /** Counts and checksums the vnode's stored rows (flush first for a complete picture). */
  async digest(vnode: number): Promise<VnodeDigest> {
    const { gte, lt } = vnodeRange(vnode);
    let rows = 0;
    let checksum = 0;
    const symbols = new Set<string>();
    let batch: KvEntry[] = [];
    const drain = async () => {
      const decoded = await this.host.reader.decodeAll(batch);
      decoded.forEach((r, i) => {
        const { symbol } = parseDataKey(batch[i].key);
        symbols.add(symbol);
        rows += r.ts.length;
        checksum = (checksum + rowsChecksum(symbol, r)) >>> 0;
      });
      batch = [];
    };
    for await (const e of this.host.kv.iterate({ gte, lt })) {
      if (e.key[2] !== KIND_SEGMENT) continue;
      batch.push(e);
      if (batch.length >= 64) await drain();
    }
    await drain();
    return { vnode, series: symbols.size, rows, checksum };
  }

  /**
   * Deletes everything of the vnode here (after ownership moved away), heads included. A vnode
   * with nothing here is left alone (no range tombstone, no drop marker): drops come twice after
   * a handoff, from the rebalance driver and from the node's own lost-vnode check.
   */
  async drop(vnode: number): Promise<void> {
    const series = this.host.seriesIn(vnode);
    if (series.length === 0 && (await this.storedNothing(vnode))) return;
    while (series.some((s) => s.sealInFlight)) await this.host.sealer.idle();
    await this.host.forgetVnode(vnode);
    const { gte, lt } = vnodeRange(vnode);
    await this.host.kv.clearRange(gte, lt);
    this.host.reader.forgetPrefix(gte);
  }

  private async storedNothing(vnode: number): Promise<boolean> {
    const it = this.host.kv.iterate({ ...vnodeRange(vnode), limit: 1, keysOnly: true });
    try {
      return (await it.next()) === undefined;
    } finally {
      await it.close();
    }
  }
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Order-independent checksum of rows: the sum of per-row hashes (absent values skipped, fields by name). */
export function rowsChecksum(symbol: string, rows: SortedRows): number {
  let symHash = 0x811c9dc5;
  for (let i = 0; i < symbol.length; i++) symHash = Math.imul(symHash ^ symbol.charCodeAt(i), 0x01000193);
  const order = rows.fields.map((f, i) => [f, i] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const fieldHash = order.map(([f]) => {
    let h = 0x9747b28c;
    for (let i = 0; i < f.length; i++) h = Math.imul(h ^ f.charCodeAt(i), 0x01000193);
    return h;
  });
  let sum = 0;
  for (let r = 0; r < rows.ts.length; r++) {
    let h = mix(symHash, rows.ts[r]);
    for (let k = 0; k < order.length; k++) {
      const v = rows.values[order[k][1]][r];
      if (v !== v) continue;
      h = mix(h ^ fieldHash[k], v);
    }
    sum = (sum + (h >>> 0)) >>> 0;
  }
  return sum;
}

function mix(h: number, v: number): number {
  f64[0] = v;
  h = Math.imul(h ^ u32[0], 0xcc9e2d51);
  h = (h << 15) | (h >>> 17);
  h = Math.imul(h ^ u32[1], 0x1b873593);
  h ^= h >>> 16;
  return Math.imul(h, 0x85ebca6b);
}
