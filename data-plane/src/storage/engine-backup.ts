import type { KvEntry, KvStore } from './kv-store.ts';
import { walKeySeq, walRange } from './keys.ts';

/** A point-in-time view of the whole store, for online backups. */
export interface BackupSnapshot {
  /** WAL sequence of the snapshot point: the backup holds exactly the batches acknowledged up to it */
  walSeq: number;
  /** when the snapshot was taken (ms since the epoch) */
  takenAtMs: number;
  /** every key/value of the store as of the snapshot, in key order */
  entries: AsyncGenerator<KvEntry>;
}

/**
 * Opens a consistent snapshot for an online backup while writes continue.
 *
 * The RocksDB snapshot (iterator) and `lastAppliedSeq` are taken in the same synchronous step.
 * Every batch acknowledged by then has seq ≤ walSeq and is in the snapshot (in its WAL record or
 * already sealed into segments); records with a higher seq may already be written but are not
 * acknowledged yet, so they are left out. Segments only ever hold rows of applied records, so
 * a restore replays to exactly the state acknowledged at the snapshot point.
 */
export function openBackupSnapshot(kv: KvStore, lastAppliedSeq: number): BackupSnapshot {
  const it = kv.iterate({});
  const walSeq = lastAppliedSeq;
  const wal = walRange();
  async function* entries(): AsyncGenerator<KvEntry> {
    for await (const e of it) {
      if (Buffer.compare(e.key, wal.gte) >= 0 && Buffer.compare(e.key, wal.lt) < 0 && walKeySeq(e.key) > walSeq) continue;
      yield e;
    }
  }
  return { walSeq, takenAtMs: Date.now(), entries: entries() };
}
