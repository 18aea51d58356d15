import { max2, min2, bitLength } from './bit-math.ts';
import { PredictorKind } from './column-encoding.ts';

/** A decimal column as the planner sees it: filled mantissas with `m[0]` = base, `m[i+1]` = row i. */
export interface PlanInput {
  scale: number;
  m: Float64Array;
}

/** Per-segment predictor of one column; `a`/`b` index the planner's input array (-1 = unused). */
export interface Predictor {
  kind: PredictorKind;
  a: number;
  b: number;
  /**
   * The predictor beat (or tied) delta in every sampled window, so the encoder need not compute
   * delta residuals for this column at all: half the residual work for high/low/open.
   */
  exclusive: boolean;
}

/** Encode order (indexes into the input) and the predictor of every input column. */
export interface Plan {
  order: number[];
  predictors: Predictor[];
}

/** Rows per sample window; each window is costed as one chunk. */
const WINDOW = 32;
/** Windows sampled per segment: enough to see the data's shape, cheap next to encoding. */
const WINDOWS = 3;
/** Exact order search is over subsets: 2^8 states is the most we pay for. */
const MAX_GROUP = 8;

interface Candidate extends Predictor {
  /** bit mask (within the scale group) of the columns this predictor reads */
  mask: number;
  cost: number;
  exclusive: boolean;
}

/**
 * Chooses, per segment, each decimal column's predictor and an encode order in which every
 * predictor only reads columns stored before it (docs/format/segment.md §5.1).
 *
 * Costs are estimated on a sample: a few 32-row windows, each costed like a chunk whose width
 * is the smaller of the delta and the predictor residual range. Columns of one scale (at most 8
 * at a time) are ordered by an exact dynamic program over subsets; this finds, for OHLC bars,
 * close by delta, open from the previous close, high/low from max/min(open, close).
 */
export function planPredictors(cols: PlanInput[], n: number): Plan {
  const predictors: Predictor[] = cols.map(() => ({ kind: PredictorKind.None, a: -1, b: -1, exclusive: false }));
  const order: number[] = [];
  const windows = sampleWindows(n);
  for (const group of scaleGroups(cols)) {
    const cands = group.map((j) => candidates(cols, group, j, windows));
    for (const [pos, cand] of orderGroup(cands)) {
      order.push(group[pos]);
      predictors[group[pos]] = { kind: cand.kind, a: cand.a, b: cand.b, exclusive: cand.exclusive };
    }
  }
  return { order, predictors };
}

/** Sample windows as [start, end) row pairs, flattened. */
function sampleWindows(n: number): number[] {
  const w: number[] = [];
  if (n <= WINDOW * WINDOWS) {
    for (let s = 0; s < n; s += WINDOW) w.push(s, Math.min(n, s + WINDOW));
  } else {
    for (let g = 0; g < WINDOWS; g++) {
      const s = Math.floor((g * (n - WINDOW)) / (WINDOWS - 1));
      w.push(s, s + WINDOW);
    }
  }
  return w;
}

/** Input indexes grouped by scale (in input order), each group at most MAX_GROUP long. */
function scaleGroups(cols: PlanInput[]): number[][] {
  const groups: number[][] = [];
  const open = new Map<number, number[]>();
  cols.forEach((c, j) => {
    let g = open.get(c.scale);
    if (!g || g.length >= MAX_GROUP) {
      g = [];
      open.set(c.scale, g);
      groups.push(g);
    }
    g.push(j);
  });
  return groups;
}

/** Every predictor column j may use within its group, cheapest first (ties: simpler first). */
function candidates(cols: PlanInput[], group: number[], j: number, windows: number[]): Candidate[] {
  const mj = cols[j].m;
  const deltaWidths = windowWidths(PredictorKind.None, mj, mj, mj, windows);
  const list: Candidate[] = [];
  const add = (kind: PredictorKind, ia: number, ib: number) => {
    const a = ia >= 0 ? group[ia] : -1;
    const b = ib >= 0 ? group[ib] : -1;
    const widths = windowWidths(kind, mj, a >= 0 ? cols[a].m : mj, b >= 0 ? cols[b].m : mj, windows);
    let cost = 0;
    let exclusive = kind !== PredictorKind.None;
    for (let w = 0; w < widths.length; w++) {
      cost += (windows[2 * w + 1] - windows[2 * w]) * Math.min(widths[w], deltaWidths[w]);
      if (widths[w] > deltaWidths[w]) exclusive = false;
    }
    const mask = (ia >= 0 ? 1 << ia : 0) | (ib >= 0 ? 1 << ib : 0);
    list.push({ kind, a, b, mask, cost, exclusive });
  };
  add(PredictorKind.None, -1, -1);
  add(PredictorKind.Zero, -1, -1);
  const self = group.indexOf(j);
  for (let x = 0; x < group.length; x++) {
    if (x === self) continue;
    add(PredictorKind.Ref, x, -1);
    add(PredictorKind.RefLag, x, -1);
  }
  for (let x = 0; x < group.length; x++) {
    for (let y = x + 1; y < group.length; y++) {
      if (x === self || y === self) continue;
      add(PredictorKind.Max, x, y);
      add(PredictorKind.Min, x, y);
    }
  }
  // Stable sort: among equal costs the earlier (simpler) predictor wins.
  return list.sort((p, q) => p.cost - q.cost);
}

/** Bit width of each window's residual range under predictor `kind` (None = delta). */
function windowWidths(kind: PredictorKind, m: Float64Array, a: Float64Array, b: Float64Array, windows: number[]): number[] {
  const widths: number[] = [];
  for (let w = 0; w < windows.length; w += 2) widths.push(bitLength(residualRange(kind, m, a, b, windows[w], windows[w + 1])));
  return widths;
}

/** max − min of the residuals of rows [s, e); one loop per kind, as in the encoder. */
function residualRange(kind: PredictorKind, m: Float64Array, a: Float64Array, b: Float64Array, s: number, e: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  switch (kind) {
    case PredictorKind.None:
      for (let i = s; i < e; i++) {
        const r = m[i + 1] - m[i];
        if (r < lo) lo = r;
        if (r > hi) hi = r;
      }
      break;
    case PredictorKind.Zero:
      for (let i = s; i < e; i++) {
        const r = m[i + 1];
        if (r < lo) lo = r;
        if (r > hi) hi = r;
      }
      break;
    case PredictorKind.Ref:
      for (let i = s; i < e; i++) {
        const r = m[i + 1] - a[i + 1];
        if (r < lo) lo = r;
        if (r > hi) hi = r;
      }
      break;
    case PredictorKind.RefLag:
      for (let i = s; i < e; i++) {
        const r = m[i + 1] - a[i];
        if (r < lo) lo = r;
        if (r > hi) hi = r;
      }
      break;
    case PredictorKind.Max:
      for (let i = s; i < e; i++) {
        const r = m[i + 1] - max2(a[i + 1], b[i + 1]);
        if (r < lo) lo = r;
        if (r > hi) hi = r;
      }
      break;
    default:
      for (let i = s; i < e; i++) {
        const r = m[i + 1] - min2(a[i + 1], b[i + 1]);
        if (r < lo) lo = r;
        if (r > hi) hi = r;
      }
  }
  return hi - lo;
}

/**
 * Cheapest order of a group by dynamic programming over the set of columns already placed:
 * best[S ∪ {j}] = min(best[S] + cost of j's cheapest candidate reading only columns in S).
 * Returns [position in group, chosen candidate] in encode order.
 */
function orderGroup(cands: Candidate[][]): [number, Candidate][] {
  const c = cands.length;
  const full = (1 << c) - 1;
  const best = new Float64Array(full + 1).fill(Infinity);
  const last = new Int8Array(full + 1);
  best[0] = 0;
  for (let mask = 0; mask < full; mask++) {
    if (best[mask] === Infinity) continue;
    for (let j = 0; j < c; j++) {
      if (mask & (1 << j)) continue;
      const next = mask | (1 << j);
      const cost = best[mask] + cheapest(cands[j], mask).cost;
      if (cost < best[next]) {
        best[next] = cost;
        last[next] = j;
      }
    }
  }
  const picked: [number, Candidate][] = [];
  for (let mask = full; mask !== 0; ) {
    const j = last[mask];
    mask ^= 1 << j;
    picked.push([j, cheapest(cands[j], mask)]);
  }
  return picked.reverse();
}

function cheapest(list: Candidate[], placed: number): Candidate {
  for (const cand of list) if ((cand.mask & ~placed) === 0) return cand;
  throw new Error('BUG: no predictor candidate without references');
}
