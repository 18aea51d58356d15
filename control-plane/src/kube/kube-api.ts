/**
 * The small slice of the Kubernetes API the operator uses, behind one interface (STYLE.md: each
 * external dependency behind a small interface). The real implementation is
 * `client-node-kube-api.ts` (@kubernetes/client-node; loaded only by the operator process, as it
 * cannot load on Node 20 where Vitest runs); `memory-kube-api.ts` is an in-memory one for unit
 * tests. e2e always uses the real one against a real API server.
 *
 * Objects are plain JSON (`KubeObject`); errors are `KubeApiError` with the HTTP status, so
 * callers branch on 404 / 409 without knowing the client library.
 */
import type { KubeObject } from '../specs/common.ts';

/** Names one object. `namespace` is absent for cluster-scoped kinds. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** Which objects of a kind to list or watch. */
export interface Selection {
  apiVersion: string;
  kind: string;
  /** Absent = all namespaces. */
  namespace?: string;
  labelSelector?: string;
}

/** One watch event. BOOKMARK events only advance the resourceVersion. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: KubeObject;
}

/** A running watch: `done` settles when the server or the network ends it (never by itself retried). */
export interface WatchHandle {
  /** Resolves on a clean end (server timeout), rejects on an error (e.g. 410 Gone: relist). */
  done: Promise<void>;
  abort(): void;
}

/** A list answer: the items and the collection's resourceVersion to watch from. */
export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
}

/** An API error with its HTTP status (404 not found, 409 conflict/already exists, 410 gone, ...). */
export class KubeApiError extends Error {
  override name = 'KubeApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly reason?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for a 409: someone else changed the object first; the answer is to requeue and re-read. */
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 409;
}

/** True for a 404. */
export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 404;
}

/** What the operator needs from the API server. Every method throws `KubeApiError` on an API error. */
export interface KubeApi {
  /** Reads an object; null when it does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | null>;
  list(sel: Selection): Promise<ListResult>;
  /** Watches from `resourceVersion` (from `list`), calling `onEvent` in order. */
  watch(sel: Selection & { resourceVersion: string }, onEvent: (e: WatchEvent) => void): Promise<WatchHandle>;
  /** Server-side apply of `obj` with the operator's field manager (force: we own these fields). */
  apply(obj: KubeObject): Promise<KubeObject>;
  /** Server-side apply of `obj.status` through the status subresource. */
  applyStatus(obj: KubeObject): Promise<KubeObject>;
  /** Creates; 409 when it exists. */
  create(obj: KubeObject): Promise<KubeObject>;
  /** Replaces; `obj.metadata.resourceVersion` is a precondition (409 when stale): compare-and-set. */
  replace(obj: KubeObject): Promise<KubeObject>;
  /** JSON merge patch (RFC 7386); a `metadata.resourceVersion` in the patch is a precondition. */
  mergePatch(ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject>;
  /** Deletes (background propagation); resolves also when it did not exist. */
  delete(ref: ObjectRef): Promise<void>;
}

/** The reference of an object (for get/delete after building or reading it). */
export function refOf(obj: KubeObject): ObjectRef {
  return { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
}
