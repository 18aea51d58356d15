/**
 * An error that only exists at the HTTP layer (body too large, unauthorized, method not allowed,
 * shutting down): carries its status and error code. Domain errors (errors.ts) stay HTTP-free;
 * both are turned into responses by `error-mapping.ts`.
 */
export class HttpError extends Error {
  override name = 'HttpError';

  /**
   * @param status 4xx/5xx status to answer with
   * @param code machine-readable `error.code` (snake_case)
   * @param message what is wrong, naming the parameter/header at fault
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly opts: { retryAfterSec?: number; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }
}
