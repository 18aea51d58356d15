import type { PackedBatch } from '../ingest/packed-batch.ts';
import type { SeriesRows } from '../model.ts';
import { metaKey, segmentPrefix } from './keys.ts';
import { SegmentDirectory, type DirectoryBudget } from './segment-directory.ts';
import { SeriesHead } from './series-head.ts';
import { sortDedupe, type SortedRows } from './sorted-rows.ts';

/** Stored type of a field: integer while every value ever written was integral. */
export type FieldType = 'int' | 'float';

/** Rows handed to sealing: still visible to readers until their segments are committed. */
export interface SealingSnapshot {
  raw: { ts: Float64Array; fields: string[]; values: Float64Array[] };
  minSeq: number;
  sorted: SortedRows | null;
}

/**
 * Everything the engine knows about one series in memory.
 * Single writer: the engine (write apply and the sealer run on the one JS thread).
 */
export class SeriesState {
  readonly segmentPrefix: Buffer;
  readonly metaKey: Buffer;
  head: SeriesHead;
  /** oldest first; normally empty or one entry */
  sealing: SealingSnapshot[] = [];
  sealInFlight = false;
  /** the newest stored segment, when known: merged into by small appends */
  tail: { maxTs: number; rowCount: number } | null | undefined;
  /** the keys of the stored segments, when known (see SegmentDirectory) */
  readonly segments: SegmentDirectory;
  readonly fieldTypes = new Map<string, FieldType>();
  metaDirty = false;
  /** Field lists longer than this are checked by name (the masks are 31-bit). */
  private static readonly MASK_FIELDS = 31;
  /** the (interned) batch field list the masks describe; types only move unknown → int →
   *  float, so a mask that went stale can only send a field to the lookup, never skip a check */
  private masksFor: readonly string[] | null = null;
  /** bit k: field k of `masksFor` is stored as float */
  private floatMask = 0;
  /** bit k: field k of `masksFor` is stored as int */
  private intMask = 0;

  /**
   * `isNew`: the series has no stored segments (first seen by this process, not in the
   * registry: every stored segment is committed together with its series' meta record).
   * `sealAt`: the head length at which the sealer takes it (SeriesHead). `directoryBudget`: the
   * engine's bound on what segment directories hold.
   */
  constructor(readonly symbol: string, readonly vnode: number, isNew = false, sealAt = 0, directoryBudget: DirectoryBudget | null = null) {
    this.head = new SeriesHead(undefined, sealAt);
    this.segmentPrefix = segmentPrefix(vnode, symbol);
    this.metaKey = metaKey(vnode, symbol);
    this.tail = isNew ? null : undefined;
    this.segments = new SegmentDirectory(isNew, directoryBudget);
  }

  /** Records new fields and integer→float promotions seen in `rows`. */
  noteFields(rows: SeriesRows): void {
    this.masksFor = null;
    for (const [name, col] of rows.columns) {
      const known = this.fieldTypes.get(name);
      if (known === 'float') continue;
      const type: FieldType = allIntegralIn(col, 0, col.length) ? 'int' : 'float';
      if (known !== type && !(known === 'int' && type === 'int')) {
        this.fieldTypes.set(name, known === undefined ? type : 'float');
        this.metaDirty = true;
      }
    }
  }

  /**
   * noteFields for the rows of series `s` of a packed batch. The field types known for the
   * batch's field list are kept as bit masks beside it (the engine interns field lists, so a
   * stream's batches share one): a float field costs no lookup, an int field only the check of
   * its new values.
   */
  notePackedFields(p: PackedBatch, s: number): void {
    const names = p.fieldNames;
    const nFields = names.length;
    if (names !== this.masksFor) this.loadMasks(names);
    const masked = this.masksFor === names;
    const a = p.starts[s];
    const b = p.starts[s + 1];
    for (let k = 0; k < nFields; k++) {
      if (!p.present[s * nFields + k]) continue;
      if (masked && (this.floatMask >>> k) & 1) continue;
      const off = (k + 1) * p.rowCount;
      const integral = allIntegralIn(p.data, off + a, off + b);
      if (masked && integral && (this.intMask >>> k) & 1) continue;
      const name = names[k];
      const known = this.fieldTypes.get(name);
      if (known === 'float') continue;
      const type: FieldType = integral ? 'int' : 'float';
      if (known !== type) {
        const now = known === undefined ? type : 'float';
        this.fieldTypes.set(name, now);
        this.metaDirty = true;
        if (masked) {
          if (now === 'float') (this.floatMask |= 1 << k), (this.intMask &= ~(1 << k));
          else this.intMask |= 1 << k;
        }
      }
    }
  }

  private loadMasks(names: readonly string[]): void {
    this.floatMask = 0;
    this.intMask = 0;
    this.masksFor = names.length <= SeriesState.MASK_FIELDS ? names : null;
    if (!this.masksFor) return;
    for (let k = 0; k < names.length; k++) {
      const t = this.fieldTypes.get(names[k]);
      if (t === 'float') this.floatMask |= 1 << k;
      else if (t === 'int') this.intMask |= 1 << k;
    }
  }

  /** Field names in schema order. */
  get fields(): string[] {
    return [...this.fieldTypes.keys()];
  }

  /** Sorted views of the sealing snapshots (oldest first), computed once each. */
  sealingSorted(): SortedRows[] {
    return this.sealing.map((s) => (s.sorted ??= sortDedupe(s.raw.ts, s.raw.fields, s.raw.values)));
  }

  /** The meta record persisted beside the series' segments. */
  metaJson(): string {
    return JSON.stringify({ v: 1, symbol: this.symbol, fields: [...this.fieldTypes] });
  }

  /** Restores field types from a meta record. */
  loadMeta(json: string): void {
    this.masksFor = null;
    const meta = JSON.parse(json) as { fields: [string, FieldType][] };
    for (const [name, type] of meta.fields) this.fieldTypes.set(name, type);
  }
}

/** Every present value of col[a, b) is an integer (NaN = absent: says nothing about the type). */
function allIntegralIn(col: Float64Array, a: number, b: number): boolean {
  for (let i = a; i < b; i++) {
    const v = col[i];
    if (v === v && !Number.isInteger(v)) return false;
  }
  return true;
}
