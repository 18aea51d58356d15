/**
 * The shared cluster token of node-to-node calls (`X-Cluster-Token`, config `cluster.token`).
 * Compared as SHA-256 digests with timingSafeEqual, like user tokens (http/auth.ts), so the time
 * taken does not reveal how much of a guess matched, whatever the lengths.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HttpError } from '../../http/http-error.ts';

/** Header carrying the cluster token. */
export const CLUSTER_TOKEN_HEADER = 'X-Cluster-Token';

/** Checks presented tokens against the configured one. An empty configured token accepts anything
 *  (config warns about it: node-to-node traffic is then unauthenticated). */
export class ClusterToken {
  private readonly digest: Buffer | null;

  constructor(token: string) {
    this.digest = token ? sha256(token) : null;
  }

  /** True when `presented` is the cluster token (or no token is configured). */
  matches(presented: string | undefined): boolean {
    if (this.digest === null) return true;
    if (!presented) return false;
    return timingSafeEqual(this.digest, sha256(presented));
  }

  /** True when a token is configured and `presented` is it (grants admin calls too). */
  grants(presented: string | undefined): boolean {
    return this.digest !== null && this.matches(presented);
  }

  /** Middleware refusing (401) requests without the cluster token. */
  require(): MiddlewareHandler {
    return async (c, next) => {
      if (!this.matches(c.req.header(CLUSTER_TOKEN_HEADER))) {
        throw new HttpError(401, 'unauthorized', `internal API: missing or wrong ${CLUSTER_TOKEN_HEADER} (cluster.token)`);
      }
      await next();
    };
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
