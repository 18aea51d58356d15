/**
 * Micro-benchmark of what a cluster write costs per row besides applying it, single-threaded:
 * the coordinator's ingest worker parses a line-protocol request (with and without writing its
 * version-2 record), the coordinator makes an owner's part (version-2 slice, or version-1
 * record), and the owner decodes the part and makes its WAL value (version 2: stored as is;
 * version 1: LZ4 when big). Bytes per row of each form. The numbers in
 * data-plane/docs/format/wal.md ("Version 2") come from here.
 * Run: `node_modules/.bin/bun bench/forward-bench.ts [--symbols 1000] [--rows 10000]`.
 */
import { parseArgs } from 'node:util';
import { decodeWalRecordPacked, encodeWalRecordPacked } from '../data-plane/src/encoding/wal-record.ts';
import { decodeWalRecordV2Packed, sliceWalRecordV2 } from '../data-plane/src/encoding/wal-record-v2.ts';
import { fastPathAvailable, parseLineProtocolFastWithWal } from '../data-plane/src/ingest/lp-fast-path.ts';
import { PackedWriteBatch } from '../data-plane/src/ingest/packed-batch.ts';
import { DEFAULT_WRITE_LIMITS } from '../data-plane/src/ingest/write-limits.ts';
import { walValueOfRecord } from '../data-plane/src/storage/wal-compact.ts';
import { timeIt } from './best-time.ts';
import { generateBars } from './gen-bars.ts';
import { lineProtocolBodies } from './lp-body.ts';

const { values } = parseArgs({ options: { symbols: { type: 'string', default: '1000' }, rows: { type: 'string', default: '10000' } } });
const symbols = Number(values.symbols);
const rowsPerRequest = Number(values.rows);
if (!fastPathAvailable()) throw new Error('the line-protocol fast path is not built: run scripts/build-wasm.sh');

const cols = generateBars({ symbols, count: Math.ceil((2 * rowsPerRequest) / symbols), start: '2024-01-02' });
const body = new Uint8Array(lineProtocolBodies(cols, { rowsPerRequest })[1]!.bytes);
const parsed = parseLineProtocolFastWithWal(body, 'ns', DEFAULT_WRITE_LIMITS, true);
if (!parsed?.walRecord) throw new Error('the fast path wrote no version-2 record for the request');
const { packed, walRecord } = parsed;
// One owner's part at RF 2 over 3 nodes: about 2/3 of the series.
const only = Int32Array.from(packed.symbols.keys()).filter((k) => k % 3 !== 0);
const partRows = new PackedWriteBatch(packed, only).rowCount;
const v1 = encodeWalRecordPacked(packed, only);
const v2 = sliceWalRecordV2(walRecord, only, partRows);

/** ns per row of `fn()` over `rows` rows: the fastest of repeated runs, after a warm-up. */
function nsPerRow(rows: number, fn: () => unknown, budgetMs = 600): number {
  for (let i = 0; i < 20; i++) fn();
  return (timeIt(fn, budgetMs) * 1e6) / rows;
}

const line = (what: string, ns: number) => console.log(`${what.padEnd(58)} ${ns.toFixed(1).padStart(7)} ns/row`);
console.log(`request: ${packed.rowCount} rows over ${packed.symbols.length} symbols; an owner's part: ${partRows} rows (2/3 of the series); runtime bun ${Bun.version}`);
console.log(`bytes/row of the part: version 2 ${(v2.length / partRows).toFixed(1)}, version 1 ${(v1.length / partRows).toFixed(1)} (${(walValueOfRecord(v1).length / partRows).toFixed(1)} after LZ4)`);
console.log('per request row:');
line('  worker: parse', nsPerRow(packed.rowCount, () => parseLineProtocolFastWithWal(body, 'ns', DEFAULT_WRITE_LIMITS, false)));
line('  worker: parse + version-2 record with series offsets', nsPerRow(packed.rowCount, () => parseLineProtocolFastWithWal(body, 'ns', DEFAULT_WRITE_LIMITS, true)));
console.log('per row of the part:');
line('  coordinator: version-2 slice', nsPerRow(partRows, () => sliceWalRecordV2(walRecord, only, partRows)));
line('  coordinator: version-1 record', nsPerRow(partRows, () => encodeWalRecordPacked(packed, only)));
line('  owner: decode version 2 to packed rows (stored as is)', nsPerRow(partRows, () => decodeWalRecordV2Packed(v2)));
line('  owner: decode version 1 to packed rows', nsPerRow(partRows, () => decodeWalRecordPacked(v1)));
line('  owner: LZ4 of version 1 for the WAL', nsPerRow(partRows, () => walValueOfRecord(v1)));
