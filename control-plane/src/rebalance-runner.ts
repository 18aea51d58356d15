/**
 * Runs the data plane's `RebalanceDriver` for a cluster in the background, one run at a time per
 * cluster, and lets the reconciler steer it. A driver run copies vnodes for many seconds; the
 * level-triggered reconcile must not block on it, so it only (re)starts runs and reads progress.
 *
 * A new target (replicas changed mid-rebalance) aborts the current run at its next step boundary
 * and starts one for the new target, whose first step cancels the moves no longer wanted (the
 * driver does that from the stored `pending`). State lives in the placement store, not here: a
 * restarted operator starts a fresh run that resumes the stored step.
 */
import { RebalanceDriver, type DriverOptions, type RingStore } from '../../data-plane/src/cluster/rebalance/rebalance-driver.ts';
import type { RingMember } from '../../data-plane/src/cluster/node/ring-doc.ts';
import type { DataPlaneAdmin } from './data-plane-admin.ts';

/** What the reconciler sees of a cluster's run. */
export interface RunInfo {
  /** Target member ids (sorted) of the current or last run. */
  target: string[];
  running: boolean;
  /** Error of the last run, if it failed (the next reconcile starts another). */
  error: string | null;
  bytesMoved: number;
}

interface Run {
  info: RunInfo;
  /** Consecutive failed runs and when the last one ended: retries back off. */
  failures: number;
  endedAt: number;
  abort: AbortController;
  done: Promise<void>;
  members: RingMember[];
}

/** Background rebalance runs, keyed by cluster. */
export class RebalanceRunners {
  private readonly runs = new Map<string, Run>();

  constructor(private readonly admin: DataPlaneAdmin, private readonly log?: (msg: string, extra?: Record<string, unknown>) => void) {}

  /**
   * Ensures a run towards `target` is going for `key`. Returns true when a new run was started.
   * A run for another target is aborted first (it stops at its next step boundary).
   */
  ensure(key: string, target: RingMember[], store: RingStore, opts: Omit<DriverOptions, 'log'>): boolean {
    const ids = target.map((m) => m.id).sort();
    const cur = this.runs.get(key);
    const same = cur !== undefined && sameMembers(cur.members, target);
    if (cur && cur.info.running && same) return false;
    // A failing run for the same target is retried after 1 s, 2 s, 4 s ... up to 60 s.
    if (cur && same && cur.info.error && Date.now() - cur.endedAt < Math.min(60_000, 1000 * 2 ** (cur.failures - 1))) return false;
    if (cur?.info.running) cur.abort.abort();
    const abort = new AbortController();
    const info: RunInfo = { target: ids, running: true, error: null, bytesMoved: 0 };
    const driver = new RebalanceDriver(store, this.admin, { ...opts, log: (msg, extra) => this.log?.(msg, { cluster: key, ...extra }) });
    const previous = cur?.done ?? Promise.resolve();
    const run: Run = { info, abort, done: Promise.resolve(), members: target, failures: same && cur?.info.error ? cur.failures : 0, endedAt: 0 };
    run.done = previous
      .then(() => driver.run(target, abort.signal))
      .then(
        () => void (info.error = null),
        (err) => void (info.error = abort.signal.aborted ? null : String((err as Error)?.message ?? err)),
      )
      .finally(() => {
        info.running = false;
        info.bytesMoved = driver.progress.bytesMoved;
        run.endedAt = Date.now();
        run.failures = info.error ? run.failures + 1 : 0;
      });
    const done = run.done;
    const timer = setInterval(() => (info.bytesMoved = driver.progress.bytesMoved), 1000);
    void done.finally(() => clearInterval(timer));
    this.runs.set(key, run);
    return true;
  }

  /** The run of `key`, if any. */
  get(key: string): RunInfo | undefined {
    return this.runs.get(key)?.info;
  }

  /** Aborts the run of `key` (cluster deleted or paused) and forgets it. */
  async stop(key: string): Promise<void> {
    const r = this.runs.get(key);
    if (!r) return;
    r.abort.abort();
    this.runs.delete(key);
    await r.done;
  }

  /**
   * Aborts every run (operator shutdown), waiting at most `waitMs` for them to reach a step
   * boundary: what is left is in the store, and the next leader resumes it.
   */
  async stopAll(waitMs = 5000): Promise<void> {
    const all = Promise.all([...this.runs.keys()].map((k) => this.stop(k)));
    await Promise.race([all, new Promise((r) => setTimeout(r, waitMs).unref?.())]);
  }
}

function sameMembers(a: RingMember[], b: RingMember[]): boolean {
  if (a.length !== b.length) return false;
  const byId = new Map(a.map((m) => [m.id, m.address]));
  return b.every((m) => byId.get(m.id) === m.address);
}
