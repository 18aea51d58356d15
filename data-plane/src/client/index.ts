/** The TypeScript client SDK of stock-tsdb (runs on Bun and Node ≥ 18: uses global fetch). */
export { connect, TsdbClient } from './client.ts';
export { TsdbClientError } from './client-error.ts';
export { toRecords } from './to-records.ts';
export type { ClientOptions, ClientPrecision, QueryRange, QueryResult, Row } from './types.ts';
