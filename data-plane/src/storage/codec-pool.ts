import { existsSync } from 'node:fs';
import { usableCores } from '../util/usable-cores.ts';
import { fileURLToPath } from 'node:url';
import { Piscina, valueSymbol } from 'piscina';
import { CorruptionError, OverloadError, ValidationError } from '../errors.ts';
import type { CodecTask } from './codec-tasks.ts';
import { BackgroundGate } from './background-gate.ts';

/** Runs codec tasks (encode, decode, merge, aggregate) off the request thread. */
export interface CodecPool {
  run<T>(task: CodecTask): Promise<T>;
  /** tasks waiting for a worker */
  readonly queueDepth: number;
  close(): Promise<void>;
}

/**
 * Under Bun the worker loads the TypeScript source directly; Node (Vitest) cannot, so there
 * it loads the bundle that `scripts/build-workers.sh` writes (run by `npm test`/`npm start`).
 */
export function codecWorkerFile(): string {
  const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';
  const source = fileURLToPath(new URL('./codec-worker.ts', import.meta.url));
  if (isBun) return source;
  const bundle = fileURLToPath(new URL('../../dist/codec-worker.cjs', import.meta.url));
  if (!existsSync(bundle)) throw new Error(`codec worker bundle missing: run scripts/build-workers.sh (${bundle})`);
  return bundle;
}

/** The real pool: Piscina worker threads. */
export class PiscinaCodecPool implements CodecPool {
  private readonly pool: Piscina;
  /** seal tasks (sealing, import merges) go through it: a worker stays free for requests */
  private readonly background: BackgroundGate;

  constructor(opts: { threads: number; maxQueue: number }) {
    const threads = opts.threads > 0 ? opts.threads : usableCores();
    this.background = new BackgroundGate(threads);
    this.pool = new Piscina({
      filename: codecWorkerFile(),
      minThreads: threads,
      maxThreads: threads,
      maxQueue: opts.maxQueue,
      // Segment sealing is CPU-bound; idle workers stay warm (JIT) instead of being recycled.
      idleTimeout: 60_000,
    });
  }

  get queueDepth(): number {
    return this.pool.queueSize + this.background.queued;
  }

  async run<T>(task: CodecTask): Promise<T> {
    if (task.kind === 'seal') return this.background.run(() => this.submit<T>(task));
    this.background.noteForeground();
    return this.submit<T>(task);
  }

  private async submit<T>(task: CodecTask): Promise<T> {
    try {
      return rethrowFailure(await this.pool.run(task, { transferList: transferablesOf(task) })) as T;
    } catch (err) {
      if (err instanceof Error && /queue is at limit/i.test(err.message)) {
        throw new OverloadError('codec worker queue is full', 1, 503);
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** Runs tasks on the calling thread: for unit tests of the layers above, never in the server. */
export class InlineCodecPool implements CodecPool {
  readonly queueDepth = 0;
  private handler: ((t: CodecTask) => unknown) | null = null;

  async run<T>(task: CodecTask): Promise<T> {
    if (!this.handler) this.handler = (await import('./codec-worker.ts')).default as (t: CodecTask) => unknown;
    const result = this.handler(task);
    // What Piscina does for a moved result: hand over the wrapped value.
    const moved = result !== null && typeof result === 'object' && valueSymbol in result;
    return rethrowFailure(moved ? (result as Record<symbol, unknown>)[valueSymbol] : result) as T;
  }

  async close(): Promise<void> {}
}

/**
 * Array buffers a task owns outright (copied rows handed to sealing, a request body to parse),
 * moved rather than copied.
 */
function transferablesOf(task: CodecTask): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  if (task.kind === 'ingest') {
    // Only a body that is its whole buffer: moving a shared one would empty its other views.
    const b = task.body;
    return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? [b.buffer as ArrayBuffer] : [];
  }
  if (task.kind !== 'seal') return [];
  // Rows in shared memory (head columns) are read by the worker in place: nothing to move.
  const add = (a: Float64Array) => {
    if (!(a.buffer instanceof SharedArrayBuffer)) out.add(a.buffer as ArrayBuffer);
  };
  for (const item of task.items) {
    add(item.ts);
    for (const v of item.values) add(v);
  }
  return [...out];
}

/** Turns a worker's returned failure back into the error class callers branch on. */
function rethrowFailure(result: unknown): unknown {
  const f = (result as { workerFailure?: { name: string; message: string; key?: string; code?: string } } | null)?.workerFailure;
  if (!f) return result;
  if (f.name === 'ValidationError') throw new ValidationError(f.message, f.code);
  if (f.name === 'CorruptionError') {
    const err = new CorruptionError(f.message);
    Object.assign(err, { key: f.key });
    throw err;
  }
  throw new Error(`codec worker: ${f.name}: ${f.message}`);
}
