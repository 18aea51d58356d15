/**
 * An in-process PeerTransport for unit tests: calls go straight to other ClusterNodes' local
 * engines (as the internal routes do), and any node can be marked unreachable.
 */
import type { CandleQuery, CandleResult, RangeQuery } from '../../engine-api.ts';
import { decodePeerRecord } from '../../ingest/ingest-task.ts';
import type { SeriesData } from '../../model.ts';
import type { ClusterNode } from './cluster-node.ts';
import { CATCHING_UP, PeerError, STALE_RING, type HintReport, type PeerReadOptions, type PeerTransport, type PeerWriteOptions, type PingReply } from './peer-transport.ts';
import type { RingDoc, RingMember } from './ring-doc.ts';

/** Shared by every node of one test cluster. */
export class InProcessTransport implements PeerTransport {
  readonly nodes = new Map<string, ClusterNode>();
  readonly down = new Set<string>();
  /** internal writes received, per node */
  readonly writes = new Map<string, number>();
  /** nodes that answer pings as a node from before version-2 WAL records (and refuse them) */
  readonly withoutWalRecordV2 = new Set<string>();
  /** the WAL record version (byte 0) of each internal write received, per node */
  readonly recordVersions = new Map<string, number[]>();
  /** while set, internal writes wait for it before they are delivered (writes "on the wire") */
  hold: Promise<void> | null = null;

  private target(peer: RingMember): ClusterNode {
    const n = this.nodes.get(peer.id);
    if (!n || this.down.has(peer.id)) throw new PeerError(`${peer.id} unreachable: connection refused`, 'unreachable');
    return n;
  }

  /** As the internal routes: a request routed by an older ring than the node's is refused. */
  private fence(n: ClusterNode, epoch: number | undefined): void {
    if (epoch !== undefined && epoch < (n.view?.epoch ?? 0)) throw new PeerError(`${n.self} answered 409: stale ring`, 'rejected', 409, { code: STALE_RING });
  }

  async write(peer: RingMember, record: Uint8Array, o: PeerWriteOptions = {}): Promise<void> {
    const n = this.target(peer);
    if (this.hold) await this.hold;
    if (record[0] === 2 && this.withoutWalRecordV2.has(peer.id)) throw new PeerError(`${peer.id} answered 400: unsupported WAL record version 2`, 'rejected', 400);
    this.fence(n, o.epoch);
    await n.beforeRoutedWrite(o.epoch ?? o.hintEpoch);
    await n.storePeerWrite({ batch: decodePeerRecord(record) }, o.hintEpoch);
    this.writes.set(peer.id, (this.writes.get(peer.id) ?? 0) + 1);
    this.recordVersions.set(peer.id, [...(this.recordVersions.get(peer.id) ?? []), record[0]!]);
  }

  /** As the internal read route: a node behind refuses when asked to. */
  private reader(peer: RingMember, o: PeerReadOptions): ClusterNode {
    const n = this.target(peer);
    this.fence(n, o.epoch);
    if (o.refuseIfBehind && !n.ready) throw new PeerError(`${peer.id} answered 503: catching up`, 'failed', 503, { code: CATCHING_UP });
    return n;
  }

  async readRange(peer: RingMember, q: RangeQuery, o: PeerReadOptions): Promise<SeriesData> {
    return this.reader(peer, o).engine.readRange(q);
  }

  async candles(peer: RingMember, q: CandleQuery, o: PeerReadOptions): Promise<CandleResult> {
    return this.reader(peer, o).engine.candles(q);
  }

  async latest(peer: RingMember, symbols: string[], o: PeerReadOptions): Promise<(SeriesData | null)[]> {
    return this.reader(peer, o).engine.latest(symbols);
  }

  async symbols(peer: RingMember, prefix: string): Promise<string[]> {
    return this.target(peer).engine.symbols(prefix);
  }

  async hints(peer: RingMember, target: string): Promise<HintReport> {
    return this.target(peer).hintReport(target);
  }

  async ring(peer: RingMember): Promise<RingDoc | null> {
    return this.target(peer).ringDoc;
  }

  async ping(peer: RingMember): Promise<PingReply> {
    const n = this.target(peer);
    return { node: n.self, epoch: n.view?.epoch ?? 0, ready: n.ready, walRecordV2: !this.withoutWalRecordV2.has(peer.id) };
  }
}
