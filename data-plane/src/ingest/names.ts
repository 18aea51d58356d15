/**
 * Validation of symbols and field names with messages the parsers put behind a row prefix.
 * Pure; worker-safe.
 */
import { FIELD_PATTERN, RESERVED_FIELDS, SYMBOL_PATTERN } from '../model.ts';

/** Longest name echoed back in an error message (the rest is cut with "…"). */
const MAX_ECHO = 80;

/** `JSON.stringify(s)` cut to a readable length, for error messages. */
export function quoteForError(s: string): string {
  return JSON.stringify(s.length > MAX_ECHO ? `${s.slice(0, MAX_ECHO)}…` : s);
}

/** Why `symbol` is not a valid series name (DESIGN §3), or null when it is. */
export function symbolProblem(symbol: string): string | null {
  if (SYMBOL_PATTERN.test(symbol)) return null;
  if (symbol.length === 0) return 'symbol is empty';
  if (symbol.length > 128) return `symbol ${quoteForError(symbol)} is longer than 128 characters`;
  return `symbol ${quoteForError(symbol)} may only contain A-Z a-z 0-9 . _ : -`;
}

/** Why `name` cannot be a field name, or null when it can. */
export function fieldNameProblem(name: string): string | null {
  if (RESERVED_FIELDS.has(name)) return `field name ${quoteForError(name)} is reserved`;
  if (FIELD_PATTERN.test(name)) return null;
  if (name.length === 0) return 'field name is empty';
  if (name.length > 64) return `field name ${quoteForError(name)} is longer than 64 characters`;
  return `field name ${quoteForError(name)} must start with a letter or _ and contain only A-Z a-z 0-9 _ . : -`;
}
