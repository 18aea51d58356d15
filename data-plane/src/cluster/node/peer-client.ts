/**
 * HttpPeerClient: the internal API over HTTP (cluster-api.md), with the cluster token and a
 * timeout per call. Connections are kept alive and reused by the runtime's fetch (Bun and Node
 * both pool per origin), so a coordinator pays one TCP handshake per peer, not per write.
 */
import type { CandleQuery, CandleResult, RangeQuery } from '../../engine-api.ts';
import type { SeriesData } from '../../model.ts';
import { CLUSTER_TOKEN_HEADER } from './cluster-token.ts';
import { HINT_EPOCH_HEADER, PeerError, RING_EPOCH_HEADER, type HintReport, type PeerReadOptions, type PeerTransport, type PeerWriteOptions, type PingReply } from './peer-transport.ts';
import { parseRingDoc, type RingDoc, type RingMember } from './ring-doc.ts';
import { candlesFromWire, seriesFromWire, type ReadRequest } from './wire-codec.ts';

/** Per-call timeouts in ms. */
export interface PeerTimeouts {
  /** writes and hint replays (a peer fsyncs before answering) */
  write: number;
  read: number;
  /** ping and hints: cheap calls, a slow answer means trouble */
  control: number;
}

/** Defaults: generous for data (2 shared cores can stall a busy peer for a while), tight for pings. */
export const DEFAULT_PEER_TIMEOUTS: PeerTimeouts = Object.freeze({ write: 10_000, read: 15_000, control: 2_000 });

/** The real transport. Stateless apart from its options; safe to share. */
export class HttpPeerClient implements PeerTransport {
  private readonly headers: Record<string, string>;

  constructor(
    token: string,
    private readonly timeouts: PeerTimeouts = DEFAULT_PEER_TIMEOUTS,
  ) {
    this.headers = token ? { [CLUSTER_TOKEN_HEADER]: token } : {};
  }

  async write(peer: RingMember, record: Uint8Array, o: PeerWriteOptions = {}): Promise<void> {
    const headers: Record<string, string> = { ...this.headers, 'Content-Type': 'application/octet-stream' };
    if (o.epoch !== undefined) headers[RING_EPOCH_HEADER] = String(o.epoch);
    if (o.hintEpoch !== undefined) headers[HINT_EPOCH_HEADER] = String(o.hintEpoch);
    await this.call(peer, '/internal/v1/write', this.timeouts.write, { method: 'POST', body: record, headers });
  }

  async readRange(peer: RingMember, q: RangeQuery, o: PeerReadOptions): Promise<SeriesData> {
    return seriesFromWire(await this.read(peer, { op: 'range', query: q, refuse_if_behind: o.refuseIfBehind, epoch: o.epoch }));
  }

  async candles(peer: RingMember, q: CandleQuery, o: PeerReadOptions): Promise<CandleResult> {
    return candlesFromWire(await this.read(peer, { op: 'candles', query: q, refuse_if_behind: o.refuseIfBehind, epoch: o.epoch }));
  }

  async latest(peer: RingMember, symbols: string[], o: PeerReadOptions): Promise<(SeriesData | null)[]> {
    const data = await this.read(peer, { op: 'latest', query: { symbols }, refuse_if_behind: o.refuseIfBehind, epoch: o.epoch });
    if (!Array.isArray(data) || data.length !== symbols.length) throw new PeerError(`${peer.id}: latest answered ${Array.isArray(data) ? data.length : 'no'} results for ${symbols.length} symbols`, 'failed');
    return data.map((d) => (d === null ? null : seriesFromWire(d)));
  }

  async symbols(peer: RingMember, prefix: string): Promise<string[]> {
    const r = await this.json(peer, `/internal/v1/symbols?prefix=${encodeURIComponent(prefix)}`, this.timeouts.read);
    return (r as { symbols: string[] }).symbols;
  }

  async hints(peer: RingMember, target: string): Promise<HintReport> {
    const r = (await this.json(peer, `/internal/v1/hints?target=${encodeURIComponent(target)}`, this.timeouts.control)) as { pending: number; target_up: boolean };
    return { pending: r.pending, targetUp: r.target_up };
  }

  async ping(peer: RingMember): Promise<PingReply> {
    const r = (await this.json(peer, '/internal/v1/ping', this.timeouts.control)) as { node: string; epoch: number; ready: boolean; wal_record_versions?: unknown };
    const versions = Array.isArray(r.wal_record_versions) ? r.wal_record_versions : [1];
    return { node: r.node, epoch: r.epoch, ready: r.ready !== false, walRecordV2: versions.includes(2) };
  }

  async ring(peer: RingMember): Promise<RingDoc | null> {
    const r = (await this.json(peer, '/internal/v1/ring', this.timeouts.control)) as { ring: unknown };
    try {
      return r.ring === null ? null : parseRingDoc(r.ring);
    } catch (cause) {
      throw new PeerError(`${peer.id}: /internal/v1/ring: ${(cause as Error).message}`, 'failed', 200, { cause });
    }
  }

  private async read(peer: RingMember, req: ReadRequest): Promise<unknown> {
    const r = (await this.json(peer, '/internal/v1/read', this.timeouts.read, {
      method: 'POST',
      body: JSON.stringify(req),
      headers: { ...this.headers, 'Content-Type': 'application/json' },
    })) as { data: unknown };
    return r.data;
  }

  private async json(peer: RingMember, path: string, timeoutMs: number, init: RequestInit = { headers: this.headers }): Promise<unknown> {
    const res = await this.call(peer, path, timeoutMs, init);
    try {
      return await res.json();
    } catch (cause) {
      throw new PeerError(`${peer.id}: ${path}: answer is not JSON`, 'failed', res.status, { cause });
    }
  }

  private async call(peer: RingMember, path: string, timeoutMs: number, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`http://${peer.address}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (cause) {
      const why = (cause as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause as Error).message;
      throw new PeerError(`${peer.id} (${peer.address}) unreachable: ${why}`, 'unreachable', 0, { cause });
    }
    if (res.ok) return res;
    const { code, message } = await errorOf(res);
    throw new PeerError(`${peer.id} answered ${res.status}: ${message}`, res.status >= 500 ? 'failed' : 'rejected', res.status, { code });
  }
}

/** Code and message of our JSON error body, or the start of whatever came back. */
async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const text = await res.text().catch(() => '');
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    if (e?.message) return { code: e.code ?? '', message: e.message };
  } catch {
    // not our JSON error body
  }
  return { code: '', message: text.slice(0, 200) || res.statusText };
}
