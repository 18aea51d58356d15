/**
 * Re-routing after a peer refused a request as routed by an older ring (STALE_RING, 409): the
 * coordinator fetches the peer's newer ring, applies it, and routes the whole request again. The
 * client never sees the refusal unless the ring cannot be brought up to date.
 */
import { OverloadError } from '../../errors.ts';
import type { ClusterCounters } from './cluster-counters.ts';

/** Routings of one request before it fails (the first plus re-routes after a ring fetch). */
const MAX_ROUTINGS = 3;

/** A peer refused part of a request: the coordinator's ring is older than the peer's. */
export class StaleRingRefusal extends Error {
  override name = 'StaleRingRefusal';
  constructor(
    readonly peer: string,
    readonly routedBy: number,
  ) {
    super(`${peer} has a newer ring than epoch ${routedBy}`);
  }
}

/**
 * Runs `route` (one routing of a request by the ring applied now); after a StaleRingRefusal,
 * brings the ring up to date from the refusing peer (`refreshRing`) and runs it again.
 * @throws OverloadError 503 when the request is still refused after MAX_ROUTINGS routings
 */
export async function routeWithFreshRing<T>(route: () => Promise<T>, refreshRing: (peer: string) => Promise<void>, counters: ClusterCounters): Promise<T> {
  for (let routing = 1; ; routing++) {
    try {
      return await route();
    } catch (err) {
      if (!(err instanceof StaleRingRefusal)) throw err;
      if (routing >= MAX_ROUTINGS) {
        throw new OverloadError(`cluster: this node routes by ring epoch ${err.routedBy}, older than ${err.peer}'s, and fetching the newer ring did not help after ${routing} attempts; retry`, 1, 503);
      }
      counters.staleRingReroutes++;
      // A failed fetch is not fatal: the next routing is refused again and counted.
      await refreshRing(err.peer).catch(() => {});
    }
  }
}
