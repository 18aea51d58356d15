/**
 * Domain errors callers branch on. The HTTP layer maps them to status codes in one place
 * (`http/error-mapping.ts`); everything else is a 500 without a stack trace in the body.
 */

/** The caller sent something invalid; `message` names the row/field/parameter at fault (→ 400). */
export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(message: string, readonly code = 'invalid_request', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The request conflicts with the current state (ring epoch, a job in progress) (→ 409). */
export class ConflictError extends Error {
  override name = 'ConflictError';
}

/** Not found (→ 404). */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** Stored bytes failed their version or checksum test; `key` names the stored value (→ 500, counted). */
export class CorruptionError extends Error {
  override name = 'CorruptionError';
  constructor(message: string, readonly key?: string, options?: { cause?: unknown }) {
    super(key ? `${message} (key ${key})` : message, options);
  }
}

/** A bounded resource is full; retry after `retryAfterSec` (→ 429 or 503 with Retry-After). */
export class OverloadError extends Error {
  override name = 'OverloadError';
  constructor(message: string, readonly retryAfterSec = 1, readonly status: 429 | 503 = 503) {
    super(message);
  }
}

/** Failure in the storage layer, wrapping its cause with short context. */
export class StorageError extends Error {
  override name = 'StorageError';
}
