import type { StockTsdbConfig } from '../config/types.ts';
import type { EngineApi } from '../engine-api.ts';
import type { BackupSnapshot } from '../storage/engine-backup.ts';
import type { WriteParser } from '../ingest/write-parser.ts';
import type { Logger } from '../logging/logger.ts';
import type { HttpMetrics } from '../metrics/http-metrics.ts';
import type { Admission } from './admission.ts';
import type { Authorizer } from './auth.ts';
import type { AppVariables } from './error-mapping.ts';

/** Operations on this node's own store (the local engine, also in cluster mode). */
export interface LocalOps {
  backupSnapshot(): BackupSnapshot;
  flush(): Promise<void>;
  compact(): Promise<void>;
}

/** Hono environment of the data app (context variables). */
export type DataEnv = { Variables: AppVariables };

/** What the data-port routes need; built once by the server (or by the cluster layer, which
 *  passes its routing engine in place of the local one). */
export interface DataAppDeps {
  engine: EngineApi;
  config: StockTsdbConfig;
  logger: Logger;
  metrics: HttpMetrics;
  admission: Admission;
  auth: Authorizer;
  /** operations on the local store (backup, flush); absent when the engine offers none */
  ops?: LocalOps;
  /** parses write bodies (in the codec workers when the body is big) */
  writeParser: WriteParser;
  /** told about every server-side failure (health tracking) */
  onInternalError?: (err: unknown) => void;
}
