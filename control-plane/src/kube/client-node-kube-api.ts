/**
 * `KubeApi` over @kubernetes/client-node: the real implementation, used by the operator process
 * and e2e. Not imported by unit tests (client-node 2.x cannot load on the Node 20 Vitest runs on).
 *
 * - generic CRUD and server-side apply through `KubernetesObjectApi` (it resolves resource paths
 *   by discovery);
 * - the status subresource through `CustomObjectsApi` with the apply-patch content type, as
 *   `KubernetesObjectApi` has no subresource calls;
 * - watches through client-node's `Watch`, which ends on any error and never retries: the
 *   restart/relist loop is ours (`watcher.ts`).
 */
import {
  ApiException,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { FIELD_MANAGER } from '../api-types.ts';
import type { KubeObject } from '../specs/common.ts';
import { KubeApiError, type KubeApi, type ListResult, type ObjectRef, type Selection, type WatchEvent, type WatchHandle } from './kube-api.ts';
import { collectionPath } from './resources.ts';

/**
 * Server closes each watch after this many seconds; client-node's Watch aborts a connection that
 * has been silent for 30 s, so a server-side end below that keeps quiet watches from erroring.
 */
const WATCH_TIMEOUT_SECONDS = 25;

/** Loads the KubeConfig: in a pod the ServiceAccount, else $KUBECONFIG / ~/.kube/config. */
export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  return kc;
}

/** The client-node backed KubeApi. */
export class ClientNodeKubeApi implements KubeApi {
  private readonly objects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;
  private readonly watcher: Watch;

  constructor(kc: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.watcher = new Watch(kc);
  }

  async get(ref: ObjectRef): Promise<KubeObject | null> {
    try {
      return (await this.objects.read(header(ref))) as unknown as KubeObject;
    } catch (err) {
      const e = toKubeError(err, `get ${describe(ref)}`);
      if (e.status === 404) return null;
      throw e;
    }
  }

  async list(sel: Selection): Promise<ListResult> {
    try {
      const res = await this.objects.list(sel.apiVersion, sel.kind, sel.namespace, undefined, undefined, undefined, undefined, sel.labelSelector);
      return { items: res.items as unknown as KubeObject[], resourceVersion: res.metadata?.resourceVersion ?? '' };
    } catch (err) {
      throw toKubeError(err, `list ${sel.kind}`);
    }
  }

  async watch(sel: Selection & { resourceVersion: string }, onEvent: (e: WatchEvent) => void): Promise<WatchHandle> {
    let settle!: (err?: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(toKubeError(err, `watch ${sel.kind}`)) : resolve());
    });
    const query = {
      resourceVersion: sel.resourceVersion,
      labelSelector: sel.labelSelector,
      allowWatchBookmarks: true,
      timeoutSeconds: WATCH_TIMEOUT_SECONDS,
    };
    const controller = await this.watcher.watch(
      collectionPath(sel),
      query,
      (type, obj) => {
        // An ERROR event carries a Status (410 Gone when the resourceVersion is too old).
        if (type === 'ERROR') settle(new KubeApiError(`watch ${sel.kind}: ${obj?.message ?? 'error event'}`, obj?.code ?? 500, obj?.reason));
        else onEvent({ type: type as WatchEvent['type'], object: obj as KubeObject });
      },
      (err) => settle(err ?? undefined),
    );
    return { done, abort: () => controller.abort() };
  }

  async apply(obj: KubeObject): Promise<KubeObject> {
    try {
      const body = { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined, managedFields: undefined } } as unknown as KubernetesObject;
      return (await this.objects.patch(body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply)) as unknown as KubeObject;
    } catch (err) {
      throw toKubeError(err, `apply ${describe(obj)}`);
    }
  }

  async applyStatus(obj: KubeObject): Promise<KubeObject> {
    const [group, version] = obj.apiVersion.split('/') as [string, string];
    try {
      return (await this.custom.patchNamespacedCustomObjectStatus(
        {
          group,
          version,
          namespace: obj.metadata.namespace!,
          plural: collectionPath(obj).split('/').at(-1)!,
          name: obj.metadata.name,
          body: { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace }, status: obj.status },
          fieldManager: FIELD_MANAGER,
          force: true,
        },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      )) as KubeObject;
    } catch (err) {
      throw toKubeError(err, `apply status of ${describe(obj)}`);
    }
  }

  async create(obj: KubeObject): Promise<KubeObject> {
    try {
      return (await this.objects.create(obj as unknown as KubernetesObject, undefined, undefined, FIELD_MANAGER)) as unknown as KubeObject;
    } catch (err) {
      throw toKubeError(err, `create ${describe(obj)}`);
    }
  }

  async replace(obj: KubeObject): Promise<KubeObject> {
    try {
      return (await this.objects.replace(obj as unknown as KubernetesObject, undefined, undefined, FIELD_MANAGER)) as unknown as KubeObject;
    } catch (err) {
      throw toKubeError(err, `replace ${describe(obj)}`);
    }
  }

  async mergePatch(ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject> {
    const meta = (patch.metadata ?? {}) as Record<string, unknown>;
    const body = { ...patch, apiVersion: ref.apiVersion, kind: ref.kind, metadata: { ...meta, name: ref.name, namespace: ref.namespace } };
    try {
      return (await this.objects.patch(body as KubernetesObject, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch)) as unknown as KubeObject;
    } catch (err) {
      throw toKubeError(err, `patch ${describe(ref)}`);
    }
  }

  async delete(ref: ObjectRef): Promise<void> {
    try {
      await this.objects.delete(header(ref) as KubernetesObject, undefined, undefined, undefined, undefined, 'Background');
    } catch (err) {
      const e = toKubeError(err, `delete ${describe(ref)}`);
      if (e.status !== 404) throw e;
    }
  }
}

function header(ref: ObjectRef): { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } {
  return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } };
}

function describe(ref: ObjectRef | KubeObject): string {
  const name = 'metadata' in ref ? ref.metadata.name : ref.name;
  const ns = 'metadata' in ref ? ref.metadata.namespace : ref.namespace;
  return `${ref.kind} ${ns ? `${ns}/` : ''}${name}`;
}

/** Maps client-node's ApiException (and network errors) to KubeApiError with the status. */
function toKubeError(err: unknown, what: string): KubeApiError {
  if (err instanceof KubeApiError) return err;
  if (err instanceof ApiException) {
    const body = parseBody(err.body);
    return new KubeApiError(`${what}: ${err.code} ${body?.message ?? err.message}`, err.code, body?.reason, { cause: err });
  }
  const code = (err as { code?: unknown })?.code;
  const status = typeof code === 'number' ? code : 0; // 0 = no HTTP answer (network, TLS, timeout)
  return new KubeApiError(`${what}: ${(err as Error)?.message ?? String(err)}`, status, undefined, { cause: err });
}

function parseBody(body: unknown): { message?: string; reason?: string } | undefined {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body);
    } catch {
      return { message: body };
    }
  }
  return body as { message?: string; reason?: string } | undefined;
}
