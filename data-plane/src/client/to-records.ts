import type { QueryResult } from './types.ts';

/** A query answer's rows as objects keyed by column (`{timestamp, open, …}`), nulls kept. */
export function toRecords(result: QueryResult): Record<string, number | null>[] {
  const cols = result.columns;
  return result.rows.map((row) => {
    const rec: Record<string, number | null> = {};
    for (let i = 0; i < cols.length; i++) rec[cols[i]!] = row[i] ?? null;
    return rec;
  });
}
