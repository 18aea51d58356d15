import { mergePartialsForWorker } from './worker-candles.ts';
import type { CodecTask, DecodeResult, SealResult } from './codec-tasks.ts';
import { mergeAndSplit } from './segment-split.ts';
import { decodeSegmentValue, encodeSegmentValue } from './segment-value.ts';

/**
 * Piscina worker entry: runs one CodecTask. Pure CPU work (decode, merge, encode, compress,
 * aggregate); no storage access. Result buffers are plain typed arrays; Piscina copies them
 * back by structured clone unless the pool marks them transferable (see codec-pool.ts).
 */
export default function runCodecTask(task: CodecTask): SealResult | DecodeResult | unknown {
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
          rows: { ts: rows.ts.slice(), fields: rows.fields, values: rows.values.map((v) => v.slice()) },
        }));
      });
    case 'decode':
      return task.values.map((v, i) => decodeSegmentValue(v, task.keys[i]));
    case 'candles':
      return mergePartialsForWorker(
        task.values.map((v, i) => decodeSegmentValue(v, task.keys[i])),
        task.query,
      );
    default:
      throw new Error(`BUG: unknown codec task ${(task as { kind: string }).kind}`);
  }
}
