/**
 * A failed client call: the server's status and error code and message (from the JSON error
 * body), or status 0 with code `network_error`/`timeout` when no answer arrived.
 */
export class TsdbClientError extends Error {
  override name = 'TsdbClientError';

  constructor(
    /** HTTP status, or 0 when the request got no answer */
    readonly status: number,
    /** the server's `error.code` (e.g. `invalid_request`, `overloaded`), or a client-side code */
    readonly code: string,
    message: string,
    /** seconds the server asked to wait (Retry-After), when it did */
    readonly retryAfterSec?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
