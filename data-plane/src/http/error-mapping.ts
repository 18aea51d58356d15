import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ConflictError, CorruptionError, NotFoundError, OverloadError, StorageError, ValidationError } from '../errors.ts';
import { REQUEST_TOO_LARGE } from '../ingest/write-limits.ts';
import type { Logger } from '../logging/logger.ts';
import { HttpError } from './http-error.ts';

/**
 * Which error body a route answers with: our own `{"error": {"code", "message"}}`, or the shape
 * InfluxDB clients parse on the Influx-compatible paths (v1 `{"error": msg}`, v2 `{"code", "message"}`).
 */
export type ErrorStyle = 'tsdb' | 'influx-v1' | 'influx-v2';

/** Context variables the data app sets (Hono `Variables`). */
export interface AppVariables {
  errorStyle: ErrorStyle;
}

/** A mapped error, before it becomes a Response. */
export interface MappedError {
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
  /** true when the error is the server's fault and must go to error.log */
  internal: boolean;
}

/** ValidationError codes that mean "request too large" rather than "request malformed". */
const TOO_LARGE_CODES = new Set([REQUEST_TOO_LARGE, 'body_too_large']);

/**
 * THE mapping from thrown errors to HTTP status, error code and message (the only one: handlers
 * just throw). Caller faults keep their message, since it names what is wrong; server faults get
 * a generic message with a reference into error.log, never a stack trace.
 */
export function mapError(err: unknown, ref: string): MappedError {
  if (err instanceof ValidationError) {
    const status = TOO_LARGE_CODES.has(err.code) ? 413 : 400;
    return { status, code: err.code, message: err.message, headers: {}, internal: false };
  }
  if (err instanceof HttpError) {
    const headers: Record<string, string> = { ...err.opts.headers };
    if (err.opts.retryAfterSec !== undefined) headers['Retry-After'] = String(Math.ceil(err.opts.retryAfterSec));
    return { status: err.status, code: err.code, message: err.message, headers, internal: err.status >= 500 && err.status !== 503 };
  }
  if (err instanceof HTTPException && err.status < 500) {
    return { status: err.status, code: 'bad_request', message: err.message || 'bad request', headers: {}, internal: false };
  }
  if (err instanceof NotFoundError) return { status: 404, code: 'not_found', message: err.message, headers: {}, internal: false };
  if (err instanceof ConflictError) return { status: 409, code: 'conflict', message: err.message, headers: {}, internal: false };
  if (err instanceof OverloadError) {
    const headers = { 'Retry-After': String(Math.max(1, Math.ceil(err.retryAfterSec))) };
    return { status: err.status, code: 'overloaded', message: err.message, headers, internal: false };
  }
  const what = err instanceof CorruptionError ? 'stored data failed an integrity check' : 'internal error';
  const code = err instanceof CorruptionError ? 'corruption' : err instanceof StorageError ? 'storage_error' : 'internal';
  return { status: 500, code, message: `${what} (ref ${ref}); see logs/error.log`, headers: {}, internal: true };
}

/** InfluxDB v2 error codes by status (influxdb/kit/platform/errors). */
function influxCode(status: number): string {
  switch (status) {
    case 400: return 'invalid';
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not found';
    case 405: return 'method not allowed';
    case 413: return 'request too large';
    case 415: return 'unsupported media type';
    case 429: return 'too many requests';
    case 503: return 'unavailable';
    default: return status >= 500 ? 'internal error' : 'invalid';
  }
}

/** The JSON error body of a mapped error in a route's style. */
export function errorBody(m: MappedError, style: ErrorStyle): unknown {
  if (style === 'influx-v1') return { error: m.message };
  if (style === 'influx-v2') return { code: influxCode(m.status), message: m.message };
  return { error: { code: m.code, message: m.message } };
}

let refCounter = 0;
/** Short reference tying a 500 answer to its error.log line. */
function nextRef(): string {
  refCounter = (refCounter + 1) % 0x100000;
  return `${Date.now().toString(36)}-${refCounter.toString(36)}`;
}

/**
 * Turns any error into a JSON Response (used by `app.onError` and `app.notFound`); server faults
 * are logged to error.log with method, path and the error (with its stack and cause), and
 * `onInternal` (health tracking) is told about them.
 */
export function errorResponse(
  c: Context<{ Variables: AppVariables }>,
  err: unknown,
  deps: { logger: Logger; onInternal?: (err: unknown) => void },
): Response {
  const ref = nextRef();
  const m = mapError(err, ref);
  if (m.internal) {
    deps.logger.error('request failed', { ref, method: c.req.method, path: c.req.path, err: err instanceof Error ? err : String(err) });
    deps.onInternal?.(err);
  }
  const style = c.get('errorStyle') ?? 'tsdb';
  return new Response(JSON.stringify(errorBody(m, style)), {
    status: m.status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...m.headers },
  });
}

/** `app.onError` handler built on {@link errorResponse}. */
export function onErrorHandler(deps: { logger: Logger; onInternal?: (err: unknown) => void }): ErrorHandler<{ Variables: AppVariables }> {
  return (err, c) => errorResponse(c, err, deps);
}
