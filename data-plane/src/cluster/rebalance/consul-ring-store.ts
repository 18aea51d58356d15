import type { ConsulClient } from '../consul-client.ts';
import { parseRingDoc, ringDocToJson, type RingDoc } from '../node/ring-doc.ts';
import type { RingStore } from './rebalance-driver.ts';

/**
 * The ring document in Consul KV (`stock-tsdb/<cluster>/ring`), written with check-and-set on its
 * ModifyIndex so that two drivers never apply conflicting placements.
 */
export class ConsulRingStore implements RingStore {
  constructor(private readonly consul: ConsulClient, readonly key: string) {}

  async read(): Promise<{ doc: RingDoc; version: number } | null> {
    const { value } = await this.consul.kvGet(this.key);
    if (!value || !value.value) return null;
    return { doc: parseRingDoc(JSON.parse(value.value)), version: value.modifyIndex };
  }

  async cas(next: RingDoc, expected: number | null): Promise<boolean> {
    return this.consul.kvCas(this.key, JSON.stringify(ringDocToJson(next)), expected ?? 0);
  }

  /**
   * Blocks until the stored document changes after `index` (or `waitSec` passes); for watchers.
   * `signal` ends the wait early (a stopping node must not wait out the blocking query).
   */
  async watch(index: number, waitSec = 30, signal?: AbortSignal): Promise<{ doc: RingDoc | null; index: number }> {
    const r = await this.consul.kvGet(this.key, { index, wait: `${waitSec}s`, signal });
    return { doc: r.value?.value ? parseRingDoc(JSON.parse(r.value.value)) : null, index: r.index };
  }
}
