/** Distinct field lists kept; past it lists pass through as they are (only slower to apply). */
const MAX_LISTS = 4096;

/**
 * Gives every batch with the same field names, in the same order, one shared array of them.
 *
 * Each parsed batch arrives with its own fresh strings (a worker built them), so the heads and
 * series states would compare names character by character, 5 fields × ~1000 series per
 * request. With one array per distinct list they compare the array by identity instead
 * (SeriesHead.appendPacked, SeriesState.notePackedFields).
 */
export class FieldListInterner {
  private readonly lists = new Map<string, readonly string[]>();

  /** The shared array equal to `names` (or `names` itself once MAX_LISTS lists are known). */
  intern(names: readonly string[]): readonly string[] {
    const key = names.join('\n'); // field names never contain a newline (ingest/names.ts)
    const known = this.lists.get(key);
    if (known) return known;
    if (this.lists.size >= MAX_LISTS) return names;
    const list = Object.freeze(names.slice());
    this.lists.set(key, list);
    return list;
  }
}
