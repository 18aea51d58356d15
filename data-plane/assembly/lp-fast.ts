/**
 * AssemblyScript (compiled to WebAssembly by scripts/build-wasm.sh): the fast path of the
 * line-protocol parser, for bodies shaped the way market-data loaders send them.
 *
 * It accepts a strict subset of what ../src/ingest/line-protocol-parser.ts accepts and answers
 * NOT_HANDLED for everything else, so that the TypeScript parser (the reference, which also
 * writes every error message) parses those bodies instead. The subset, per line:
 *
 *   measurement[,key=value...] field=number[,field=number...] timestamp LF
 *
 * - no backslashes, no control bytes, no '=' in the measurement, one space between sections;
 * - numbers: digits with an optional '.' and fraction (at most 15 digits in all), or digits
 *   then 'i' (at most 15 digits); no sign, exponent, 'u', strings or booleans;
 * - a timestamp on every line: unsigned digits, no trailing spaces, LF-terminated (or the end);
 * - blank lines and '#' comment lines at column 0 are skipped; CR or leading blanks are not handled.
 *
 * On those bodies it produces exactly what the TypeScript parser produces: the same series and
 * field order (first seen), rows grouped by series in arrival order, the same float64 values
 * (mantissa < 2^53 divided by an exact power of ten is one correctly rounded operation, which
 * is what Number(text) gives) and the same µs timestamps (ns floored; range-checked by the
 * caller's bounds). Names are interned here by their bytes; the caller validates each name once.
 * After a parse, encodeWal() writes the batch's compact WAL record (version 2, see the end).
 *
 * Memory: fixed regions from __heap_base (name table, arena, per-name maps), then the body,
 * then per-parse staging, the output and the WAL record, grown as needed. Single-threaded; one
 * parse at a time.
 */

// ---- results of parse()
/** parse() result: the body is outside the fast path's subset (the TypeScript parser takes it). */
const NOT_HANDLED: i32 = -1;

// ---- bytes
const LF: u8 = 10;
const SPACE: u8 = 32;
const HASH: u8 = 35;
const COMMA: u8 = 44;
const EQ: u8 = 61;
const DOT: u8 = 46;
const I_LOWER: u8 = 105;


/** Most distinct field keys in one body (more: not handled). */
const MAX_FIELDS: i32 = 16;
/** Name table slots (power of two) and the most names interned before the caller must clear. */
const TABLE_SLOTS: i32 = 1 << 18;
const MAX_NAMES: i32 = 150_000;
/** Longest name interned: symbols are ≤ 128 bytes, field names ≤ 64; longer ones are invalid. */
const MAX_NAME_BYTES: i32 = 128;
/** Room for MAX_NAMES names of MAX_NAME_BYTES: the arena never fills before the table. */
const ARENA_BYTES: i32 = MAX_NAMES * MAX_NAME_BYTES;
/** Most distinct series in one body. */
const MAX_LOCAL_SERIES: i32 = MAX_NAMES;
/** Largest mantissa the value fast path takes (15 digits; < 2^53). */
const MAX_VALUE_DIGITS: i32 = 15;

// ---- fixed regions (byte offsets), laid out by init()
let tableAt: usize = 0; // TABLE_SLOTS × {hash u32, id+1 u32}
let arenaAt: usize = 0; // name bytes
let nameOffAt: usize = 0; // per name id: arena offset u32
let nameLenAt: usize = 0; // per name id: length u32
let nameHashAt: usize = 0; // per name id: hash u32
let seriesStampAt: usize = 0; // per name id: parse generation that gave it a local series id
let seriesLocalAt: usize = 0; // per name id: that local series id
let fieldStampAt: usize = 0;
let fieldLocalAt: usize = 0;
let seriesNameAt: usize = 0; // per local series: name id
let seriesRowsAt: usize = 0; // per local series: rows
let fieldNameAt: usize = 0; // per local field: name id
let hintNameAt: usize = 0; // per field position: name id of the last key seen there
let hintFieldAt: usize = 0; // per field position: its local field id
let hintCount: i32 = 0;
let inputAt: usize = 0; // the body

// ---- per-parse regions (after the body)
let rowSeriesAt: usize = 0; // i32 per row
let rowMaskAt: usize = 0; // u32 per row: bit f = field f present
let rowTsAt: usize = 0; // f64 per row
let colsAt: usize = 0; // MAX_FIELDS columns of rowCap f64
let orderAt: usize = 0; // i32 per row (pack's scratch)
let mantAt: usize = 0; // MAX_FIELDS columns of rowCap u64: each value's decimal mantissa
let scaleAt: usize = 0; // MAX_FIELDS columns of rowCap u8: each value's decimal scale (digits after '.')
let walSeriesAt: usize = 0; // encodeWal()'s u32 × (nSeries + 1): where each series starts in the record
let walAt: usize = 0; // encodeWal()'s output, after the packed output and walSeriesAt
let rowCap: i32 = 0;
// output, placed by pack()
let startsAt: usize = 0; // i32 × (nSeries + 1)
let presentAt: usize = 0; // u8 × nSeries × nFields
let dataAt: usize = 0; // f64 × (1 + nFields) × rows

let nameCount: i32 = 0;
let arenaUsed: i32 = 0;
let generation: i32 = 0;
let nSeries: i32 = 0;
let nFields: i32 = 0;
let initialized = false;

/** POW10[k] = 10^k, exact for k ≤ 22. */
const POW10: StaticArray<f64> = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16];

function align16(x: usize): usize {
  return (x + 15) & ~(<usize>15);
}

function ensureMemory(end: usize): void {
  const have = <usize>memory.size() << 16;
  if (end <= have) return;
  const pages = <i32>((end - have + 0xffff) >> 16);
  if (memory.grow(pages) < 0) unreachable();
}

function init(): void {
  let at = align16(__heap_base);
  classAt = at;
  at += 256;
  tableAt = at;
  at += <usize>TABLE_SLOTS * 8;
  arenaAt = at;
  at += <usize>ARENA_BYTES;
  nameOffAt = at;
  at += <usize>MAX_NAMES * 4;
  nameLenAt = at;
  at += <usize>MAX_NAMES * 4;
  nameHashAt = at;
  at += <usize>MAX_NAMES * 4;
  seriesStampAt = at;
  at += <usize>MAX_NAMES * 4;
  seriesLocalAt = at;
  at += <usize>MAX_NAMES * 4;
  fieldStampAt = at;
  at += <usize>MAX_NAMES * 4;
  fieldLocalAt = at;
  at += <usize>MAX_NAMES * 4;
  seriesNameAt = at;
  at += <usize>MAX_LOCAL_SERIES * 4;
  seriesRowsAt = at;
  at += <usize>MAX_LOCAL_SERIES * 4;
  fieldNameAt = at;
  at += <usize>MAX_FIELDS * 4;
  hintNameAt = at;
  at += <usize>MAX_FIELDS * 4;
  hintFieldAt = at;
  at += <usize>MAX_FIELDS * 4;
  inputAt = align16(at);
  ensureMemory(inputAt);
  for (let c: u32 = 0; c < 256; c++) {
    store<u8>(classAt + <usize>c, c < 33 || c == 127 || c == 44 || c == 61 || c == 92 ? 1 : 0);
  }
  initialized = true;
}

/** Forgets every interned name (the caller forgets its strings for them too). */
export function clearNames(): void {
  if (!initialized) init();
  memory.fill(tableAt, 0, <usize>TABLE_SLOTS * 8);
  memory.fill(seriesStampAt, 0, <usize>MAX_NAMES * 4);
  memory.fill(fieldStampAt, 0, <usize>MAX_NAMES * 4);
  nameCount = 0;
  arenaUsed = 0;
  generation = 0;
}

/** Names interned so far (the caller clears past its own bound). */
export function namesInterned(): i32 {
  return nameCount;
}

/**
 * Where the body of `len` bytes goes; makes room for it and for the staging of its rows (the
 * output is placed after the parse, sized by what it found). Pages only count once touched.
 */
export function prepare(len: i32): usize {
  if (!initialized) init();
  // A handled line is at least 8 bytes with its LF ("m f=1 1\n"; the last may lack the LF).
  rowCap = len / 8 + 1;
  let at = align16(inputAt + <usize>len + 8); // + 8: word reads past the last name (hashName)
  rowSeriesAt = at;
  at = align16(at + <usize>rowCap * 4);
  rowMaskAt = at;
  at = align16(at + <usize>rowCap * 4);
  orderAt = at;
  at = align16(at + <usize>rowCap * 4);
  rowTsAt = at;
  at += <usize>rowCap * 8;
  colsAt = at;
  at += <usize>rowCap * 8 * MAX_FIELDS;
  mantAt = at;
  at += <usize>rowCap * 8 * MAX_FIELDS;
  scaleAt = at;
  at = align16(at + <usize>rowCap * MAX_FIELDS);
  startsAt = at;
  ensureMemory(at);
  return inputAt;
}

// ---- name interning (open addressing, linear probing; slot = {hash, id + 1})

/**
 * Id of name inputAt[s, e) with hash h, interning it; -1 when the name is too long to be valid
 * or the table is full (the caller empties it past its bound before the next parse).
 */
function intern(s: usize, e: usize, h: u32): i32 {
  const len = <i32>(e - s);
  if (len > MAX_NAME_BYTES) return -1;
  const mask = <u32>TABLE_SLOTS - 1;
  let slot = h & mask;
  for (;;) {
    const p = tableAt + (<usize>slot << 3);
    const idp1 = load<u32>(p, 4);
    if (idp1 == 0) break;
    if (load<u32>(p) == h) {
      const id = <i32>idp1 - 1;
      if (<i32>load<u32>(nameLenAt + (<usize>id << 2)) == len && bytesEqual(arenaAt + <usize>load<u32>(nameOffAt + (<usize>id << 2)), s, <usize>len)) return id;
    }
    slot = (slot + 1) & mask;
  }
  if (nameCount >= MAX_NAMES) return -1;
  const id = nameCount++;
  memory.copy(arenaAt + <usize>arenaUsed, s, <usize>len);
  store<u32>(nameOffAt + (<usize>id << 2), <u32>arenaUsed);
  store<u32>(nameLenAt + (<usize>id << 2), <u32>len);
  store<u32>(nameHashAt + (<usize>id << 2), h);
  arenaUsed += len;
  const p = tableAt + (<usize>slot << 3);
  store<u32>(p, h);
  store<u32>(p, <u32>id + 1, 4);
  return id;
}


/** Arena offset of name `id`'s bytes (for the caller to decode it once). */
export function nameAt(id: i32): usize {
  return arenaAt + <usize>load<u32>(nameOffAt + (<usize>id << 2));
}

export function nameLength(id: i32): i32 {
  return <i32>load<u32>(nameLenAt + (<usize>id << 2));
}

// ---- results

export function seriesCount(): i32 {
  return nSeries;
}
export function fieldCount(): i32 {
  return nFields;
}
/** Name id of local series k / local field k. */
export function seriesName(k: i32): i32 {
  return load<i32>(seriesNameAt + (<usize>k << 2));
}
export function fieldName(k: i32): i32 {
  return load<i32>(fieldNameAt + (<usize>k << 2));
}
export function startsPtr(): usize {
  return startsAt;
}
export function presentPtr(): usize {
  return presentAt;
}
export function dataPtr(): usize {
  return dataAt;
}

// ---- the parse

/**
 * 256-byte class table at `classAt`: 1 for bytes that end or escape a name token or are invalid
 * in one (control bytes, space, ',', '=', '\\', DEL), as the TypeScript parser's SPECIAL table.
 */
let classAt: usize = 0;

@inline
function special(c: u32): bool {
  return load<u8>(classAt + <usize>c) != 0;
}

/** Offset of the first byte at or after i that ends a name token (or `end`). */
@inline
function scanName(i: usize, end: usize): usize {
  while (i < end && !special(<u32>load<u8>(i))) i++;
  return i;
}

const MIX: u64 = 0x9e3779b97f4a7c15;

/**
 * Hash of the bytes [s, e), eight at a time (a per-byte multiply chain cost more than the rest
 * of the line's key). Reads up to 7 bytes past `e`, which are masked off; the body is always
 * followed by mapped memory (the staging regions).
 */
function hashName(s: usize, e: usize): u32 {
  let h: u64 = <u64>(e - s) * MIX;
  let p = s;
  for (; p + 8 <= e; p += 8) h = rotl<u64>((h ^ load<u64>(p)) * MIX, 29);
  const rest = <u64>(e - p);
  if (rest > 0) h = rotl<u64>((h ^ (load<u64>(p) & ((<u64>1 << (rest << 3)) - 1))) * MIX, 29);
  h ^= h >> 32;
  return <u32>h;
}

/** a[0, len) == b[0, len), eight bytes at a time. */
function bytesEqual(a: usize, b: usize, len: usize): bool {
  let k: usize = 0;
  for (; k + 8 <= len; k += 8) if (load<u64>(a + k) != load<u64>(b + k)) return false;
  for (; k < len; k++) if (load<u8>(a + k) != load<u8>(b + k)) return false;
  return true;
}

/**
 * The parse-local id (series or field, dense in first-seen order) of name `id`, from the maps at
 * stampAt/localAt (per name: the parse that numbered it, and its number) and nameOfLocalAt (per
 * local id: its name). A name first seen in this parse gets `count`, which the caller then
 * counts; -1 when `count` already is `max`.
 */
@inline
function localId(id: i32, gen: i32, stampAt: usize, localAt: usize, nameOfLocalAt: usize, count: i32, max: i32): i32 {
  const sp = stampAt + (<usize>id << 2);
  if (load<i32>(sp) == gen) return load<i32>(localAt + (<usize>id << 2));
  if (count >= max) return -1;
  store<i32>(sp, gen);
  store<i32>(localAt + (<usize>id << 2), count);
  store<i32>(nameOfLocalAt + (<usize>count << 2), id);
  return count;
}

/**
 * Parses the `len`-byte body at prepare()'s offset. `nsToUs`: timestamps are ns (µs = floor(t /
 * 1000)); otherwise µs = t × `unitUs`. Rows need µs in [minUs, maxUs). Returns the row count,
 * or NOT_HANDLED (then nothing of this parse is to be used; interned names stay valid).
 */
export function parse(len: i32, nsToUs: bool, unitUs: f64, minUs: f64, maxUs: f64, maxRows: i32, maxValues: i32): i32 {
  if (++generation > 0x3fffffff) {
    generation = 1;
    memory.fill(seriesStampAt, 0, <usize>MAX_NAMES * 4);
    memory.fill(fieldStampAt, 0, <usize>MAX_NAMES * 4);
  }
  nSeries = 0;
  nFields = 0;
  const gen = generation;
  const end = inputAt + <usize>len;
  let i = inputAt;
  let rows: i32 = 0;
  // the previous line's key section, for lines that repeat it
  let prevKey: usize = 0;
  let prevKeyLen: usize = 0;
  let prevSeries: i32 = -1;
  // the previous line's timestamp bytes and µs
  let prevTs: usize = 0;
  let prevTsLen: usize = 0;
  let prevUs: f64 = 0;
  // field keys of earlier lines by position (name id and local field id)
  hintCount = 0;

  while (i < end) {
    let c = <u32>load<u8>(i);
    if (c == LF) {
      i++;
      continue;
    }
    if (c == HASH) {
      while (i < end && load<u8>(i) != LF) i++;
      i++;
      continue;
    }
    if (special(c)) return NOT_HANDLED; // leading blank, CR, ',', '=', '\', control byte
    const m0 = i;
    let series: i32 = -1;
    // ---- key section: same bytes as the previous line's, followed by a space?
    if (prevKeyLen > 0 && m0 + prevKeyLen < end && load<u8>(m0 + prevKeyLen) == SPACE && bytesEqual(m0, prevKey, prevKeyLen)) {
      series = prevSeries;
      i = m0 + prevKeyLen;
    }
    if (series < 0) {
      // measurement
      i = scanName(i, end);
      if (i == end || i == m0) return NOT_HANDLED;
      c = <u32>load<u8>(i);
      let nameS = m0;
      let nameE = i;
      let symbolTags = 0;
      // tags
      while (c == COMMA) {
        i++;
        const k0 = i;
        i = scanName(i, end);
        if (i == end || i == k0 || load<u8>(i) != EQ) return NOT_HANDLED;
        const isSymbol = i - k0 == 6 && load<u32>(k0) == 0x626d7973 && load<u16>(k0 + 4) == 0x6c6f; // "symbol"
        i++;
        const v0 = i;
        i = scanName(i, end);
        if (i == end || i == v0) return NOT_HANDLED;
        c = <u32>load<u8>(i);
        if (c != COMMA && c != SPACE) return NOT_HANDLED;
        if (isSymbol) {
          if (++symbolTags > 1) return NOT_HANDLED;
          nameS = v0;
          nameE = i;
        }
      }
      if (c != SPACE) return NOT_HANDLED;
      // the series' local id
      const id = intern(nameS, nameE, hashName(nameS, nameE));
      if (id < 0) return NOT_HANDLED;
      series = localId(id, gen, seriesStampAt, seriesLocalAt, seriesNameAt, nSeries, MAX_LOCAL_SERIES);
      if (series < 0) return NOT_HANDLED;
      if (series == nSeries) {
        nSeries++;
        store<i32>(seriesRowsAt + (<usize>series << 2), 0);
      }
      prevKey = m0;
      prevKeyLen = i - m0;
      prevSeries = series;
    }
    // ---- one space, then the fields
    i++;
    if (rows >= maxRows || rows >= rowCap) return NOT_HANDLED;
    const row = rows;
    let mask: u32 = 0;
    for (let j: i32 = 0; ; j++) {
      // field key: first the previous line's key j (lines mostly repeat one field order)
      const f0 = i;
      let field: i32 = -1;
      if (j < hintCount) {
        const hid = load<i32>(hintNameAt + (<usize>j << 2));
        const hlen = <usize>load<u32>(nameLenAt + (<usize>hid << 2));
        if (f0 + hlen < end && load<u8>(f0 + hlen) == EQ && bytesEqual(arenaAt + <usize>load<u32>(nameOffAt + (<usize>hid << 2)), f0, hlen)) {
          field = load<i32>(hintFieldAt + (<usize>j << 2));
          i = f0 + hlen;
        }
      }
      if (field < 0) {
        i = scanName(i, end);
        if (i == end || i == f0 || load<u8>(i) != EQ) return NOT_HANDLED;
        const id = intern(f0, i, hashName(f0, i));
        if (id < 0) return NOT_HANDLED;
        field = localId(id, gen, fieldStampAt, fieldLocalAt, fieldNameAt, nFields, MAX_FIELDS);
        if (field < 0) return NOT_HANDLED;
        if (field == nFields) nFields++;
        if (j < MAX_FIELDS) {
          store<i32>(hintNameAt + (<usize>j << 2), id);
          store<i32>(hintFieldAt + (<usize>j << 2), field);
          if (j >= hintCount) hintCount = j + 1;
        }
      }
      i++;
      // value: digits [. digits] | digits 'i'
      const d0 = i;
      let m: u64 = 0;
      while (i < end) {
        const d = <u32>load<u8>(i) - 48;
        if (d > 9) break;
        m = m * 10 + <u64>d;
        i++;
      }
      let digits = <i32>(i - d0);
      if (digits == 0) return NOT_HANDLED;
      let v: f64;
      let frac = 0;
      c = i < end ? <u32>load<u8>(i) : LF;
      if (c == I_LOWER) {
        if (digits > MAX_VALUE_DIGITS) return NOT_HANDLED;
        v = <f64>m;
        i++;
        c = i < end ? <u32>load<u8>(i) : LF;
      } else {
        if (c == DOT) {
          i++;
          const q0 = i;
          while (i < end) {
            const d = <u32>load<u8>(i) - 48;
            if (d > 9) break;
            m = m * 10 + <u64>d;
            i++;
          }
          frac = <i32>(i - q0);
          digits += frac;
          c = i < end ? <u32>load<u8>(i) : LF;
        }
        if (digits > MAX_VALUE_DIGITS) return NOT_HANDLED;
        v = frac == 0 ? <f64>m : <f64>m / unchecked(POW10[frac]);
      }
      const slot = <usize>field * <usize>rowCap + <usize>row;
      store<f64>(colsAt + (slot << 3), v);
      store<u64>(mantAt + (slot << 3), m); // v = m / 10^frac exactly as parsed (encodeWal)
      store<u8>(scaleAt + slot, <u8>frac);
      mask |= (<u32>1) << <u32>field;
      if (c == COMMA) {
        i++;
        continue;
      }
      if (c != SPACE) return NOT_HANDLED; // end of line without a timestamp, CR, junk
      i++;
      break;
    }
    // ---- timestamp: the previous line's bytes again?
    let us: f64 = 0;
    let te = i + prevTsLen;
    let same = false;
    if (prevTsLen > 0 && te <= end && (te == end || load<u8>(te) == LF)) same = bytesEqual(i, prevTs, prevTsLen);
    if (same) {
      us = prevUs;
      i = te;
    } else {
      const t0 = i;
      while (i < end) {
        const d = <u32>load<u8>(i) - 48;
        if (d > 9) break;
        i++;
      }
      const nd = <i32>(i - t0);
      if (nd == 0 || (i < end && load<u8>(i) != LF)) return NOT_HANDLED;
      if (nsToUs) {
        if (nd > 20) return NOT_HANDLED;
        // floor(t / 1000) for t ≥ 0: the digits without the last three
        const stop = nd > 3 ? i - 3 : t0;
        let t: i64 = 0;
        for (let p = t0; p < stop; p++) t = t * 10 + <i64>(load<u8>(p) - 48);
        us = <f64>t;
      } else {
        if (nd > 16) return NOT_HANDLED;
        let t: i64 = 0;
        for (let p = t0; p < i; p++) t = t * 10 + <i64>(load<u8>(p) - 48);
        if (t > 9007199254740992) return NOT_HANDLED;
        us = <f64>t * unitUs;
      }
      if (!(us >= minUs && us < maxUs)) return NOT_HANDLED;
      prevTs = t0;
      prevTsLen = i - t0;
      prevUs = us;
    }
    // ---- the row
    store<i32>(rowSeriesAt + (<usize>row << 2), series);
    store<u32>(rowMaskAt + (<usize>row << 2), mask);
    store<f64>(rowTsAt + (<usize>row << 3), us);
    const rp = seriesRowsAt + (<usize>series << 2);
    store<i32>(rp, load<i32>(rp) + 1);
    rows++;
    i++; // the LF (or past the end)
  }
  // The TypeScript builder refuses fields × staged capacity over maxValues; leave any body near
  // that bound to it, so both agree on what is too large.
  const staged = rows * 2 > 1024 ? rows * 2 : 1024;
  if (<i64>nFields * <i64>staged > <i64>maxValues) return NOT_HANDLED;
  pack(rows);
  return rows;
}

/** Groups the staged rows by series (stable) into the output: starts, present, data. */
function pack(rows: i32): void {
  presentAt = align16(startsAt + <usize>(nSeries + 1) * 4);
  dataAt = align16(presentAt + <usize>nSeries * <usize>nFields);
  ensureMemory(dataAt + ((<usize>(1 + nFields) * <usize>rows) << 3));
  // starts: prefix sums of rows per series
  let acc: i32 = 0;
  for (let s: i32 = 0; s < nSeries; s++) {
    store<i32>(startsAt + (<usize>s << 2), acc);
    acc += load<i32>(seriesRowsAt + (<usize>s << 2));
  }
  store<i32>(startsAt + (<usize>nSeries << 2), acc);
  // order[k] = the row that goes to output position k (counting sort; fill cursors in seriesRows)
  for (let s: i32 = 0; s < nSeries; s++) store<i32>(seriesRowsAt + (<usize>s << 2), load<i32>(startsAt + (<usize>s << 2)));
  for (let r: i32 = 0; r < rows; r++) {
    const s = load<i32>(rowSeriesAt + (<usize>r << 2));
    const fp = seriesRowsAt + (<usize>s << 2);
    const k = load<i32>(fp);
    store<i32>(fp, k + 1);
    store<i32>(orderAt + (<usize>k << 2), r);
  }
  // timestamps
  for (let k: i32 = 0; k < rows; k++) {
    const r = load<i32>(orderAt + (<usize>k << 2));
    store<f64>(dataAt + (<usize>k << 3), load<f64>(rowTsAt + (<usize>r << 3)));
  }
  // field columns (NaN where a row lacks the field) and presence per series
  memory.fill(presentAt, 0, <usize>nSeries * <usize>nFields);
  for (let f: i32 = 0; f < nFields; f++) {
    const col = colsAt + ((<usize>f * <usize>rowCap) << 3);
    const out = dataAt + ((<usize>(f + 1) * <usize>rows) << 3);
    const bit = (<u32>1) << <u32>f;
    for (let s: i32 = 0; s < nSeries; s++) {
      const a = load<i32>(startsAt + (<usize>s << 2));
      const b = load<i32>(startsAt + (<usize>(s + 1) << 2));
      let any: u32 = 0;
      for (let k = a; k < b; k++) {
        const r = load<i32>(orderAt + (<usize>k << 2));
        const has = load<u32>(rowMaskAt + (<usize>r << 2)) & bit;
        any |= has;
        store<f64>(out + (<usize>k << 3), has != 0 ? load<f64>(col + (<usize>r << 3)) : NaN);
      }
      if (any != 0) store<u8>(presentAt + <usize>s * <usize>nFields + <usize>f, 1);
    }
  }
}

// ---- the compact WAL record (data-plane/docs/format/wal.md, version 2)

/** 10^k as integers, k ≤ 15. */
const POW10_INT: StaticArray<u64> = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000, 10000000000, 100000000000, 1000000000000, 10000000000000, 100000000000000, 1000000000000000];
/** Largest magnitude a mantissa, timestamp or delta may have in a version-2 record (its zigzag stays below 2^53, exact in a JS number). */
const MAX_MAGNITUDE: u64 = 2251799813685248; // 2^51

@inline
function putVarint(p: usize, v: u64): usize {
  while (v >= 0x80) {
    store<u8>(p++, <u8>(v | 0x80));
    v >>= 7;
  }
  store<u8>(p++, <u8>v);
  return p;
}

@inline
function zigzag(v: i64): u64 {
  return <u64>((v << 1) ^ (v >> 63));
}

@inline
function magnitude(v: i64): u64 {
  return <u64>(v < 0 ? -v : v);
}

export function walPtr(): usize {
  return walAt;
}

/**
 * After encodeWal(): nSeries + 1 u32 byte offsets into the record, series k's bytes being
 * [at[k], at[k + 1]) and at[0] the end of the field table. A cluster coordinator forwards each
 * node a record made of the header, the field table and its series' ranges (wal-record-v2.ts).
 */
export function walSeriesPtr(): usize {
  return walSeriesAt;
}

/**
 * Encodes the last parse's batch (after parse() returned `rows` ≥ 0) as a version-2 WAL record
 * without its trailing hash, at walPtr(); returns its length, or -1 when some number is too
 * large for the format (the caller then logs a version-1 record instead).
 *
 * Per series: name, rows, field presence, timestamps as zigzag varint deltas, then each present
 * field either as decimal mantissas at one scale (zigzag varint deltas; every row has a value)
 * or as raw f64 (some row lacks the field). A value v = m / 10^s as parsed is written as
 * m × 10^(S − s) at the column's scale S, which decodes to the same double: the same rational,
 * one correctly rounded division.
 */
export function encodeWal(rows: i32): i32 {
  walSeriesAt = align16(dataAt + ((<usize>(1 + nFields) * <usize>rows) << 3));
  walAt = align16(walSeriesAt + (<usize>(nSeries + 1) << 2));
  const bound =
    <usize>64 +
    <usize>nFields * (2 + MAX_NAME_BYTES) +
    <usize>nSeries * (2 + MAX_NAME_BYTES + 10 + 2 + 2 * <usize>nFields) +
    <usize>rows * (10 + 10 * <usize>nFields);
  ensureMemory(walAt + bound);
  let p = walAt;
  store<u8>(p, 2); // version
  store<u8>(p, 0, 1); // flags
  store<u16>(p, 0, 2);
  store<u32>(p, <u32>nSeries, 4);
  store<u32>(p, <u32>rows, 8);
  store<u16>(p, <u16>nFields, 12);
  store<u16>(p, 0, 14);
  p += 16;
  for (let f: i32 = 0; f < nFields; f++) p = putName(p, fieldName(f));
  const presenceBytes = <usize>((nFields + 7) >> 3);
  for (let s: i32 = 0; s < nSeries; s++) {
    store<u32>(walSeriesAt + (<usize>s << 2), <u32>(p - walAt));
    const a = load<i32>(startsAt + (<usize>s << 2));
    const b = load<i32>(startsAt + (<usize>(s + 1) << 2));
    p = putName(p, seriesName(s));
    p = putVarint(p, <u64>(b - a));
    memory.fill(p, 0, presenceBytes);
    for (let f: i32 = 0; f < nFields; f++) {
      if (load<u8>(presentAt + <usize>s * <usize>nFields + <usize>f) != 0) store<u8>(p + <usize>(f >> 3), load<u8>(p + <usize>(f >> 3)) | (<u8>1 << <u8>(f & 7)));
    }
    p += presenceBytes;
    // timestamps: the first as is (≥ 0 here), then deltas
    let prev: i64 = 0;
    for (let k = a; k < b; k++) {
      const t = <i64>load<f64>(dataAt + (<usize>k << 3));
      const d = t - prev;
      if (magnitude(d) > MAX_MAGNITUDE) return -1;
      p = putVarint(p, zigzag(d));
      prev = t;
    }
    for (let f: i32 = 0; f < nFields; f++) {
      if (load<u8>(presentAt + <usize>s * <usize>nFields + <usize>f) == 0) continue;
      const bit = (<u32>1) << <u32>f;
      const col = <usize>f * <usize>rowCap;
      // decimal when every row has the field and every mantissa fits at the largest scale
      let scale: i32 = 0;
      let decimal = true;
      for (let k = a; k < b; k++) {
        const r = <usize>load<i32>(orderAt + (<usize>k << 2));
        if ((load<u32>(rowMaskAt + (r << 2)) & bit) == 0) {
          decimal = false;
          break;
        }
        const sc = <i32>load<u8>(scaleAt + col + r);
        if (sc > scale) scale = sc;
      }
      if (decimal) {
        for (let k = a; k < b; k++) {
          const r = <usize>load<i32>(orderAt + (<usize>k << 2));
          const up = unchecked(POW10_INT[scale - <i32>load<u8>(scaleAt + col + r)]);
          if (load<u64>(mantAt + ((col + r) << 3)) > MAX_MAGNITUDE / up) {
            decimal = false;
            break;
          }
        }
      }
      if (decimal) {
        store<u8>(p++, 0);
        store<u8>(p++, <u8>scale);
        let prevM: i64 = 0;
        for (let k = a; k < b; k++) {
          const r = <usize>load<i32>(orderAt + (<usize>k << 2));
          const m = <i64>(load<u64>(mantAt + ((col + r) << 3)) * unchecked(POW10_INT[scale - <i32>load<u8>(scaleAt + col + r)]));
          p = putVarint(p, zigzag(m - prevM)); // |m|, |prevM| ≤ 2^51: the delta stays within 2^52
          prevM = m;
        }
      } else {
        store<u8>(p++, 1);
        const out = dataAt + ((<usize>(f + 1) * <usize>rows) << 3);
        memory.copy(p, out + (<usize>a << 3), <usize>(b - a) << 3);
        p += <usize>(b - a) << 3;
      }
    }
  }
  store<u32>(walSeriesAt + (<usize>nSeries << 2), <u32>(p - walAt));
  return <i32>(p - walAt);
}

/** Writes name `id` as u16 length + bytes at p; returns the offset after it. */
function putName(p: usize, id: i32): usize {
  const len = <usize>load<u32>(nameLenAt + (<usize>id << 2));
  store<u16>(p, <u16>len);
  memory.copy(p + 2, arenaAt + <usize>load<u32>(nameOffAt + (<usize>id << 2)), len);
  return p + 2 + len;
}
