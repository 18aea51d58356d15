import { move, transferableSymbol, valueSymbol } from 'piscina';
import { runIngestTask } from '../ingest/ingest-task.ts';
import { packedBuffers } from '../ingest/packed-batch.ts';
import { candlePartialsForWorker } from './worker-candles.ts';
import type { CodecTask, DecodeResult, SealResult } from './codec-tasks.ts';
import { mergeAndSplit } from './segment-split.ts';
import { decodeSegmentValue, encodeSegmentValue } from './segment-value.ts';

/**
 * Piscina worker entry: runs one CodecTask. Pure CPU work (decode, merge, encode, compress,
 * aggregate); no storage access. Result buffers are plain typed arrays; Piscina copies them
 * back by structured clone unless the pool marks them transferable (see codec-pool.ts).
 */
export default function runCodecTask(task: CodecTask): SealResult | DecodeResult | WorkerFailure | unknown {
  try {
    return run(task);
  } catch (err) {
    // Errors cross the thread boundary as plain data so the pool can rebuild their class
    // (structured clone keeps neither custom classes nor their extra fields).
    const e = err as Error & { key?: string; code?: string };
    return { workerFailure: { name: e?.name ?? 'Error', message: e?.message ?? String(err), key: e?.key, code: typeof e?.code === 'string' ? e.code : undefined } } satisfies WorkerFailure;
  }
}

/** An error raised inside the worker, returned as data. */
export interface WorkerFailure {
  workerFailure: { name: string; message: string; key?: string; code?: string };
}

function run(task: CodecTask): unknown {
  switch (task.kind) {
    case 'seal':
      return task.items.map((item) => {
        const existing = item.existing.map((v, i) => decodeSegmentValue(v, item.existingKeys[i]));
        const chunks = mergeAndSplit({ ...item, existing }, task.maxRows, task.blockSizeUs);
        return chunks.map((rows) => ({
          minTs: rows.ts[0],
          maxTs: rows.ts[rows.ts.length - 1],
          rowCount: rows.ts.length,
          value: encodeSegmentValue(rows, task.blockSizeUs, task.compress),
        }));
      });
    case 'decode':
      return task.values.map((v, i) => decodeSegmentValue(v, task.keys[i]));
    case 'ingest': {
      // The parsed rows and the WAL value are moved back, not cloned (see packed-batch.ts).
      const result = runIngestTask(task);
      const buffers = packedBuffers(result.packed);
      if (result.walValue) buffers.push(result.walValue.buffer as ArrayBuffer);
      return move(new Moved(result, buffers));
    }
    case 'candles': {
      // Partials are small; kept segments are large and are moved, not cloned.
      const { result, buffers } = candlePartialsForWorker(task.items);
      return move(new Moved(result, buffers));
    }
    default:
      throw new Error(`BUG: unknown codec task ${(task as { kind: string }).kind}`);
  }
}

/** A result whose buffers Piscina moves to the caller (its Transferable protocol). */
class Moved<T> {
  constructor(
    private readonly value: T,
    private readonly buffers: ArrayBuffer[],
  ) {}
  get [transferableSymbol](): ArrayBuffer[] {
    return this.buffers;
  }
  get [valueSymbol](): T {
    return this.value;
  }
}
