/**
 * The WebAssembly fast path of the line-protocol parser (data-plane/assembly/lp-fast.ts,
 * compiled by scripts/build-wasm.sh). It takes the bodies shaped as market-data loaders send
 * them (see the AssemblyScript module's comment for the exact subset) and returns null for any
 * other body; the ingest task (ingest-task.ts) then runs the TypeScript parser, which stays the
 * reference and writes every error message. On handled bodies both give identical batches
 * (lp-fast-path.test.ts checks that on generated bodies).
 *
 * Why: measured on 10K-line OHLCV bodies, the TypeScript parser costs ~0.25 µs per line and
 * this path ~0.14 µs including the copies in and out, and it needs no JIT warm-up. Parsing is
 * the largest share of the ingest workers' time.
 *
 * One instance per thread (each codec worker loads its own); parses are synchronous. Without
 * the compiled module every call returns null (the server still works, only slower).
 */
import { existsSync, readFileSync } from 'node:fs';
import { hash32 } from '../encoding/checksum.ts';
import { fileURLToPath } from 'node:url';
import { US_PER_UNIT, type Precision } from '../model.ts';
import { fieldNameProblem, symbolProblem } from './names.ts';
import type { IndexedWalRecordV2 } from '../encoding/wal-record-v2.ts';
import type { PackedBatch } from './packed-batch.ts';
import { DEFAULT_WRITE_LIMITS, MAX_TIME_US, MIN_TIME_US, type WriteLimits } from './write-limits.ts';

/**
 * Bodies above this size go to the TypeScript parser. The module's memory never shrinks, and a
 * body reserves up to ~55× its size of it (staging, output and WAL record for up to 16 fields),
 * of which what the rows touch stays resident: 4 MB (~40K OHLCV lines, 4× a 10K-line request)
 * bounds that to ~65 MB per thread (input, staging, output and WAL record of the worst line
 * shapes, plus the name table and arena; measured: RSS +65 MB after three worst-case bodies).
 */
export const FAST_PATH_MAX_BYTES = 4 << 20;
/** Past this many interned names both sides forget them before the next parse (bounded memory). */
const MAX_CACHED_NAMES = 100_000;

interface LpFastExports {
  memory: WebAssembly.Memory;
  prepare(len: number): number;
  parse(len: number, nsToUs: number, unitUs: number, minUs: number, maxUs: number, maxRows: number, maxValues: number): number;
  clearNames(): void;
  namesInterned(): number;
  nameAt(id: number): number;
  nameLength(id: number): number;
  seriesCount(): number;
  fieldCount(): number;
  seriesName(k: number): number;
  fieldName(k: number): number;
  startsPtr(): number;
  presentPtr(): number;
  dataPtr(): number;
  encodeWal(rows: number): number;
  walPtr(): number;
  walSeriesPtr(): number;
}

// name id → its string, and whether it was validated as a symbol (1) / field name (2)
const NAME_SYMBOL_OK = 1;
const NAME_FIELD_OK = 2;
let names: string[] = [];
let nameFlags = new Uint8Array(1024);
const utf8 = new TextDecoder();

let instance: LpFastExports | null | undefined;

/** Where the compiled module is: beside the worker bundle, or in data-plane/dist from the source. */
function wasmFile(): string | null {
  for (const rel of ['./lp-fast.wasm', '../../dist/lp-fast.wasm']) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return file;
  }
  return null;
}

function load(): LpFastExports | null {
  const file = wasmFile();
  if (file === null) return null;
  const module = new WebAssembly.Module(readFileSync(file));
  const inst = new WebAssembly.Instance(module, {
    env: {
      abort(): never {
        throw new Error('BUG: line-protocol fast path aborted');
      },
    },
  });
  return inst.exports as unknown as LpFastExports;
}

/**
 * The module of this thread, loaded on first use; null when it was not built or does not load
 * (a damaged file must not fail writes: the reference parser takes every body then).
 */
function fastPath(): LpFastExports | null {
  if (instance === undefined) {
    try {
      instance = load();
    } catch (err) {
      instance = null;
      console.warn(`line-protocol fast path unavailable, using the TypeScript parser: ${(err as Error).message}`);
    }
  }
  return instance;
}

/** True when the compiled fast path is present (scripts/build-wasm.sh ran). */
export function fastPathAvailable(): boolean {
  return fastPath() !== null;
}

/**
 * The packed batch of `body` when the fast path handles it, with the limits applied as the
 * TypeScript parser applies them; null when it does not (unknown shape, a name that fails
 * validation, a limit reached): the caller then parses with the TypeScript parser.
 */
export function parseLineProtocolFast(body: Uint8Array, precision: Precision, limits: WriteLimits = DEFAULT_WRITE_LIMITS): PackedBatch | null {
  return parseHere(body, precision, limits, false)?.packed ?? null;
}

/**
 * parseLineProtocolFast, plus the batch's version-2 WAL record (data-plane/docs/format/wal.md)
 * written by the module from the same parse, with where each series' bytes are in it: what a
 * standalone server logs for the request, in place of a version-1 record and its LZ4, and what
 * a cluster coordinator forwards slices of. `walRecord` is null when a timestamp delta is too
 * large for that format (the caller then uses version 1), or when `withWal` is false.
 */
export function parseLineProtocolFastWithWal(
  body: Uint8Array,
  precision: Precision,
  limits: WriteLimits = DEFAULT_WRITE_LIMITS,
  withWal = true,
): { packed: PackedBatch; walRecord: IndexedWalRecordV2 | null } | null {
  return parseHere(body, precision, limits, withWal);
}

function parseHere(body: Uint8Array, precision: Precision, limits: WriteLimits, withWal: boolean): { packed: PackedBatch; walRecord: IndexedWalRecordV2 | null } | null {
  const w = fastPath();
  const unit = US_PER_UNIT[precision];
  if (w === null || unit === undefined || body.length > FAST_PATH_MAX_BYTES) return null;
  if (w.namesInterned() > MAX_CACHED_NAMES) {
    w.clearNames();
    names = [];
    nameFlags.fill(0);
  }
  const ns = precision === 'ns';
  let rows: number;
  try {
    const at = w.prepare(body.length);
    new Uint8Array(w.memory.buffer, at, body.length).set(body);
    rows = w.parse(body.length, ns ? 1 : 0, ns ? 1 : unit, MIN_TIME_US, MAX_TIME_US, limits.maxRows, limits.maxValues);
  } catch (err) {
    // A trap (a bug, or memory that could not grow) must not fail the write: the reference
    // parser takes this body, and a fresh instance the next one.
    console.warn(`line-protocol fast path failed, body left to the TypeScript parser: ${(err as Error).message}`);
    instance = undefined;
    names = [];
    nameFlags.fill(0);
    return null;
  }
  if (rows < 0) return null;
  const nSeries = w.seriesCount();
  const nFields = w.fieldCount();
  const symbols = new Array<string>(nSeries);
  for (let k = 0; k < nSeries; k++) {
    const name = checkedName(w, w.seriesName(k), NAME_SYMBOL_OK);
    if (name === null) return null;
    symbols[k] = name;
  }
  const fieldNames = new Array<string>(nFields);
  for (let k = 0; k < nFields; k++) {
    const name = checkedName(w, w.fieldName(k), NAME_FIELD_OK);
    if (name === null) return null;
    fieldNames[k] = name;
  }
  const buf = w.memory.buffer; // after the parse: it may have grown the memory
  const packed: PackedBatch = {
    symbols,
    fieldNames,
    starts: new Int32Array(buf, w.startsPtr(), nSeries + 1).slice(),
    data: new Float64Array(buf, w.dataPtr(), (1 + nFields) * rows).slice(),
    present: new Uint8Array(buf, w.presentPtr(), nSeries * nFields).slice(),
    rowCount: rows,
  };
  return { packed, walRecord: withWal ? walRecordOf(w, rows, nSeries) : null };
}

/** The version-2 WAL record of the last parse (`rows` rows), with its hash; null if it cannot be one. */
function walRecordOf(w: LpFastExports, rows: number, nSeries: number): IndexedWalRecordV2 | null {
  let len: number;
  try {
    len = w.encodeWal(rows);
  } catch (err) {
    // A trap (memory that could not grow, a bug): the caller logs a version-1 record instead.
    console.warn(`line-protocol fast path could not write a WAL record, logging version 1: ${(err as Error).message}`);
    return null;
  }
  if (len < 0) return null;
  const out = new Uint8Array(len + 4);
  out.set(new Uint8Array(w.memory.buffer, w.walPtr(), len)); // after encodeWal: it may have grown the memory
  new DataView(out.buffer).setUint32(len, hash32(out, 0, len), true);
  return { record: out, seriesAt: new Uint32Array(w.memory.buffer, w.walSeriesPtr(), nSeries + 1).slice() };
}

/** Name `id` as a string when valid for the use `flag` (validated once per name and use), else null. */
function checkedName(w: LpFastExports, id: number, flag: number): string | null {
  if (id >= nameFlags.length) {
    const grown = new Uint8Array(Math.max(id + 1, nameFlags.length * 2));
    grown.set(nameFlags);
    nameFlags = grown;
  }
  let name = names[id];
  if (name === undefined) name = names[id] = utf8.decode(new Uint8Array(w.memory.buffer, w.nameAt(id), w.nameLength(id)));
  if ((nameFlags[id] & flag) === 0) {
    if ((flag === NAME_SYMBOL_OK ? symbolProblem(name) : fieldNameProblem(name)) !== null) return null;
    nameFlags[id] |= flag;
  }
  return name;
}
