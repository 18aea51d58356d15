/** Small fetch wrappers for integration tests: status, headers and parsed body in one object. */

/** A finished HTTP exchange. */
export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  /** parsed JSON body (undefined when the body is not JSON) */
  json: T;
}

/** Sends a request and reads the whole answer. */
export async function call<T = any>(url: string, init: RequestInit = {}): Promise<Reply<T>> {
  const r = await fetch(url, init);
  const text = await r.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json: json as T };
}

/** GET `url`. */
export function get<T = any>(url: string, headers: Record<string, string> = {}): Promise<Reply<T>> {
  return call<T>(url, { headers });
}

/** POST a body (objects are sent as JSON). */
export function post<T = any>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const isRaw = typeof body === 'string' || body instanceof Uint8Array;
  return call<T>(url, {
    method: 'POST',
    body: isRaw ? (body as string | Uint8Array) : JSON.stringify(body),
    headers: isRaw ? headers : { 'Content-Type': 'application/json', ...headers },
  });
}

/** The answer shape of /v1/query (DESIGN §5). */
export interface QueryAnswer {
  symbol: string;
  interval: string | null;
  columns: string[];
  rows: (number | null)[][];
}
