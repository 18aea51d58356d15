/**
 * Columnar rows sorted by timestamp with unique timestamps, and the pure operations on them
 * that both the engine (main thread) and the codec workers use: sort + last-wins dedupe,
 * precedence merge of layers, slicing by time. No I/O; worker-safe.
 */
export interface SortedRows {
  ts: Float64Array;
  fields: string[];
  /** one column per field; NaN = absent */
  values: Float64Array[];
}

/** An empty SortedRows with the given fields. */
export function emptyRows(fields: string[] = []): SortedRows {
  return { ts: new Float64Array(0), fields, values: fields.map(() => new Float64Array(0)) };
}

/**
 * Sorts rows by timestamp; of rows with equal timestamps the LAST one (in input order) wins.
 * Upsert is per row (DESIGN §3): the later row replaces the earlier one entirely, so a field
 * the later row lacks is absent afterwards, as in QuestDB's dedup upsert.
 *
 * Input already sorted and unique comes back copied, unless `inPlace`: then as views of the
 * input, for callers whose input never changes while they read the result (a codec worker
 * sealing a swapped-out head: the copy was a fresh 200 KB per 4096-row OHLCV seal).
 */
export function sortDedupe(ts: Float64Array, fields: string[], values: Float64Array[], length = ts.length, inPlace = false): SortedRows {
  const n = length;
  let sorted = true;
  let unique = true;
  for (let i = 1; i < n; i++) {
    if (ts[i] < ts[i - 1]) {
      sorted = false;
      break;
    }
    if (ts[i] === ts[i - 1]) unique = false;
  }
  if (sorted && unique) {
    if (inPlace) return { ts: ts.subarray(0, n), fields, values: values.map((v) => v.subarray(0, n)) };
    return { ts: ts.slice(0, n), fields, values: values.map((v) => v.slice(0, n)) };
  }
  let order: Uint32Array;
  if (sorted) {
    order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  } else {
    // Stable by construction: ties broken by input position, so "last wins" below is exact.
    const idx = new Array<number>(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    idx.sort((a, b) => ts[a] - ts[b] || a - b);
    order = Uint32Array.from(idx);
  }
  // Keep the last index of each run of equal timestamps.
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && ts[order[i + 1]] === ts[order[i]]) continue;
    order[m++] = order[i];
  }
  const outTs = new Float64Array(m);
  for (let i = 0; i < m; i++) outTs[i] = ts[order[i]];
  const outValues = values.map((col) => {
    const out = new Float64Array(m);
    for (let i = 0; i < m; i++) out[i] = col[order[i]];
    return out;
  });
  return { ts: outTs, fields, values: outValues };
}

/** Reorders/extends a layer's columns to `fields` (missing fields become NaN columns). */
export function alignFields(rows: SortedRows, fields: string[]): Float64Array[] {
  return fields.map((f) => {
    const i = rows.fields.indexOf(f);
    if (i >= 0) return rows.values[i];
    return new Float64Array(rows.ts.length).fill(NaN);
  });
}

/** Union of the field lists, keeping first-seen order. */
export function unionFields(lists: string[][]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const l of lists) for (const f of l) if (!seen.has(f)) (seen.add(f), out.push(f));
  return out;
}

/**
 * Merges sorted layers into one; for equal timestamps the layer that comes LATER in `layers`
 * wins (pass oldest first: segments, then sealing snapshots, then the head).
 */
export function mergeLayers(layers: SortedRows[], fields?: string[]): SortedRows {
  const nonEmpty = layers.filter((l) => l.ts.length > 0);
  const outFields = fields ?? unionFields(layers.map((l) => l.fields));
  if (nonEmpty.length === 0) return emptyRows(outFields);
  let acc: SortedRows = { ts: nonEmpty[0].ts, fields: outFields, values: alignFields(nonEmpty[0], outFields) };
  for (let k = 1; k < nonEmpty.length; k++) acc = merge2(acc, nonEmpty[k], outFields);
  return acc;
}

function merge2(a: SortedRows, bRows: SortedRows, fields: string[]): SortedRows {
  const b = alignFields(bRows, fields);
  const at = a.ts;
  const bt = bRows.ts;
  // Fast path: disjoint ranges concatenate.
  if (at.length === 0) return { ts: bt, fields, values: b };
  if (at[at.length - 1] < bt[0]) return concat(a.ts, a.values, bt, b, fields);
  if (bt[bt.length - 1] < at[0]) return concat(bt, b, a.ts, a.values, fields);
  const out = new Float64Array(at.length + bt.length);
  const src = new Int32Array(out.length); // >=0: index in a; <0: -(index in b)-1
  let i = 0;
  let j = 0;
  let m = 0;
  while (i < at.length || j < bt.length) {
    if (j >= bt.length || (i < at.length && at[i] < bt[j])) {
      out[m] = at[i];
      src[m++] = i++;
    } else {
      if (i < at.length && at[i] === bt[j]) i++; // b wins the tie
      out[m] = bt[j];
      src[m++] = -j - 1;
      j++;
    }
  }
  const values = fields.map((_, f) => {
    const col = new Float64Array(m);
    const av = a.values[f];
    const bv = b[f];
    for (let r = 0; r < m; r++) {
      const s = src[r];
      col[r] = s >= 0 ? av[s] : bv[-s - 1];
    }
    return col;
  });
  return { ts: out.slice(0, m), fields, values };
}

function concat(t1: Float64Array, v1: Float64Array[], t2: Float64Array, v2: Float64Array[], fields: string[]): SortedRows {
  const ts = new Float64Array(t1.length + t2.length);
  ts.set(t1, 0);
  ts.set(t2, t1.length);
  const values = fields.map((_, f) => {
    const col = new Float64Array(ts.length);
    col.set(v1[f], 0);
    col.set(v2[f], t1.length);
    return col;
  });
  return { ts, fields, values };
}

/** Index of the first element ≥ t of an ascending array (binary search). */
export function lowerBoundTs(ts: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Rows with start <= ts < end (views, no copy). */
export function sliceRows(rows: SortedRows, start: number, end: number): SortedRows {
  const a = lowerBoundTs(rows.ts, start);
  const b = lowerBoundTs(rows.ts, end);
  if (a === 0 && b === rows.ts.length) return rows;
  return { ts: rows.ts.subarray(a, b), fields: rows.fields, values: rows.values.map((v) => v.subarray(a, b)) };
}

/** Rows [from, to) by index (views). */
export function sliceIndex(rows: SortedRows, from: number, to: number): SortedRows {
  return { ts: rows.ts.subarray(from, to), fields: rows.fields, values: rows.values.map((v) => v.subarray(from, to)) };
}
