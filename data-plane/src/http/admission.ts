import type { MiddlewareHandler } from 'hono';
import { HttpError } from './http-error.ts';

/**
 * Admission control of the data port: at most `max` requests in progress (network.max_connections;
 * Bun does not expose per-connection hooks, so open requests are what is counted; idle keep-alive
 * sockets are bounded by the server's idle timeout instead), and none once draining for shutdown.
 * Refusals are 503 with Retry-After, so clients back off instead of piling on.
 *
 * Single event-loop owner; `inFlight` is only changed by the middleware.
 */
export class Admission {
  private inFlightCount = 0;
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly max: number,
    private readonly onReject: (reason: 'connections' | 'shutting_down') => void = () => {},
  ) {}

  /** Requests currently being handled. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** The Hono middleware; put it first so refused requests cost nothing. */
  middleware(): MiddlewareHandler {
    return async (_c, next) => {
      if (this.draining) {
        this.onReject('shutting_down');
        throw new HttpError(503, 'shutting_down', 'server is shutting down; retry on another node or after restart', {
          retryAfterSec: 1,
          headers: { Connection: 'close' },
        });
      }
      if (this.inFlightCount >= this.max) {
        this.onReject('connections');
        throw new HttpError(503, 'too_many_connections', `more than network.max_connections (${this.max}) requests in progress; retry later`, {
          retryAfterSec: 1,
        });
      }
      this.inFlightCount++;
      try {
        await next();
      } finally {
        this.inFlightCount--;
        if (this.inFlightCount === 0 && this.idleWaiters.length) for (const w of this.idleWaiters.splice(0)) w();
      }
    };
  }

  /** Refuses new requests from now on and resolves once in-flight ones are done (or after `timeoutMs`). */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    if (this.inFlightCount === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const done = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    return done;
  }
}
