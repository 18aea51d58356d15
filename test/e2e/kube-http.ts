/**
 * A minimal Kubernetes API client for the test side (Vitest on Node 20, where
 * @kubernetes/client-node cannot load): JSON over node:https with the test CA and a bearer token,
 * plus a line-oriented watch. Only what the pod runner and the assertions need.
 */
import { request } from 'node:https';
import { readFileSync } from 'node:fs';

/** An HTTP answer. */
export interface KubeAnswer {
  status: number;
  body: any;
}

/** JSON client bound to one API server and identity. */
export class KubeHttp {
  private readonly ca: Buffer;

  constructor(
    readonly server: string,
    private readonly token: string,
    caFile: string,
  ) {
    this.ca = readFileSync(caFile);
  }

  /** One request; resolves with status and parsed body (never throws on HTTP errors). */
  call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeAnswer> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${this.server}${path}`,
        { method, ca: this.ca, headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(data ? { 'content-type': contentType } : {}) }, timeout: 30_000 },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => {
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch {
              // keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
      if (data) req.write(data);
      req.end();
    });
  }

  /** GET that throws unless 200. */
  async get(path: string): Promise<any> {
    const r = await this.call('GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /**
   * Watches `path` (a collection) from `resourceVersion`, calling `onEvent` per event, until the
   * server ends it or `abort()`; resolves then (rejects on a connection error).
   */
  watch(path: string, resourceVersion: string, onEvent: (type: string, obj: any) => void): { done: Promise<void>; abort(): void } {
    let req: ReturnType<typeof request>;
    const done = new Promise<void>((resolve, reject) => {
      const sep = path.includes('?') ? '&' : '?';
      req = request(`${this.server}${path}${sep}watch=true&resourceVersion=${resourceVersion}&allowWatchBookmarks=true&timeoutSeconds=60`, { ca: this.ca, headers: { authorization: `Bearer ${this.token}` } }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`watch ${path}: ${res.statusCode}`));
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            const ev = JSON.parse(line);
            onEvent(ev.type, ev.object);
          }
        });
        res.on('end', () => resolve());
        res.on('error', () => resolve());
      });
      req.on('error', (e) => ((e as { code?: string }).code === 'ECONNRESET' ? resolve() : reject(e)));
      req.end();
    });
    return { done, abort: () => req.destroy() };
  }
}
