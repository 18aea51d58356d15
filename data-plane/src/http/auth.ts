import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { StockTsdbConfig } from '../config/types.ts';
import { HttpError } from './http-error.ts';

/** Scopes a token may hold; `admin` implies `read` and `write`. */
export type Scope = 'read' | 'write' | 'admin';

/**
 * Bearer-token authorization (config `auth`). The token is taken from, in order:
 * `Authorization: Bearer T`, `Authorization: Token T` (InfluxDB v2 clients),
 * `Authorization: Basic base64(user:T)` and the `p` query parameter (InfluxDB v1 clients, where
 * the password is the token; `u` is ignored).
 *
 * Tokens are compared as SHA-256 digests with timingSafeEqual, so the comparison time does not
 * reveal how much of a guessed token matched.
 */
export class Authorizer {
  private readonly tokens: { digest: Buffer; scopes: Set<Scope> }[];

  constructor(private readonly cfg: StockTsdbConfig['auth']) {
    this.tokens = cfg.tokens.map((t) => ({ digest: digest(t.token), scopes: new Set(t.scopes) }));
  }

  /** Whether auth is on at all (off by default). */
  get enabled(): boolean {
    return this.cfg.enabled;
  }

  /** Middleware requiring `scope`; a no-op when auth is off. 401 without a known token, 403 without the scope. */
  require(scope: Scope): MiddlewareHandler {
    return async (c, next) => {
      if (this.cfg.enabled) this.check(tokenOf(c.req.header('authorization'), c.req.query('p')), scope);
      await next();
    };
  }

  /** Throws HttpError 401/403 unless `token` grants `scope`. */
  check(token: string | undefined, scope: Scope): void {
    const challenge = { headers: { 'WWW-Authenticate': 'Bearer realm="stock-tsdb"' } };
    if (!token) throw new HttpError(401, 'unauthorized', 'missing credentials: send "Authorization: Bearer <token>"', challenge);
    const d = digest(token);
    const entry = this.tokens.find((t) => timingSafeEqual(t.digest, d));
    if (!entry) throw new HttpError(401, 'unauthorized', 'unknown or revoked token', challenge);
    if (!entry.scopes.has(scope) && !entry.scopes.has('admin')) {
      throw new HttpError(403, 'forbidden', `token lacks the "${scope}" scope needed here`);
    }
  }
}

/** The token a request carries (see {@link Authorizer}); undefined when none. */
export function tokenOf(authorization: string | undefined, passwordParam: string | undefined): string | undefined {
  if (authorization) {
    const m = /^(Bearer|Token|Basic)\s+(.+)$/i.exec(authorization.trim());
    if (m) {
      const kind = m[1]!.toLowerCase();
      if (kind !== 'basic') return m[2]!.trim();
      const decoded = Buffer.from(m[2]!.trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon >= 0 ? decoded.slice(colon + 1) : undefined;
    }
  }
  return passwordParam || undefined;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
