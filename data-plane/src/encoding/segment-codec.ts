/**
 * The column codec for stored segments (docs/format/segment.md): the entry points the storage
 * engine and the codec workers call. Pure: no I/O, no `node:*`, no native modules; runs under
 * Node 20 and Bun.
 */
export { encodeSegment, encodeSegmentInto, type SegmentInput } from './segment-encoder.ts';
export { decodeSegment, decodeSegmentTransient, type DecodedSegment } from './segment-decoder.ts';
export { readSegmentSummary, type SegmentSummary } from './segment-summary.ts';
