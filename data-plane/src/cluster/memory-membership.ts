/**
 * In-memory MembershipSource for unit tests of the cluster layer (coordinator, handoff) and the
 * model of a source fed from outside, as the Kubernetes operator will feed one through the admin
 * API. Several simulated nodes may share one instance, like nodes sharing one Consul.
 *
 * No health checking of its own: `setHealthy` plays the checker. Listeners are notified in a
 * microtask, like a watch loop would, never re-entrantly.
 */
import type { Member, MembershipSource, SelfRegistration, VersionedPlacement } from './membership.ts';
import { decodePlacement, encodePlacement, type Placement } from './placement.ts';
import { Topic } from './topic.ts';

/** MembershipSource held in process memory. */
export class MemoryMembership implements MembershipSource {
  private readonly registered = new Map<string, Member>();
  private doc: { text: string; version: number } | null = null;
  private version = 0;
  private readonly members$: Topic<Member[]>;
  private readonly placement$: Topic<VersionedPlacement | null>;
  private closed = false;
  private readonly report: (err: unknown) => void;

  /** `onError` receives listener errors (default: rethrown asynchronously, so tests see them). */
  constructor(onError: (err: unknown) => void = (err) => queueMicrotask(() => { throw err; })) {
    this.report = onError;
    this.members$ = new Topic((a, b) => JSON.stringify(a) === JSON.stringify(b), onError);
    this.placement$ = new Topic((a, b) => (a?.version ?? 0) === (b?.version ?? 0), onError);
    this.members$.publish([]);
    this.placement$.publish(null);
  }

  async register(self: SelfRegistration): Promise<void> {
    // New registrations start healthy: the memory source has no checker to wait for.
    const previous = this.registered.get(self.id);
    this.registered.set(self.id, {
      id: self.id,
      address: self.address,
      port: self.port,
      healthy: previous?.healthy ?? true,
      meta: { ...(self.meta ?? {}) },
    });
    this.notifyMembers();
  }

  async deregister(id: string): Promise<void> {
    if (this.registered.delete(id)) this.notifyMembers();
  }

  /** Test hook standing in for a health checker; throws for an unknown id. */
  setHealthy(id: string, healthy: boolean): void {
    const m = this.registered.get(id);
    if (!m) throw new Error(`memory membership: no member "${id}"`);
    this.registered.set(id, { ...m, healthy });
    this.notifyMembers();
  }

  async members(): Promise<Member[]> {
    return this.snapshot();
  }

  onMembersChanged(listener: (members: Member[]) => void): () => void {
    this.checkOpen();
    return this.members$.subscribe(listener);
  }

  async getPlacement(): Promise<VersionedPlacement | null> {
    return this.doc ? { placement: decodePlacement(this.doc.text), version: this.doc.version } : null;
  }

  async casPlacement(next: Placement, expectedVersion: number | null): Promise<boolean> {
    // Encoded like the Consul source stores it, so both validate and copy the same way.
    const text = encodePlacement(next);
    if ((this.doc?.version ?? null) !== expectedVersion) return false;
    this.doc = { text, version: ++this.version };
    const published = { placement: decodePlacement(text), version: this.doc.version };
    queueMicrotask(() => this.publish(this.placement$, published));
    return true;
  }

  onPlacementChanged(listener: (placement: VersionedPlacement | null) => void): () => void {
    this.checkOpen();
    return this.placement$.subscribe(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private snapshot(): Member[] {
    return [...this.registered.values()]
      .map((m) => ({ ...m, meta: { ...m.meta } }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private notifyMembers(): void {
    const snapshot = this.snapshot();
    queueMicrotask(() => this.publish(this.members$, snapshot));
  }

  private publish<T>(topic: Topic<T>, value: T): void {
    try {
      topic.publish(value);
    } catch (err) {
      this.report(err);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('memory membership: closed');
  }
}
