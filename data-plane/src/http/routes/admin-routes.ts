import type { Hono } from 'hono';
import { writeSnapshot } from '../../ops/snapshot-stream.ts';
import type { DataAppDeps, DataEnv } from '../deps.ts';
import { streamResponse } from '../stream-response.ts';

/**
 * Operations on the local store (scope admin): `GET /admin/backup` streams a consistent
 * point-in-time snapshot of the whole store while writes continue (scripts/utils/backup_restore.sh
 * turns it into a .tar.gz), `POST /admin/flush` seals every head, `POST /admin/compact` also compacts.
 */
export function registerAdminRoutes(app: Hono<DataEnv>, deps: DataAppDeps): void {
  const ops = deps.ops;
  if (!ops) return;
  app.get('/admin/backup', deps.auth.require('admin'), (c) => {
    const snap = ops.backupSnapshot();
    const header = { walSeq: snap.walSeq, takenAtMs: snap.takenAtMs };
    deps.logger.info('backup started', { wal_seq: snap.walSeq });
    return streamResponse(writeSnapshot(header, snap.entries), {
      'X-Snapshot-Wal-Seq': String(snap.walSeq),
      'X-Snapshot-Taken-At': new Date(snap.takenAtMs).toISOString(),
    });
  });
  app.post('/admin/flush', deps.auth.require('admin'), async (c) => {
    await ops.flush();
    return c.json({ flushed: true });
  });
  // Seals everything and compacts RocksDB, so disk size reflects live data (benchmarks measure
  // peers the same way, e.g. VictoriaMetrics' /internal/force_merge).
  app.post('/admin/compact', deps.auth.require('admin'), async (c) => {
    await ops.compact();
    return c.json({ compacted: true });
  });
}
