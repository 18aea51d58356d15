/**
 * Interns byte strings (symbols, field names) straight from a request body: a name seen before
 * is found by hash + byte compare and costs no allocation; only a new name is decoded once.
 *
 * Pure; one instance per thread (not shared across workers). Ids are dense (0, 1, 2, …) and
 * stable until `clear()`.
 */

const utf8 = new TextDecoder('utf-8'); // non-fatal: invalid bytes become U+FFFD (only for messages)

/** FNV-1a (32-bit) offset basis and prime, for callers that hash while they scan. */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a (32-bit) over buf[start, end): cheap, and good enough for short names. */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], FNV_PRIME);
  return h;
}

/** Decodes buf[start, end) as UTF-8 (ASCII fast path). */
export function decodeBytes(buf: Uint8Array, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (buf[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!ascii || end - start > 1024) return utf8.decode(buf.subarray(start, end));
  return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
}

/**
 * Open-addressing hash table from byte strings to dense ids, with the bytes kept in one arena.
 * `flags[id]` is a free byte per entry for callers (e.g. "validated as a field name").
 */
export class ByteInterner {
  /** decoded name of each id */
  readonly names: string[] = [];
  /** caller-owned byte per id, 0 when interned */
  flags = new Uint8Array(64);
  private slots: Int32Array; // slot → id + 1; 0 = empty
  private hashes = new Int32Array(64);
  private starts = new Int32Array(64);
  private lens = new Int32Array(64);
  private arena = new Uint8Array(4096);
  private arenaLen = 0;

  constructor(initialSlots = 1024) {
    let n = 16;
    while (n < initialSlots) n *= 2;
    this.slots = new Int32Array(n);
  }

  /** Number of interned names. */
  get size(): number {
    return this.names.length;
  }

  /** Id of buf[start, end) whose hashBytes() is `hash`, or -1 if not interned. */
  find(buf: Uint8Array, start: number, end: number, hash: number): number {
    const mask = this.slots.length - 1;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const v = this.slots[s];
      if (v === 0) return -1;
      const id = v - 1;
      if (this.hashes[id] === hash && this.equals(id, buf, start, end)) return id;
    }
  }

  /** Id of buf[start, end) (hash = hashBytes of it), interning and decoding it if new. */
  intern(buf: Uint8Array, start: number, end: number, hash: number): number {
    const found = this.find(buf, start, end, hash);
    return found >= 0 ? found : this.add(buf, start, end, hash);
  }

  /** Length in bytes of name `id`. */
  lengthOf(id: number): number {
    return this.lens[id];
  }

  /** True when id's bytes equal buf[start, end). */
  equals(id: number, buf: Uint8Array, start: number, end: number): boolean {
    const len = end - start;
    if (this.lens[id] !== len) return false;
    const arena = this.arena;
    const at = this.starts[id] - start;
    for (let i = start; i < end; i++) if (arena[at + i] !== buf[i]) return false;
    return true;
  }

  /** Forgets every name (ids restart at 0). */
  clear(): void {
    this.names.length = 0;
    this.slots.fill(0);
    this.flags.fill(0);
    this.arenaLen = 0;
  }

  /**
   * Interns buf[start, end) (hash = hashBytes of it), which must not be interned yet; `name` is its
   * decoded text when the caller already has it. Returns the new id.
   */
  add(buf: Uint8Array, start: number, end: number, hash: number, name = decodeBytes(buf, start, end)): number {
    const id = this.names.length;
    const len = end - start;
    if (id === this.hashes.length) this.growEntries();
    if (this.arenaLen + len > this.arena.length) {
      const a = new Uint8Array(Math.max(this.arena.length * 2, this.arenaLen + len));
      a.set(this.arena.subarray(0, this.arenaLen));
      this.arena = a;
    }
    this.arena.set(buf.subarray(start, end), this.arenaLen);
    this.starts[id] = this.arenaLen;
    this.lens[id] = len;
    this.hashes[id] = hash;
    this.flags[id] = 0;
    this.arenaLen += len;
    this.names.push(name);
    // Keep the load factor ≤ 1/2 so probe chains stay short.
    if ((id + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id);
    return id;
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    let s = this.hashes[id] & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = id + 1;
  }

  private rehash(n: number): void {
    this.slots = new Int32Array(n);
    for (let id = 0; id < this.names.length; id++) this.place(id);
  }

  private growEntries(): void {
    const n = this.hashes.length * 2;
    const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.hashes = grow(this.hashes, (k) => new Int32Array(k));
    this.starts = grow(this.starts, (k) => new Int32Array(k));
    this.lens = grow(this.lens, (k) => new Int32Array(k));
    this.flags = grow(this.flags, (k) => new Uint8Array(k));
  }
}
