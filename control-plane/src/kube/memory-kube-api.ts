/**
 * An in-memory `KubeApi` for unit tests: resourceVersions, 404/409 semantics, preconditions,
 * finalizers (delete sets deletionTimestamp while finalizers remain), generation bumps on spec
 * changes and watches. Server-side apply is approximated by a deep merge (objects merge, arrays
 * and scalars replace), which is what our builders' fully specified objects need.
 *
 * Not a Kubernetes: no defaulting, no validation, no garbage collection. e2e uses the real one.
 */
import type { KubeObject } from '../specs/common.ts';
import { KubeApiError, refOf, type KubeApi, type ListResult, type ObjectRef, type Selection, type WatchEvent, type WatchHandle } from './kube-api.ts';

type Listener = { sel: Selection; onEvent: (e: WatchEvent) => void };

/** The in-memory KubeApi. Every write is also recorded in `writes` (for "changes nothing" tests). */
export class MemoryKubeApi implements KubeApi {
  private readonly objects = new Map<string, KubeObject>();
  private readonly listeners = new Set<Listener>();
  private rv = 0;
  /** Log of mutating calls: `${verb} ${kind} ${namespace}/${name}`. */
  readonly writes: string[] = [];
  /** Failures to inject: a call whose log line starts with a key throws the error once. */
  readonly failOnce = new Map<string, KubeApiError>();

  async get(ref: ObjectRef): Promise<KubeObject | null> {
    const o = this.objects.get(keyOf(ref));
    return o ? clone(o) : null;
  }

  async list(sel: Selection): Promise<ListResult> {
    const items = [...this.objects.values()].filter((o) => matches(o, sel)).map(clone);
    return { items, resourceVersion: String(this.rv) };
  }

  async watch(sel: Selection & { resourceVersion: string }, onEvent: (e: WatchEvent) => void): Promise<WatchHandle> {
    const l: Listener = { sel, onEvent };
    this.listeners.add(l);
    let end!: () => void;
    const done = new Promise<void>((r) => (end = r));
    return { done, abort: () => (this.listeners.delete(l), end()) };
  }

  async apply(obj: KubeObject): Promise<KubeObject> {
    this.record('apply', obj);
    const cur = this.objects.get(keyOf(refOf(obj)));
    if (!cur) return this.store({ ...clone(obj), metadata: { ...clone(obj.metadata), generation: 1 } }, 'ADDED');
    const next = merge(cur, stripMeta(obj)) as KubeObject;
    return this.store(next, 'MODIFIED', cur);
  }

  async applyStatus(obj: KubeObject): Promise<KubeObject> {
    this.record('applyStatus', obj);
    const cur = this.mustGet(refOf(obj));
    return this.store({ ...cur, status: merge(cur.status ?? {}, obj.status ?? {}) }, 'MODIFIED', cur);
  }

  async create(obj: KubeObject): Promise<KubeObject> {
    this.record('create', obj);
    if (this.objects.has(keyOf(refOf(obj)))) throw new KubeApiError(`${obj.kind} ${obj.metadata.name} already exists`, 409, 'AlreadyExists');
    return this.store({ ...clone(obj), metadata: { ...clone(obj.metadata), generation: 1 } }, 'ADDED');
  }

  async replace(obj: KubeObject): Promise<KubeObject> {
    this.record('replace', obj);
    const cur = this.mustGet(refOf(obj));
    this.checkPrecondition(cur, obj.metadata.resourceVersion);
    return this.store({ ...clone(obj), metadata: { ...clone(obj.metadata), generation: cur.metadata.generation } }, 'MODIFIED', cur);
  }

  async mergePatch(ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject> {
    this.record('mergePatch', { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } });
    const cur = this.mustGet(ref);
    this.checkPrecondition(cur, (patch.metadata as { resourceVersion?: string } | undefined)?.resourceVersion);
    const next = mergePatch(cur, patch) as KubeObject;
    return this.store(next, 'MODIFIED', cur);
  }

  async delete(ref: ObjectRef): Promise<void> {
    this.record('delete', { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } });
    const cur = this.objects.get(keyOf(ref));
    if (!cur) return;
    if ((cur.metadata.finalizers as string[] | undefined)?.length) {
      if (!cur.metadata.deletionTimestamp) this.store({ ...cur, metadata: { ...cur.metadata, deletionTimestamp: new Date().toISOString() } }, 'MODIFIED', cur);
      return;
    }
    this.objects.delete(keyOf(ref));
    this.emit('DELETED', cur);
  }

  /** Every stored object (for assertions). */
  all(): KubeObject[] {
    return [...this.objects.values()].map(clone);
  }

  private store(obj: KubeObject, type: WatchEvent['type'], prev?: KubeObject): KubeObject {
    const meta = obj.metadata;
    let generation = (meta.generation as number | undefined) ?? 1;
    if (prev && JSON.stringify(prev.spec) !== JSON.stringify(obj.spec)) generation = ((prev.metadata.generation as number) ?? 1) + 1;
    const stored = { ...obj, metadata: { ...meta, generation, resourceVersion: String(++this.rv), uid: (prev?.metadata.uid as string) ?? (meta.uid as string) ?? `uid-${this.rv}` } };
    // A deleted object whose last finalizer went away is gone.
    if (stored.metadata.deletionTimestamp && !(stored.metadata.finalizers as string[] | undefined)?.length) {
      this.objects.delete(keyOf(refOf(stored)));
      this.emit('DELETED', stored);
      return clone(stored);
    }
    this.objects.set(keyOf(refOf(stored)), stored);
    this.emit(type, stored);
    return clone(stored);
  }

  private emit(type: WatchEvent['type'], obj: KubeObject): void {
    for (const l of this.listeners) if (matches(obj, l.sel)) l.onEvent({ type, object: clone(obj) });
  }

  private mustGet(ref: ObjectRef): KubeObject {
    const cur = this.objects.get(keyOf(ref));
    if (!cur) throw new KubeApiError(`${ref.kind} ${ref.name} not found`, 404, 'NotFound');
    return cur;
  }

  private checkPrecondition(cur: KubeObject, rv: string | undefined): void {
    if (rv !== undefined && rv !== cur.metadata.resourceVersion) {
      throw new KubeApiError(`${cur.kind} ${cur.metadata.name}: the object has been modified`, 409, 'Conflict');
    }
  }

  private record(verb: string, obj: KubeObject): void {
    const line = `${verb} ${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    this.writes.push(line);
    for (const [prefix, err] of this.failOnce) {
      if (line.startsWith(prefix)) {
        this.failOnce.delete(prefix);
        throw err;
      }
    }
  }
}

function keyOf(ref: ObjectRef): string {
  return `${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;
}

function matches(o: KubeObject, sel: Selection): boolean {
  if (o.apiVersion !== sel.apiVersion || o.kind !== sel.kind) return false;
  if (sel.namespace && o.metadata.namespace !== sel.namespace) return false;
  if (!sel.labelSelector) return true;
  const labels = o.metadata.labels ?? {};
  return sel.labelSelector.split(',').every((kv) => {
    const [k, v] = kv.split('=');
    return labels[k!] === v;
  });
}

function stripMeta(obj: KubeObject): KubeObject {
  const { resourceVersion: _rv, ...meta } = obj.metadata;
  return { ...obj, metadata: meta as KubeObject['metadata'] };
}

function clone<T>(x: T): T {
  return structuredClone(x);
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Deep merge for apply: objects merge, everything else replaces. */
function merge(a: unknown, b: unknown): unknown {
  if (!isObj(a) || !isObj(b)) return clone(b);
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in a ? merge(a[k], v) : clone(v);
  return out;
}

/** RFC 7386 JSON merge patch: null deletes. */
function mergePatch(a: unknown, p: unknown): unknown {
  if (!isObj(p)) return clone(p);
  const out: Record<string, unknown> = isObj(a) ? { ...a } : {};
  for (const [k, v] of Object.entries(p)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
