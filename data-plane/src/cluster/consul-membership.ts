/**
 * MembershipSource over Consul: each node registers service `stock-tsdb` (id = node id) with an
 * HTTP check on its `/health`; members come from a blocking watch of the service's health; the
 * placement document lives at KV `stock-tsdb/<cluster>/placement`, written only with
 * check-and-set so two nodes never both apply conflicting placements.
 *
 * Concurrency: one watch loop per kind (members, placement), started by the first subscriber and
 * shared; listeners are called from that loop, never concurrently with each other.
 */
import { CorruptionError } from '../errors.ts';
import { type BlockingWatch, type BlockingWatchOptions, startBlockingWatch } from './blocking-watch.ts';
import { ConsulClient, type ConsulClientOptions, type ServiceInstance } from './consul-client.ts';
import type { Member, MembershipSource, SelfRegistration, VersionedPlacement } from './membership.ts';
import { decodePlacement, encodePlacement, type Placement } from './placement.ts';
import { Topic } from './topic.ts';

/** Consul service name every node registers (the original quick start's `curl …/health/service/stock-tsdb`). */
export const SERVICE_NAME = 'stock-tsdb';

/** Options of `ConsulMembership`. */
export interface ConsulMembershipOptions {
  /** A client, or options to make one. */
  consul: ConsulClient | ConsulClientOptions;
  /** Cluster name: isolates the KV documents of clusters sharing one Consul ([A-Za-z0-9._-]+). */
  cluster: string;
  /** Service name (default `stock-tsdb`). */
  service?: string;
  /** Health check interval, Consul duration (default "10s"; config `health_check_interval`). */
  checkInterval?: string;
  /** Health check timeout (default "5s"). */
  checkTimeout?: string;
  /** Consul drops a node critical this long (default "72h": leaving is decided by an operator). */
  deregisterCriticalAfter?: string;
  /** Watch loop tuning; `onError` also receives corrupt placement documents seen by the watch. */
  watch?: BlockingWatchOptions;
}

/** Consul-backed membership and placement storage. */
export class ConsulMembership implements MembershipSource {
  /** KV key of the placement document. */
  readonly placementKey: string;
  private readonly client: ConsulClient;
  private readonly service: string;
  private readonly members$: Topic<Member[]>;
  private readonly placement$: Topic<VersionedPlacement | null>;
  private readonly watches: BlockingWatch[] = [];
  private closed = false;

  constructor(private readonly opts: ConsulMembershipOptions) {
    if (!/^[A-Za-z0-9._-]+$/.test(opts.cluster)) throw new Error(`consul membership: bad cluster name "${opts.cluster}"`);
    this.client = opts.consul instanceof ConsulClient ? opts.consul : new ConsulClient(opts.consul);
    this.service = opts.service ?? SERVICE_NAME;
    this.placementKey = `stock-tsdb/${opts.cluster}/placement`;
    const report = (err: unknown) => opts.watch?.onError?.(err, 0);
    this.members$ = new Topic((a, b) => JSON.stringify(a) === JSON.stringify(b), report);
    this.placement$ = new Topic((a, b) => (a?.version ?? 0) === (b?.version ?? 0), report);
  }

  async register(self: SelfRegistration): Promise<void> {
    await this.client.registerService({
      name: this.service,
      id: self.id,
      address: self.address,
      port: self.port,
      meta: self.meta,
      check: {
        url: self.healthUrl,
        interval: this.opts.checkInterval ?? '10s',
        timeout: this.opts.checkTimeout ?? '5s',
        deregisterCriticalAfter: this.opts.deregisterCriticalAfter ?? '72h',
      },
    });
  }

  async deregister(id: string): Promise<void> {
    await this.client.deregisterService(id);
  }

  async members(): Promise<Member[]> {
    return (await this.client.serviceHealth(this.service)).value.map(toMember);
  }

  onMembersChanged(listener: (members: Member[]) => void): () => void {
    this.ensureWatch(this.members$, () =>
      startBlockingWatch(
        (o) => this.client.serviceHealth(this.service, o),
        (instances) => this.members$.publish(instances.map(toMember)),
        this.opts.watch,
      ),
    );
    return this.members$.subscribe(listener);
  }

  async getPlacement(): Promise<VersionedPlacement | null> {
    const { value } = await this.client.kvGet(this.placementKey);
    return value ? this.decode(value.value, value.modifyIndex) : null;
  }

  async casPlacement(next: Placement, expectedVersion: number | null): Promise<boolean> {
    // cas=0 is Consul's "create only if absent".
    return this.client.kvCas(this.placementKey, encodePlacement(next), expectedVersion ?? 0);
  }

  onPlacementChanged(listener: (placement: VersionedPlacement | null) => void): () => void {
    this.ensureWatch(this.placement$, () =>
      startBlockingWatch(
        (o) => this.client.kvGet(this.placementKey, o),
        (entry) => {
          // A corrupt document is reported (it throws into the watch's onError), never applied.
          this.placement$.publish(entry ? this.decode(entry.value, entry.modifyIndex) : null);
        },
        this.opts.watch,
      ),
    );
    return this.placement$.subscribe(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.watches.splice(0).map((w) => w.stop()));
  }

  private ensureWatch(topic: { started: boolean }, start: () => BlockingWatch): void {
    if (this.closed) throw new Error('consul membership: closed');
    if (topic.started) return;
    topic.started = true;
    this.watches.push(start());
  }

  private decode(text: string, version: number): VersionedPlacement {
    try {
      return { placement: decodePlacement(text), version };
    } catch (cause) {
      throw new CorruptionError(`placement document: ${(cause as Error).message}`, this.placementKey, { cause });
    }
  }
}

function toMember(i: ServiceInstance): Member {
  return { id: i.id, address: i.address, port: i.port, healthy: i.status === 'passing', meta: i.meta };
}
