/**
 * The placement store: one ConfigMap per cluster (`NAME-placement`) holding the ring document
 * (data-plane/docs/cluster-api.md: placement + pending moves + member addresses) and the
 * operator's rebalance intent, written only with the read resourceVersion as a precondition
 * (compare-and-set). Status is a report; this is the record a restarted operator resumes from:
 * `pending` in the ring document IS the persisted current step (the data plane's
 * RebalanceDriver redoes a pending step idempotently).
 *
 * Implements the data plane's `RingStore` interface, so its `RebalanceDriver` drives handoff
 * against this store exactly as it does against Consul KV.
 *
 * Keys: `ring.json` (`ringDocToJson`) and `intent.json` (`RebalanceIntent`, absent when settled).
 */
import { parseRingDoc, ringDocToJson, type RingDoc } from '../../data-plane/src/cluster/node/ring-doc.ts';
import type { RingStore } from '../../data-plane/src/cluster/rebalance/rebalance-driver.ts';
import type { StockTsdbCluster } from './api-types.ts';
import { isConflict, type KubeApi } from './kube/kube-api.ts';
import { names, ownedMeta, type KubeObject } from './specs/common.ts';

/** Version of `intent.json`; bump when its shape changes. */
export const INTENT_FORMAT = 1;

/** What the operator drives towards, persisted before it acts (progress survives restarts). */
export interface RebalanceIntent {
  /** Members wanted (pod names), sorted. */
  targetNodes: string[];
  /** Epoch the rebalance started from, and its planned replica moves. */
  fromEpoch: number;
  vnodesTotal: number;
  startedAt: string;
}

/** A read of the store; `version` is the ConfigMap's resourceVersion (null: no store yet). */
export interface StoreState {
  doc: RingDoc | null;
  intent: RebalanceIntent | null;
  version: string | null;
}

/** Thrown when the stored document cannot be read (it is never overwritten automatically). */
export class PlacementStoreCorruption extends Error {
  override name = 'PlacementStoreCorruption';
}

/** CAS'd access to one cluster's placement ConfigMap. */
export class ConfigMapRingStore implements RingStore {
  /** resourceVersions handed out as RingStore's numeric versions (they are opaque strings). */
  private readonly versions = new Map<number, string>();
  private seq = 0;

  constructor(
    private readonly api: KubeApi,
    private readonly cluster: StockTsdbCluster,
  ) {}

  /** Reads ring and intent. Throws PlacementStoreCorruption for an unreadable document. */
  async readState(): Promise<StoreState> {
    const cm = await this.api.get(this.ref());
    if (!cm) return { doc: null, intent: null, version: null };
    const data = (cm.data ?? {}) as Record<string, string>;
    try {
      const doc = data['ring.json'] ? parseRingDoc(JSON.parse(data['ring.json'])) : null;
      const intent = data['intent.json'] ? decodeIntent(data['intent.json']) : null;
      return { doc, intent, version: cm.metadata.resourceVersion ?? null };
    } catch (cause) {
      throw new PlacementStoreCorruption(`placement store ${this.ref().namespace}/${this.ref().name}: ${(cause as Error).message}`, { cause });
    }
  }

  /**
   * Writes ring and intent if the store is still at `prevVersion` (null = create). Throws
   * KubeApiError 409 when someone else wrote first: re-read and decide again.
   */
  async writeState(prevVersion: string | null, next: { doc: RingDoc | null; intent: RebalanceIntent | null }): Promise<StoreState> {
    const data: Record<string, string> = {};
    if (next.doc) data['ring.json'] = JSON.stringify(ringDocToJson(next.doc));
    if (next.intent) data['intent.json'] = JSON.stringify({ format: INTENT_FORMAT, ...next.intent });
    const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: ownedMeta(this.cluster, this.ref().name), data };
    const saved = prevVersion === null ? await this.api.create(obj) : await this.api.replace({ ...obj, metadata: { ...obj.metadata, resourceVersion: prevVersion } });
    return { ...next, version: saved.metadata.resourceVersion ?? null };
  }

  /** RingStore.read: the ring document with a version token for `cas`. */
  async read(): Promise<{ doc: RingDoc; version: number } | null> {
    const s = await this.readState();
    if (!s.doc || s.version === null) return null;
    return { doc: s.doc, version: this.token(s.version) };
  }

  /** RingStore.cas: stores `next` if the store is unchanged since the read that gave `expected`; keeps the intent. */
  async cas(next: RingDoc, expected: number | null): Promise<boolean> {
    try {
      if (expected === null) {
        await this.writeState(null, { doc: next, intent: null });
        return true;
      }
      const rv = this.versions.get(expected);
      if (rv === undefined) return false;
      const cur = await this.readState();
      if (cur.version !== rv) return false;
      await this.writeState(rv, { doc: next, intent: cur.intent });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  private token(rv: string): number {
    const n = ++this.seq;
    this.versions.set(n, rv);
    if (this.versions.size > 64) this.versions.delete(n - 64); // only recent reads are ever CAS'd
    return n;
  }

  private ref() {
    return { apiVersion: 'v1', kind: 'ConfigMap', namespace: this.cluster.metadata.namespace, name: names.placement(this.cluster.metadata.name) };
  }
}

function decodeIntent(text: string): RebalanceIntent {
  const doc = JSON.parse(text) as RebalanceIntent & { format: number };
  if (doc.format !== INTENT_FORMAT) throw new Error(`intent: format ${JSON.stringify(doc.format)} is not ${INTENT_FORMAT}`);
  if (!Array.isArray(doc.targetNodes)) throw new Error('intent: targetNodes missing');
  return { targetNodes: doc.targetNodes, fromEpoch: doc.fromEpoch ?? 0, vnodesTotal: doc.vnodesTotal ?? 0, startedAt: doc.startedAt ?? '' };
}
