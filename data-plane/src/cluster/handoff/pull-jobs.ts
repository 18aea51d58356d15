import { ConflictError, CorruptionError, ValidationError } from '../../errors.ts';
import { readSnapshot } from '../../ops/snapshot-stream.ts';
import type { Engine } from '../../storage/engine.ts';
import { engineMetaKey, KIND_SEGMENT } from '../../storage/keys.ts';
import type { KvEntry } from '../../storage/kv-store.ts';
import { DIGEST_KEY, segmentRows, type ExportDigest } from './vnode-export.ts';

/** State of one vnode copy on the receiving node. */
export interface PullJob {
  vnode: number;
  from: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  /** rows and bytes received so far (over all attempts) */
  rows: number;
  bytes: number;
  attempts: number;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  /** the key the latest attempt resumed after (hex), when it continued an interrupted one */
  resumedAfter?: string;
  /** what the last completed attempt verified */
  verified?: { sentRows: number; receivedRows: number };
}

/** How a job reaches the source node. */
export interface PullTransport {
  /** base URL of a node's data port (http://host:port) */
  urlOf(nodeId: string): string;
  /** headers of node-to-node calls (the cluster token) */
  headers(): Record<string, string>;
}

export interface PullOptions {
  /** bytes per second a job may read (0 = unthrottled) */
  bytesPerSecond: number;
  /** attempts before a job is failed (each resumes after the last imported entry) */
  maxAttempts: number;
}

/** Entries imported per batch (and per persisted progress record). */
const IMPORT_BATCH = 32;

/**
 * Receiver-driven vnode handoff (data-plane/docs/cluster-api.md): copies a vnode from a current
 * owner, importing through the engine's merge path (rows already here, from dual writes, win),
 * and verifies the row count against the source's digest frame. Progress (the last imported key)
 * is persisted after every batch, so an attempt interrupted by a crash on either side resumes
 * where it stopped; `resumeAll()` restarts interrupted jobs after a restart of this node.
 */
export class PullJobs {
  private readonly jobs = new Map<number, PullJob & { abort?: AbortController; done?: Promise<void> }>();
  /** since start: bytes received, vnodes copied and verified, copies failed (for /metrics) */
  readonly totals = { bytes: 0, vnodesCopied: 0, failed: 0 };

  constructor(
    private readonly engine: Engine,
    private readonly transport: PullTransport,
    private readonly opts: PullOptions,
    private readonly onProgress: (bytes: number, vnodeDone: boolean) => void = () => {},
  ) {}

  /** Starts copying `vnode` from node `from` (idempotent while a copy from the same node runs). */
  start(vnode: number, from: string): PullJob {
    if (!Number.isInteger(vnode) || vnode < 0 || vnode >= this.engine.opts.vnodes) throw new ValidationError(`vnode ${vnode} is out of range 0..${this.engine.opts.vnodes - 1}`);
    const cur = this.jobs.get(vnode);
    if (cur?.state === 'running') {
      if (cur.from !== from) throw new ConflictError(`vnode ${vnode} is already being copied from ${cur.from}`);
      return view(cur);
    }
    const job: PullJob & { abort?: AbortController; done?: Promise<void> } = {
      vnode, from, state: 'running', rows: 0, bytes: 0, attempts: 0, startedAt: new Date().toISOString(),
    };
    this.jobs.set(vnode, job);
    job.done = this.run(job);
    return view(job);
  }

  /** Stops a running copy and forgets its progress. */
  async cancel(vnode: number): Promise<boolean> {
    const job = this.jobs.get(vnode);
    if (!job || job.state !== 'running') return false;
    job.state = 'cancelled';
    job.abort?.abort();
    await job.done;
    await this.clearProgress(vnode);
    return true;
  }

  /** Copies running now. */
  get running(): number {
    let n = 0;
    for (const j of this.jobs.values()) if (j.state === 'running') n++;
    return n;
  }

  /** Every job this node knows (running, finished, failed). */
  list(): PullJob[] {
    return [...this.jobs.values()].map(view);
  }

  /** Waits for a job to finish (tests, the rebalance driver). */
  async wait(vnode: number): Promise<PullJob | undefined> {
    await this.jobs.get(vnode)?.done;
    const j = this.jobs.get(vnode);
    return j && view(j);
  }

  /** Restarts the copies that were running when this node stopped. */
  async resumeAll(): Promise<number> {
    const prefix = engineMetaKey('handoff/');
    const end = engineMetaKey('handoff0');
    let n = 0;
    for await (const { key, value } of this.engine.kv.iterate({ gte: prefix, lt: end })) {
      const vnode = Number(key.toString('utf8', prefix.length));
      const { from } = JSON.parse(value.toString()) as { from: string };
      this.start(vnode, from);
      n++;
    }
    return n;
  }

  private async run(job: PullJob & { abort?: AbortController }): Promise<void> {
    while (job.state === 'running') {
      job.attempts++;
      try {
        await this.attempt(job);
        job.state = 'done';
        job.finishedAt = new Date().toISOString();
        this.totals.vnodesCopied++;
        await this.clearProgress(job.vnode);
        this.onProgress(0, true);
      } catch (err) {
        if (job.state !== 'running') break; // cancelled
        job.error = (err as Error).message;
        if (job.attempts >= this.opts.maxAttempts) {
          job.state = 'failed';
          this.totals.failed++;
          job.finishedAt = new Date().toISOString();
          break;
        }
        await sleep(Math.min(5000, 200 * 2 ** job.attempts));
      }
    }
  }

  /** One pass: stream from the last imported key to the end, import, verify. */
  private async attempt(job: PullJob & { abort?: AbortController }): Promise<void> {
    const saved = await this.loadProgress(job.vnode);
    const after = saved?.after;
    if (after) job.resumedAfter = after;
    job.abort = new AbortController();
    const url = `${this.transport.urlOf(job.from)}/internal/v1/vnodes/${job.vnode}/export?flush=1${after ? `&after=${after}` : ''}`;
    const res = await fetch(url, { headers: this.transport.headers(), signal: job.abort.signal });
    if (!res.ok || !res.body) throw new Error(`export of vnode ${job.vnode} from ${job.from} answered ${res.status}: ${await res.text()}`);
    await this.saveProgress(job.vnode, { from: job.from, after });
    let received = 0;
    let digest: ExportDigest | null = null;
    let batch: KvEntry[] = [];
    const throttle = new Throttle(this.opts.bytesPerSecond);
    const flushBatch = async () => {
      if (!batch.length) return;
      await this.engine.vnodes.importEntries(batch);
      const last = batch[batch.length - 1].key;
      batch = [];
      await this.saveProgress(job.vnode, { from: job.from, after: last.toString('hex') });
    };
    async function* counted(body: AsyncIterable<Uint8Array>, onBytes: (n: number) => Promise<void>): AsyncGenerator<Uint8Array> {
      for await (const chunk of body) {
        await onBytes(chunk.length);
        yield chunk;
      }
    }
    const chunks = counted(res.body as unknown as AsyncIterable<Uint8Array>, async (n) => {
      job.bytes += n;
      this.totals.bytes += n;
      this.onProgress(n, false);
      await throttle.take(n);
    });
    for await (const e of readSnapshot(chunks, () => {})) {
      if (job.state !== 'running') throw new Error('cancelled');
      if (e.key.equals(DIGEST_KEY)) {
        digest = JSON.parse(e.value.toString()) as ExportDigest;
        continue;
      }
      if (e.key.readUInt16BE(0) !== job.vnode) throw new CorruptionError(`export of vnode ${job.vnode} holds a key of vnode ${e.key.readUInt16BE(0)}`);
      if (e.key[2] === KIND_SEGMENT) {
        const rows = segmentRows(e);
        received += rows;
        job.rows += rows;
      }
      batch.push(e);
      if (batch.length >= IMPORT_BATCH) await flushBatch();
    }
    await flushBatch();
    if (!digest) throw new CorruptionError(`export of vnode ${job.vnode} ended without its digest frame`);
    if (digest.rows !== received) throw new CorruptionError(`vnode ${job.vnode}: source sent ${digest.rows} rows, ${received} arrived`);
    job.verified = { sentRows: digest.rows, receivedRows: received };
  }

  private progressKey(vnode: number): Buffer {
    return engineMetaKey(`handoff/${vnode}`);
  }

  private async loadProgress(vnode: number): Promise<{ from: string; after?: string } | null> {
    const v = await this.engine.kv.get(this.progressKey(vnode));
    return v ? (JSON.parse(v.toString()) as { from: string; after?: string }) : null;
  }

  private async saveProgress(vnode: number, p: { from: string; after?: string }): Promise<void> {
    await this.engine.kv.write([{ type: 'put', key: this.progressKey(vnode), value: Buffer.from(JSON.stringify(p)) }]);
  }

  private async clearProgress(vnode: number): Promise<void> {
    await this.engine.kv.write([{ type: 'del', key: this.progressKey(vnode) }]);
  }
}

/** A token bucket over bytes per second (0 = no limit). */
class Throttle {
  private readonly t0 = Date.now();
  private taken = 0;
  constructor(private readonly rate: number) {}
  async take(n: number): Promise<void> {
    if (this.rate <= 0) return;
    this.taken += n;
    const due = (this.taken / this.rate) * 1000 - (Date.now() - this.t0);
    if (due > 0) await sleep(due);
  }
}

function view(j: PullJob & { abort?: unknown; done?: unknown }): PullJob {
  const { abort: _a, done: _d, ...rest } = j;
  return { ...rest };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
