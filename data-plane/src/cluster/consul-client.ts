/**
 * Minimal Consul HTTP API client (agent service registration, health, KV with check-and-set,
 * blocking queries) over the runtime's `fetch`.
 *
 * Why not the `consul` npm package: we use six endpoints, and over `fetch` each is a few lines
 * with exact types, AbortSignal cancellation of in-flight blocking queries (clean shutdown, no
 * leaked sockets in tests) and the same code path under Bun and Node; the package goes through
 * `node:http` (a compatibility layer under Bun) and its watch has no jitter. Blocking-query
 * looping with backoff lives in `blocking-watch.ts`.
 *
 * Stateless apart from which agent address is current: safe to share between callers.
 */

/** Options of `ConsulClient`. */
export interface ConsulClientOptions {
  /** Agent addresses "host:port" (config `cluster.service_discovery.servers`); the client moves to
   *  the next one after a connection error or 5xx. */
  servers: readonly string[];
  /** ACL token sent as X-Consul-Token (none by default). */
  token?: string;
  /** Timeout of a non-blocking request in ms (default 10000). */
  timeoutMs?: number;
}

/** HTTP health check Consul runs against the node (DESIGN.md §5: `/health` on the metrics port). */
export interface HttpCheck {
  /** Full URL, e.g. http://127.0.0.2:9090/health. */
  url: string;
  /** Consul duration, e.g. "10s". */
  interval: string;
  /** Consul duration (default: Consul's, 10s). */
  timeout?: string;
  /** Consul removes the service after it has been critical this long (e.g. "1h"; default never). */
  deregisterCriticalAfter?: string;
}

/** A service instance to register with the local agent. */
export interface ServiceRegistration {
  /** Service name, e.g. "stock-tsdb". */
  name: string;
  /** Instance id: the node id (unique in the cluster). */
  id: string;
  /** Address other nodes and clients use (the node's advertised data host). */
  address: string;
  /** Data port. */
  port: number;
  tags?: string[];
  /** Free-form string metadata (Consul limits: 64 keys, 512-byte values). */
  meta?: Record<string, string>;
  check: HttpCheck;
}

/** Aggregated health of an instance: the worst of its checks (service and node checks). */
export type HealthStatus = 'passing' | 'warning' | 'critical';

/** One instance as returned by the health endpoint. */
export interface ServiceInstance {
  id: string;
  address: string;
  port: number;
  tags: string[];
  meta: Record<string, string>;
  /** Consul node (agent) the instance is registered on. */
  agentNode: string;
  status: HealthStatus;
}

/** A KV value with the ModifyIndex to pass to `kvCas`. */
export interface KvEntry {
  value: string;
  modifyIndex: number;
}

/** Result of a (possibly blocking) read: the value and the X-Consul-Index to block on next. */
export interface Indexed<T> {
  value: T;
  index: number;
}

/** Blocking-query parameters: wait until the index moves past `index`, at most `wait`. */
export interface BlockingOptions {
  /** Last X-Consul-Index seen; 0 or absent = answer at once. */
  index?: number;
  /** Consul duration, e.g. "60s" (Consul caps it at 10m). */
  wait?: string;
  signal?: AbortSignal;
}

/** A non-2xx answer from Consul; `status` lets callers tell a refusal (4xx) from an outage. */
export class ConsulError extends Error {
  override name = 'ConsulError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Client of one Consul datacenter through its agents' HTTP API. */
export class ConsulClient {
  private current = 0;
  private readonly servers: readonly string[];
  private readonly timeoutMs: number;

  constructor(private readonly opts: ConsulClientOptions) {
    if (opts.servers.length === 0) throw new Error('consul: at least one agent address is needed');
    this.servers = opts.servers;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** Registers (or replaces) a service instance and its HTTP check with the agent. */
  async registerService(reg: ServiceRegistration): Promise<void> {
    const body = {
      ID: reg.id,
      Name: reg.name,
      Address: reg.address,
      Port: reg.port,
      Tags: reg.tags ?? [],
      Meta: reg.meta ?? {},
      Check: {
        CheckID: `service:${reg.id}`,
        Name: `${reg.name} /health`,
        HTTP: reg.check.url,
        Method: 'GET',
        Interval: reg.check.interval,
        ...(reg.check.timeout ? { Timeout: reg.check.timeout } : {}),
        ...(reg.check.deregisterCriticalAfter ? { DeregisterCriticalServiceAfter: reg.check.deregisterCriticalAfter } : {}),
      },
    };
    // replace-existing-checks: a restarted node must not keep checks from its previous life.
    await this.call('PUT', '/v1/agent/service/register?replace-existing-checks=true', { body: JSON.stringify(body) });
  }

  /** Removes a service instance (and its checks) from the agent; a missing id is not an error. */
  async deregisterService(id: string): Promise<void> {
    try {
      await this.call('PUT', `/v1/agent/service/deregister/${encodeURIComponent(id)}`);
    } catch (err) {
      if (!(err instanceof ConsulError && err.status === 404)) throw err;
    }
  }

  /**
   * Instances of `service` with their aggregated health (`/v1/health/service/<name>`); with
   * `passingOnly` only those whose every check passes (`?passing`). Blocking when `index` is set.
   */
  async serviceHealth(
    service: string,
    opts: BlockingOptions & { passingOnly?: boolean } = {},
  ): Promise<Indexed<ServiceInstance[]>> {
    const q = blockingQuery(opts);
    if (opts.passingOnly) q.set('passing', 'true');
    const res = await this.call('GET', `/v1/health/service/${encodeURIComponent(service)}?${q}`, opts);
    const entries = (await res.json()) as RawHealthEntry[];
    const value = entries.map(toInstance).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { value, index: consulIndex(res) };
  }

  /** Healthy instances of `service` (every check passing). */
  async healthyInstances(service: string): Promise<ServiceInstance[]> {
    return (await this.serviceHealth(service, { passingOnly: true })).value;
  }

  /** Reads a key; null when absent. Blocking when `index` is set (the index is the KV index). */
  async kvGet(key: string, opts: BlockingOptions = {}): Promise<Indexed<KvEntry | null>> {
    const res = await this.call('GET', `/v1/kv/${encodeKey(key)}?${blockingQuery(opts)}`, { ...opts, allow404: true });
    if (res.status === 404) return { value: null, index: consulIndex(res) };
    const [item] = (await res.json()) as { Value: string | null; ModifyIndex: number }[];
    if (!item) return { value: null, index: consulIndex(res) };
    const value = item.Value === null ? '' : Buffer.from(item.Value, 'base64').toString('utf8');
    return { value: { value, modifyIndex: item.ModifyIndex }, index: consulIndex(res) };
  }

  /**
   * Writes `value` only if the key's ModifyIndex is still `modifyIndex` (0 = only if the key does
   * not exist): Consul's check-and-set. Returns false when someone else wrote first.
   */
  async kvCas(key: string, value: string, modifyIndex: number): Promise<boolean> {
    const res = await this.call('PUT', `/v1/kv/${encodeKey(key)}?cas=${modifyIndex}`, { body: value });
    return (await res.text()).trim() === 'true';
  }

  /** Deletes a key (unconditionally); absent keys are fine. */
  async kvDelete(key: string): Promise<void> {
    await this.call('DELETE', `/v1/kv/${encodeKey(key)}`);
  }

  private async call(
    method: string,
    path: string,
    o: { body?: string; signal?: AbortSignal; wait?: string; index?: number; allow404?: boolean } = {},
  ): Promise<Response> {
    const server = this.servers[this.current % this.servers.length]!;
    const signal = requestSignal(o, this.timeoutMs);
    let res: Response;
    try {
      res = await fetch(`http://${server}${path}`, {
        method,
        body: o.body,
        signal,
        headers: this.opts.token ? { 'X-Consul-Token': this.opts.token } : {},
      });
    } catch (cause) {
      // The caller giving up (watch stopped) says nothing about this agent; a timeout does.
      if (!o.signal?.aborted) this.failover();
      throw new Error(`consul ${method} ${server}${path}: ${(cause as Error).message}`, { cause });
    }
    if (res.ok || (o.allow404 && res.status === 404)) return res;
    if (res.status >= 500) this.failover();
    const text = (await res.text()).trim().slice(0, 300);
    throw new ConsulError(`consul ${method} ${server}${path}: ${res.status} ${text}`, res.status);
  }

  private failover(): void {
    this.current = (this.current + 1) % this.servers.length;
  }
}

interface RawHealthEntry {
  Node: { Node: string; Address: string };
  Service: { ID: string; Address: string; Port: number; Tags: string[] | null; Meta: Record<string, string> | null };
  Checks: { Status: string }[];
}

function toInstance(e: RawHealthEntry): ServiceInstance {
  const statuses = e.Checks.map((c) => c.Status);
  const status: HealthStatus = statuses.includes('critical')
    ? 'critical'
    : statuses.includes('warning')
      ? 'warning'
      : 'passing';
  return {
    id: e.Service.ID,
    // An empty service address means "the agent's node address" (Consul's convention).
    address: e.Service.Address || e.Node.Address,
    port: e.Service.Port,
    tags: e.Service.Tags ?? [],
    meta: e.Service.Meta ?? {},
    agentNode: e.Node.Node,
    status,
  };
}

function blockingQuery(o: BlockingOptions): URLSearchParams {
  const q = new URLSearchParams();
  if (o.index && o.index > 0) {
    q.set('index', String(o.index));
    if (o.wait) q.set('wait', o.wait);
  }
  return q;
}

/**
 * Abort signal of one request: the caller's, plus a timeout. A blocking request may legitimately
 * take `wait` plus Consul's jitter of up to wait/16, so its timeout is stretched by that.
 */
function requestSignal(o: { signal?: AbortSignal; wait?: string; index?: number }, timeoutMs: number): AbortSignal {
  const blockingMs = o.index && o.index > 0 ? parseConsulDuration(o.wait ?? '5m') : 0;
  const timeout = AbortSignal.timeout(timeoutMs + blockingMs + blockingMs / 16);
  return o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
}

/** Parses the Consul/Go durations we send ("500ms", "10s", "5m", "1h"); throws otherwise. */
export function parseConsulDuration(d: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`consul: unsupported duration "${d}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

function consulIndex(res: Response): number {
  const n = Number(res.headers.get('x-consul-index'));
  return Number.isFinite(n) && n > 0 ? n : 0;
}

// Keys are paths: keep the slashes, escape each segment.
function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
