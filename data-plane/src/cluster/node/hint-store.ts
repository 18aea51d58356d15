/**
 * HintStore: the durable queue of writes this coordinator owes to replicas it could not reach
 * (sloppy quorum, as in Dynamo §4.6). One hint = the raw WAL record (encoding/wal-record.ts) of
 * the part of a write batch meant for one target plus the ring epoch that part was routed by, in
 * the value envelope (kind `routed-hint`: epoch u64 BE, then the record), under
 * `0xFFFF 'H' <target> <seq>` (hint-keys.ts). Hints of kind `hint` (no epoch), written before
 * epochs were kept, still read back.
 *
 * Concurrency: single JS thread. `pending(target)` counts hints whose append has started, not
 * only those already durable: the write path sends a target's new writes to the queue while it
 * is non-empty, and counting an append from its first synchronous step keeps a direct write from
 * overtaking an older queued one (per-coordinator order = last-write-wins order on replay).
 * Concurrent appends may become durable out of order (the KvStore runs writes on a thread pool),
 * so `peek` only hands out the prefix below the oldest append still in flight: replay never
 * sends hint n+1 before hint n.
 */
import { unwrapValue, wrapValue } from '../../encoding/envelope.ts';
import { CorruptionError } from '../../errors.ts';
import type { KvStore } from '../../storage/kv-store.ts';
import { allHintsRange, hintKey, hintRange, parseHintKey } from './hint-keys.ts';

/** One stored hint as read back: its record, or the reason it could not be read. */
export interface StoredHint {
  key: Buffer;
  seq: number;
  /** stored value size (bytes) */
  bytes: number;
  /** the WAL record to send (absent when the value is corrupt) */
  record?: Uint8Array;
  /** the ring epoch the record was routed by (absent for hints stored without one) */
  epoch?: number;
  /** why the stored value is unusable (checksum/version failure) */
  error?: Error;
}

/** Durable per-target hint queues over a KvStore. */
export class HintStore {
  private nextSeq = 1;
  /** target → hints stored or being stored */
  private readonly counts = new Map<string, number>();
  /** target → bytes of stored hints */
  private readonly sizes = new Map<string, number>();
  /** target → sequence numbers of appends not yet durable */
  private readonly inFlight = new Map<string, Set<number>>();

  private constructor(
    private readonly kv: KvStore,
    private readonly onAppended: (target: string) => void,
  ) {}

  /**
   * Opens the store: scans the stored hints once to learn counts and the next sequence number.
   * `onAppended` is told (synchronously, after the fsync) each time a hint becomes durable.
   */
  static async open(kv: KvStore, opts: { onAppended?: (target: string) => void } = {}): Promise<HintStore> {
    const s = new HintStore(kv, opts.onAppended ?? (() => {}));
    const { gte, lt } = allHintsRange();
    for await (const { key, value } of kv.iterate({ gte, lt })) {
      const { target, seq } = parseHintKey(key);
      s.counts.set(target, (s.counts.get(target) ?? 0) + 1);
      s.sizes.set(target, (s.sizes.get(target) ?? 0) + value.length);
      if (seq >= s.nextSeq) s.nextSeq = seq + 1;
    }
    return s;
  }

  /** Hints for `target` stored or being stored. */
  pending(target: string): number {
    return this.counts.get(target) ?? 0;
  }

  /** Bytes of durable hints for `target`. */
  bytes(target: string): number {
    return this.sizes.get(target) ?? 0;
  }

  /** Targets with at least one hint. */
  targets(): string[] {
    return [...this.counts.keys()].filter((t) => this.pending(t) > 0);
  }

  /** Hints over all targets. */
  total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  /**
   * Stores `record`, routed by ring `epoch`, for `target`, fsync'd before resolving (a hint counts
   * toward the write's acknowledgement, so it must survive a crash like the WAL does). Rethrows
   * the store's error.
   */
  async append(target: string, record: Uint8Array, epoch: number): Promise<void> {
    const seq = this.nextSeq++;
    this.adjust(target, 1, 0);
    const flying = this.inFlight.get(target) ?? new Set<number>();
    this.inFlight.set(target, flying.add(seq));
    const value = wrapValue('routed-hint', withEpoch(epoch, record));
    try {
      await this.kv.write([{ type: 'put', key: hintKey(target, seq), value }], { sync: true });
    } catch (err) {
      this.adjust(target, -1, 0);
      throw err;
    } finally {
      flying.delete(seq);
      if (flying.size === 0) this.inFlight.delete(target);
    }
    this.adjust(target, 0, value.length);
    this.onAppended(target);
  }

  /**
   * Up to `limit` oldest durable hints for `target`, in append order, stopping before the oldest
   * append still in flight (a later hint may be durable before it).
   */
  async peek(target: string, limit: number): Promise<StoredHint[]> {
    const out: StoredHint[] = [];
    const it = this.kv.iterate({ ...this.durableRange(target), limit });
    try {
      for (let e = await it.next(); e; e = await it.next()) out.push(readHint(e.key, e.value));
    } finally {
      await it.close();
    }
    return out;
  }

  /** Deletes delivered (or unusable) hints; fsync'd so a restart never re-sends them over newer writes. */
  async remove(target: string, hints: readonly StoredHint[]): Promise<void> {
    if (hints.length === 0) return;
    await this.kv.write(hints.map((h) => ({ type: 'del' as const, key: h.key })), { sync: true });
    // Only peek() hands out hints and one replayer per target removes them, so each is removed once.
    this.adjust(target, -hints.length, -hints.reduce((n, h) => n + h.bytes, 0));
  }

  /**
   * Deletes every durable hint for `target` (fsync'd); returns how many. Hints still being
   * appended stay (a later call finds them). Call it only while nothing replays to `target`.
   */
  async discard(target: string): Promise<number> {
    const keys: Buffer[] = [];
    let bytes = 0;
    for await (const { key, value } of this.kv.iterate(this.durableRange(target))) {
      keys.push(key);
      bytes += value.length;
    }
    if (keys.length === 0) return 0;
    await this.kv.write(keys.map((key) => ({ type: 'del' as const, key })), { sync: true });
    this.adjust(target, -keys.length, -bytes);
    return keys.length;
  }

  /** Key range of `target`'s hints below the oldest append still in flight (all durable, in order). */
  private durableRange(target: string): { gte: Buffer; lt: Buffer } {
    const flying = this.inFlight.get(target);
    const { gte, lt } = hintRange(target);
    return { gte, lt: flying ? hintKey(target, Math.min(...flying)) : lt };
  }

  private adjust(target: string, count: number, bytes: number): void {
    const c = (this.counts.get(target) ?? 0) + count;
    if (c < 0) throw new Error(`BUG: hint count for ${target} went negative`);
    if (c === 0) this.counts.delete(target);
    else this.counts.set(target, c);
    this.sizes.set(target, Math.max(0, (this.sizes.get(target) ?? 0) + bytes));
  }
}

function readHint(key: Buffer, value: Buffer): StoredHint {
  const { seq, target } = parseHintKey(key);
  const name = `hint/${target}/${seq}`;
  try {
    const { kind, payload } = unwrapValue(value, name);
    if (kind === 'hint') return { key, seq, bytes: value.length, record: payload };
    if (kind !== 'routed-hint') throw new CorruptionError(`value kind ${kind}, expected routed-hint`, name);
    if (payload.length < EPOCH_BYTES) throw new CorruptionError(`routed hint of ${payload.length} bytes has no epoch`, name);
    const view = new DataView(payload.buffer, payload.byteOffset, EPOCH_BYTES);
    const epoch = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
    return { key, seq, bytes: value.length, record: payload.subarray(EPOCH_BYTES), epoch };
  } catch (err) {
    return { key, seq, bytes: value.length, error: err as Error };
  }
}

/** Bytes of the epoch in front of a routed hint's record. */
const EPOCH_BYTES = 8;

/** A routed hint's payload: `epoch` as u64 BE, then the record. */
function withEpoch(epoch: number, record: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new Error(`BUG: hint epoch ${epoch} is not a non-negative integer`);
  const out = new Uint8Array(EPOCH_BYTES + record.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(epoch / 2 ** 32));
  view.setUint32(4, epoch >>> 0);
  out.set(record, EPOCH_BYTES);
  return out;
}
