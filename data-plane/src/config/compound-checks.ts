/**
 * Checks of the structured values in the config: the exchange → time zone map, the auth token
 * list and the static cluster member list. Each reports every bad entry, with its own key path.
 */
import { type Check, INVALID, describe, isPlainObject, isTimeZone, list, splitHostPort } from './checks.ts';
import type { StockTsdbConfig } from './types.ts';

type TokenEntry = StockTsdbConfig['auth']['tokens'][number];
type MemberEntry = StockTsdbConfig['cluster']['members'][number];
type Scope = TokenEntry['scopes'][number];

const EXCHANGE_RE = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Exchange code → IANA zone. Keys are upper-cased (symbols spell exchanges "SH", "NYSE") and the
 * result is merged over the defaults, so adding one exchange does not drop the others.
 */
export const zoneMap: Check<Record<string, string>> = (v, ctx) => {
  if (!isPlainObject(v)) {
    ctx.error(ctx.path, `expected a map of exchange code to time zone, got ${describe(v)}`);
    return INVALID;
  }
  const out: Record<string, string> = { ...ctx.fallback };
  const seen = new Set<string>();
  let ok = true;
  for (const [code, zone] of Object.entries(v)) {
    const at = `${ctx.path}.${code}`;
    const key = code.toUpperCase();
    if (!EXCHANGE_RE.test(code)) {
      ctx.error(at, 'expected an exchange code of letters, digits, "_" or "-" (at most 32)');
      ok = false;
    } else if (seen.has(key)) {
      ctx.error(at, `exchange ${key} is listed twice (codes are case-insensitive)`);
      ok = false;
    } else if (typeof zone !== 'string' || !isTimeZone(zone)) {
      ctx.error(at, `expected an IANA time zone such as "Asia/Shanghai", got ${describe(zone)}`);
      ok = false;
    } else {
      seen.add(key);
      out[key] = zone;
    }
  }
  return ok ? out : INVALID;
};

const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];

const scope: Check<Scope> = (v, ctx) => {
  const s = typeof v === 'string' ? SCOPES.find((x) => x === v.trim().toLowerCase()) : undefined;
  if (s) return s;
  ctx.error(ctx.path, `expected "read", "write" or "admin", got ${describe(v)}`);
  return INVALID;
};

const tokenEntry: Check<TokenEntry> = (v, ctx) => {
  if (!isPlainObject(v)) {
    ctx.error(ctx.path, `expected { token = "...", scopes = { "read", ... } }, got ${describe(v)}`);
    return INVALID;
  }
  let ok = true;
  for (const k of Object.keys(v)) {
    if (k !== 'token' && k !== 'scopes') ctx.warn(`${ctx.path}.${k}`, 'unknown key, ignored');
  }
  if (typeof v.token !== 'string' || v.token === '') {
    // The token itself is a secret: never echo it, only its type.
    ctx.error(`${ctx.path}.token`, `expected a non-empty string, got ${typeof v.token === 'string' ? 'an empty string' : describe(v.token)}`);
    ok = false;
  }
  const scopes = list(scope)(v.scopes ?? null, { ...ctx, path: `${ctx.path}.scopes`, fallback: [] });
  if (scopes !== INVALID && scopes.length === 0) {
    ctx.error(`${ctx.path}.scopes`, 'expected at least one of "read", "write", "admin"');
    ok = false;
  }
  if (scopes === INVALID || !ok) return INVALID;
  return { token: v.token as string, scopes: [...new Set(scopes)] };
};

/** The auth token list: each `{ token, scopes }` with scopes from read / write / admin. */
export const authTokens: Check<TokenEntry[]> = list(tokenEntry);

/** Node ids (cluster.node_id, members[].id): also hint-key parts and metric labels, hence the small charset. */
export const NODE_ID_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

const memberEntry: Check<MemberEntry> = (v, ctx) => {
  if (!isPlainObject(v)) {
    ctx.error(ctx.path, `expected { id = "node-1", address = "host:port" }, got ${describe(v)}`);
    return INVALID;
  }
  let ok = true;
  for (const k of Object.keys(v)) {
    if (k !== 'id' && k !== 'address') ctx.warn(`${ctx.path}.${k}`, 'unknown key, ignored');
  }
  if (typeof v.id !== 'string' || !NODE_ID_RE.test(v.id)) {
    ctx.error(`${ctx.path}.id`, `expected a node id of letters, digits, ".", "_" or "-" (at most 63), got ${describe(v.id)}`);
    ok = false;
  }
  if (typeof v.address !== 'string' || !splitHostPort(v.address)) {
    ctx.error(`${ctx.path}.address`, `expected an address "host:port" (the node's data port), got ${describe(v.address)}`);
    ok = false;
  }
  return ok ? { id: v.id as string, address: v.address as string } : INVALID;
};

/** Static cluster members: `{ id, address }` each, ids and addresses distinct. */
export const clusterMembers: Check<MemberEntry[]> = (v, ctx) => {
  const out = list(memberEntry)(v, ctx);
  if (out === INVALID) return INVALID;
  let ok = true;
  out.forEach((m, i) => {
    const first = out.findIndex((o) => o.id === m.id || o.address === m.address);
    if (first === i) return;
    const what = out[first]!.id === m.id ? `id "${m.id}"` : `address "${m.address}"`;
    ctx.error(`${ctx.path}[${i}]`, `${what} is already used by ${ctx.path}[${first}]`);
    ok = false;
  });
  return ok ? out : INVALID;
};
