import { ConflictError, CorruptionError, ValidationError } from '../../errors.ts';
import { readSnapshot } from '../../ops/snapshot-stream.ts';
import type { Engine } from '../../storage/engine.ts';
import { engineMetaKey, KIND_SEGMENT } from '../../storage/keys.ts';
import type { KvEntry, KvOp } from '../../storage/kv-store.ts';
import { DIGEST_KEY, type ExportDigest } from './vnode-export.ts';

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
  /** bytes per second all of this node's copies together may read (0 = unthrottled) */
  bytesPerSecond: number;
  /** attempts before a job is failed (each resumes after the last imported entry) */
  maxAttempts: number;
  /** bytes imported per batch, i.e. between two progress records (default 4 MiB) */
  batchBytes?: number;
}

/**
 * Import batch bounds: entries are imported, and progress recorded, per batch. 1 MB: one batch
 * is written (RocksDB, ~4 ms/MB here) while the next arrives and is parsed, so the copy runs at
 * the slower of the two rates rather than their sum. With 4 MB a 5.4 MB vnode was two batches,
 * barely overlapped: copy probe 69–79 MiB/s; with 1 MB 97–153 (512 KB: 105).
 */
const BATCH_BYTES = 1 << 20;
/**
 * A stream's first import batch is this small, the next ones twice the last up to BATCH_BYTES:
 * the import (the slower side) starts as soon as the source's first, small chunk arrives rather
 * than after a whole MB (~4 ms of source work).
 */
const FIRST_BATCH_BYTES = BATCH_BYTES >> 2;
const BATCH_ENTRIES = 8192;
/** Verified vnodes per synced completion write. */
const BATCH_VERIFIED = 64;
/** Vnodes per export stream (one HTTP request, one flush on the source). */
const VNODES_PER_STREAM = 256;

type Job = PullJob & { stream?: Stream };

/** Jobs copied through one export stream (retried together, each resuming where it stopped). */
interface Stream {
  from: string;
  jobs: Job[];
  abort?: AbortController;
  /** the in-flight attempt (settles when it stops importing) */
  attempt?: Promise<unknown>;
  /** true while an attempt streams */
  inFlight: boolean;
  /** set when a cancel aborted the stream: the others go on without counting an attempt */
  cancelling: boolean;
  done?: Promise<void>;
}

/** A vnode seen complete in the stream, verified once its entries are imported. */
interface Arrived {
  job: Job;
  digest: ExportDigest;
}

/**
 * Receiver-driven vnode handoff (data-plane/docs/cluster-api.md): copies vnodes from a current
 * owner, many per export stream (one request and one source flush per batch of vnodes, so small
 * vnodes do not each pay a round trip), importing through the engine's merge path (rows already
 * here, from dual writes, win), and verifies each vnode's row count against the digest frame that
 * follows it in the stream. Progress (per vnode, the last imported key) is recorded with every
 * import batch, so an attempt interrupted by a crash on either side resumes where it stopped;
 * `resumeAll()` restarts interrupted jobs after a restart of this node. A job is `done` only after
 * a synced write: its rows are durable before the driver may flip the ring.
 *
 * Concurrency: all state is owned by the JS thread; streams run concurrently (one per
 * `startMany` call and source, at most VNODES_PER_STREAM vnodes each) and share the throttle.
 */
export class PullJobs {
  private readonly jobs = new Map<number, Job>();
  private readonly throttle: Throttle;
  /** since start: bytes received, vnodes copied and verified, copies failed (for /metrics) */
  readonly totals = { bytes: 0, vnodesCopied: 0, failed: 0 };

  constructor(
    private readonly engine: Engine,
    private readonly transport: PullTransport,
    private readonly opts: PullOptions,
    private readonly onProgress: (bytes: number, vnodeDone: boolean) => void = () => {},
  ) {
    this.throttle = new Throttle(opts.bytesPerSecond);
  }

  /** Starts copying `vnode` from node `from` (idempotent while a copy from the same node runs). */
  start(vnode: number, from: string): PullJob {
    return this.startMany([vnode], from)[0];
  }

  /**
   * Starts copying `vnodes` from node `from`, through as few export streams as it can. Idempotent
   * per vnode while a copy from the same node runs; throws ConflictError (starting nothing) when
   * one is being copied from another node.
   */
  startMany(vnodes: number[], from: string): PullJob[] {
    for (const v of vnodes) {
      if (!Number.isInteger(v) || v < 0 || v >= this.engine.opts.vnodes) throw new ValidationError(`vnode ${v} is out of range 0..${this.engine.opts.vnodes - 1}`);
      const cur = this.jobs.get(v);
      if (cur?.state === 'running' && cur.from !== from) throw new ConflictError(`vnode ${v} is already being copied from ${cur.from}`);
    }
    const fresh: Job[] = [];
    for (const vnode of new Set(vnodes)) {
      if (this.jobs.get(vnode)?.state === 'running') continue;
      const job: Job = { vnode, from, state: 'running', rows: 0, bytes: 0, attempts: 0, startedAt: new Date().toISOString() };
      this.jobs.set(vnode, job);
      fresh.push(job);
    }
    for (let i = 0; i < fresh.length; i += VNODES_PER_STREAM) {
      const stream: Stream = { from, jobs: fresh.slice(i, i + VNODES_PER_STREAM), inFlight: false, cancelling: false };
      for (const j of stream.jobs) j.stream = stream;
      stream.done = this.run(stream);
    }
    return vnodes.map((v) => view(this.jobs.get(v)!));
  }

  /** Stops a running copy and forgets its progress (the other vnodes of its stream go on). */
  async cancel(vnode: number): Promise<boolean> {
    const job = this.jobs.get(vnode);
    if (!job || job.state !== 'running') return false;
    job.state = 'cancelled';
    job.finishedAt = new Date().toISOString();
    const s = job.stream;
    if (s?.inFlight) {
      s.cancelling = true;
      s.abort?.abort();
    }
    await s?.attempt?.catch(() => {});
    await this.engine.kv.write([{ type: 'del', key: this.progressKey(vnode) }]);
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
    await this.jobs.get(vnode)?.stream?.done;
    const j = this.jobs.get(vnode);
    return j && view(j);
  }

  /** Restarts the copies that were running when this node stopped. */
  async resumeAll(): Promise<number> {
    const prefix = engineMetaKey('handoff/');
    const end = engineMetaKey('handoff0');
    const bySource = new Map<string, number[]>();
    for await (const { key, value } of this.engine.kv.iterate({ gte: prefix, lt: end })) {
      const vnode = Number(key.toString('utf8', prefix.length));
      const { from } = JSON.parse(value.toString()) as { from: string };
      bySource.set(from, [...(bySource.get(from) ?? []), vnode]);
    }
    let n = 0;
    for (const [from, vnodes] of bySource) n += this.startMany(vnodes, from).length;
    return n;
  }

  private async run(s: Stream): Promise<void> {
    for (;;) {
      const open = s.jobs.filter((j) => j.state === 'running');
      if (!open.length) return;
      for (const j of open) j.attempts++;
      s.abort = new AbortController();
      s.attempt = this.attempt(s, open);
      s.inFlight = true;
      try {
        await s.attempt;
      } catch (err) {
        if (s.cancelling) {
          // A cancel stopped the stream: the others go on, and this did not count as an attempt.
          s.cancelling = false;
          for (const j of open) if (j.state === 'running') j.attempts--;
          continue;
        }
        let retry = 0;
        for (const j of open) {
          if (j.state !== 'running') continue;
          j.error = (err as Error).message;
          if (j.attempts < this.opts.maxAttempts) {
            retry = Math.max(retry, j.attempts);
            continue;
          }
          j.state = 'failed';
          j.finishedAt = new Date().toISOString();
          this.totals.failed++;
        }
        if (retry) await sleep(Math.min(5000, 200 * 2 ** retry));
      } finally {
        s.inFlight = false;
      }
    }
  }

  /** One pass over the stream's open jobs: stream each from its last imported key, import, verify. */
  private async attempt(s: Stream, open: Job[]): Promise<void> {
    const parts: { vnode: number; after?: string }[] = [];
    for (const j of open) {
      const after = (await this.loadProgress(j.vnode))?.after;
      if (after) j.resumedAfter = after;
      parts.push(after ? { vnode: j.vnode, after } : { vnode: j.vnode });
    }
    const res = await fetch(`${this.transport.urlOf(s.from)}/internal/v1/vnodes/export`, {
      method: 'POST',
      headers: { ...this.transport.headers(), 'content-type': 'application/json' },
      body: JSON.stringify({ vnodes: parts, flush: true }),
      signal: s.abort!.signal,
    });
    if (!res.ok || !res.body) throw new Error(`export of ${open.length} vnode(s) from ${s.from} answered ${res.status}: ${await res.text()}`);
    // Recorded before anything is imported, so a restart resumes these copies.
    await this.engine.kv.write(parts.map((p) => this.progressOp(p.vnode, { from: s.from, after: p.after })));
    let batch: KvEntry[] = [];
    let batchBytes = 0;
    const maxBatchBytes = this.opts.batchBytes ?? BATCH_BYTES;
    let batchLimit = Math.min(FIRST_BATCH_BYTES, maxBatchBytes);
    let arrived: Arrived[] = [];
    const received = new Map<Job, number>();
    const importBatch = async (entries: KvEntry[], complete: Arrived[]) => {
      const ops: KvOp[] = [];
      for (let i = 0; i < entries.length; ) {
        // One vnode's run of entries (the stream sends vnode after vnode).
        const vnode = entries[i].key.readUInt16BE(0);
        let k = i;
        while (k < entries.length && entries[k].key.readUInt16BE(0) === vnode) k++;
        const job = open.find((j) => j.vnode === vnode)!;
        const { rows } = await this.engine.vnodes.importEntries(entries.slice(i, k));
        received.set(job, (received.get(job) ?? 0) + rows);
        job.rows += rows;
        ops.push(this.progressOp(vnode, { from: s.from, after: entries[k - 1].key.toString('hex') }));
        i = k;
      }
      for (const { job, digest } of complete) {
        const got = received.get(job) ?? 0;
        if (digest.rows !== got) throw new CorruptionError(`vnode ${job.vnode}: source sent ${digest.rows} rows, ${got} arrived`);
        ops.push({ type: 'del', key: this.progressKey(job.vnode) });
      }
      // Synced when it completes vnodes: their rows are durable before anyone sees them done.
      if (ops.length) await this.engine.kv.write(ops, { sync: complete.length > 0 });
      for (const { job, digest } of complete) {
        job.verified = { sentRows: digest.rows, receivedRows: digest.rows };
        if (job.state !== 'running') continue;
        job.state = 'done';
        job.finishedAt = new Date().toISOString();
        this.totals.vnodesCopied++;
        this.onProgress(0, true);
      }
    };
    // One batch imports (RocksDB writes on its own threads) while the next one is parsed here.
    let importing: Promise<void> = Promise.resolve();
    const flushBatch = async () => {
      await importing;
      if (!batch.length && !arrived.length) return;
      importing = importBatch(batch, arrived);
      importing.catch(() => {}); // handled: awaited by the next flush or the finally below
      batch = [];
      batchBytes = 0;
      arrived = [];
      batchLimit = Math.min(batchLimit * 2, maxBatchBytes);
    };
    let at = 0; // index in `open` of the vnode being streamed
    try {
      for await (const e of readSnapshot(this.counted(s, res.body as unknown as AsyncIterable<Uint8Array>), () => {})) {
        if (s.cancelling) throw new Error('cancelled');
        const job = open[at];
        if (!job) throw new CorruptionError(`export from ${s.from} sent more than the ${open.length} vnode(s) asked for`);
        if (e.key.equals(DIGEST_KEY)) {
          const digest = JSON.parse(e.value.toString()) as ExportDigest;
          if (digest.vnode !== job.vnode) throw new CorruptionError(`export from ${s.from}: digest of vnode ${digest.vnode} where vnode ${job.vnode} was due`);
          arrived.push({ job, digest });
          at++;
          if (arrived.length >= BATCH_VERIFIED) await flushBatch();
          continue;
        }
        if (e.key.readUInt16BE(0) !== job.vnode) throw new CorruptionError(`export of vnode ${job.vnode} holds a key of vnode ${e.key.readUInt16BE(0)}`);
        batch.push(e);
        batchBytes += e.key.length + e.value.length;
        if (batchBytes >= batchLimit || batch.length >= BATCH_ENTRIES) await flushBatch();
      }
      await flushBatch();
    } finally {
      await importing; // never leave an import running behind a failed attempt (throws its error)
    }
    if (at < open.length) throw new CorruptionError(`export from ${s.from} ended after ${at} of ${open.length} vnodes`);
  }

  /** The response body, counting bytes into the jobs' progress and honouring the throttle. */
  private async *counted(s: Stream, body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      // Bytes go to the vnode being received (the first open job of the stream still running).
      const job = s.jobs.find((j) => j.state === 'running');
      if (job) job.bytes += chunk.length;
      this.totals.bytes += chunk.length;
      this.onProgress(chunk.length, false);
      await this.throttle.take(chunk.length);
      yield chunk;
    }
  }

  private progressKey(vnode: number): Buffer {
    return engineMetaKey(`handoff/${vnode}`);
  }

  private progressOp(vnode: number, p: { from: string; after?: string }): KvOp {
    return { type: 'put', key: this.progressKey(vnode), value: Buffer.from(JSON.stringify(p)) };
  }

  private async loadProgress(vnode: number): Promise<{ from: string; after?: string } | null> {
    const v = await this.engine.kv.get(this.progressKey(vnode));
    return v ? (JSON.parse(v.toString()) as { from: string; after?: string }) : null;
  }
}

/** A byte-rate limit shared by every stream of a node (0 = no limit). */
class Throttle {
  private at = 0;
  constructor(private readonly rate: number) {}
  async take(n: number): Promise<void> {
    if (this.rate <= 0) return;
    const now = Date.now();
    this.at = Math.max(this.at, now) + (n / this.rate) * 1000;
    if (this.at > now) await sleep(this.at - now);
  }
}

function view(j: Job): PullJob {
  const { stream: _s, ...rest } = j;
  return { ...rest };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
