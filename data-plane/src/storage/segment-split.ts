import { lowerBoundTs, mergeLayers, sliceIndex, sortDedupe, type SortedRows } from './sorted-rows.ts';

/** How new rows and stored rows combine when their timestamps collide. */
export type MergePolicy = 'new-wins' | 'existing-wins';

export interface SealInput {
  /** rows to store (any order, duplicates allowed: last one wins among them) */
  ts: Float64Array;
  fields: string[];
  values: Float64Array[];
  /** decoded stored segments that overlap (or are merged with) the new rows, any order */
  existing: SortedRows[];
  policy: MergePolicy;
}

/**
 * Merges new rows with the stored segments they touch and cuts the result into segments of at
 * most `maxRows` rows. Cuts prefer logical block boundaries (floor(ts / blockSizeUs)) so one
 * 30-second block is never split across two stored values unless it alone exceeds `maxRows`.
 * Pure; runs in codec workers. The chunks may be views of `input`'s arrays (rows already in
 * order are not copied): read them before changing the input.
 */
export function mergeAndSplit(input: SealInput, maxRows: number, blockSizeUs: number): SortedRows[] {
  // Read in place when already in order: the input is a sealed head's snapshot (or rows the
  // caller no longer changes), and the chunks returned are only encoded, never kept.
  const fresh = sortDedupe(input.ts, input.fields, input.values, input.ts.length, true);
  const existing = input.existing.slice().sort((a, b) => (a.ts[0] ?? 0) - (b.ts[0] ?? 0));
  // Later layers win ties; stored segments are disjoint among themselves, so their relative
  // order does not matter, only whether they come before or after the fresh rows.
  const layers = input.policy === 'new-wins' ? [...existing, fresh] : [fresh, ...existing];
  return splitRows(mergeLayers(layers), maxRows, blockSizeUs);
}

/** Cuts sorted rows into chunks of at most maxRows rows, at block boundaries when possible. */
export function splitRows(rows: SortedRows, maxRows: number, blockSizeUs: number): SortedRows[] {
  const n = rows.ts.length;
  if (n === 0) return [];
  if (n <= maxRows) return [rows];
  const chunks = Math.ceil(n / maxRows);
  const target = Math.ceil(n / chunks);
  const out: SortedRows[] = [];
  let from = 0;
  while (from < n) {
    if (n - from <= maxRows) {
      out.push(sliceIndex(rows, from, n));
      break;
    }
    let cut = from + target;
    // Move the cut forward to the next block boundary if that stays within maxRows,
    // else back to the previous one, else cut mid-block.
    const block = Math.floor(rows.ts[cut] / blockSizeUs);
    const nextBoundary = lowerBoundTs(rows.ts, (block + 1) * blockSizeUs);
    const prevBoundary = lowerBoundTs(rows.ts, block * blockSizeUs);
    if (nextBoundary - from <= maxRows && nextBoundary < n) cut = nextBoundary;
    else if (prevBoundary > from) cut = prevBoundary;
    out.push(sliceIndex(rows, from, cut));
    from = cut;
  }
  return out;
}
