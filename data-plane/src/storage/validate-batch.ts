import { ValidationError } from '../errors.ts';
import { isValidSymbol, SYMBOL_PATTERN, type WriteBatch } from '../model.ts';

/** Library-level checks (the HTTP parsers already give friendlier messages). */
export function validateBatch(batch: WriteBatch): void {
  let rows = 0;
  for (const s of batch.series) {
    if (!isValidSymbol(s.symbol)) throw new ValidationError(`symbol "${s.symbol}" must match ${SYMBOL_PATTERN}`);
    const n = s.ts.length;
    for (let i = 0; i < n; i++) {
      const t = s.ts[i];
      if (!Number.isSafeInteger(t)) throw new ValidationError(`symbol "${s.symbol}" row ${i + 1}: timestamp ${t} is not an integer number of microseconds`);
    }
    for (const [name, col] of s.columns) {
      if (col.length !== n) throw new ValidationError(`symbol "${s.symbol}" field "${name}": ${col.length} values for ${n} timestamps`);
      for (let i = 0; i < n; i++) {
        const v = col[i];
        if (v === Infinity || v === -Infinity) throw new ValidationError(`symbol "${s.symbol}" row ${i + 1} field "${name}": not a finite number`);
      }
    }
    rows += n;
  }
  if (rows !== batch.rowCount) throw new ValidationError(`batch rowCount ${batch.rowCount} does not match its ${rows} rows`);
}
