/**
 * A list-then-watch loop that never gives up: the piece the client-node informer lacks (it stops
 * on errors and does not relist; STYLE.md Operator).
 *
 * Loop: list (every current object is reported, so a restart or a missed event is repaired by
 * the next list: level-triggered) → watch from the list's resourceVersion → when the watch ends
 * cleanly, watch again from the last seen resourceVersion; on 410 Gone or any error, back off
 * and relist. Every `relistMs` the watch is ended on purpose and the loop relists anyway, which
 * bounds how long a silently broken connection can hide changes.
 *
 * The callback receives objects only, not event types: the reconciler must not branch on them.
 */
import type { KubeObject } from './specs/common.ts';
import type { KubeApi, Selection, WatchHandle } from './kube/kube-api.ts';

/** Options of {@link ResourceWatcher}. */
export interface WatcherOptions {
  /** Full relist period, ms (default 5 min). */
  relistMs?: number;
  /** First backoff after an error, ms (default 500); doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Called with every error (for logs); the loop goes on regardless. */
  onError?: (err: unknown) => void;
}

/** Watches one selection and reports every object it sees (listed, added, changed, deleted). */
export class ResourceWatcher {
  private stopped = false;
  private current: WatchHandle | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private firstList!: Promise<void>;
  private listed!: () => void;

  constructor(
    private readonly api: KubeApi,
    private readonly sel: Selection,
    private readonly onObject: (obj: KubeObject, deleted: boolean) => void,
    private readonly opts: WatcherOptions = {},
  ) {
    this.firstList = new Promise((r) => (this.listed = r));
  }

  /** Starts the loop; resolves once the first list has been delivered. */
  start(): Promise<void> {
    this.loop ??= this.run();
    return this.firstList;
  }

  /** Stops the loop and the open watch. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = this.opts.backoffMs ?? 500;
    while (!this.stopped) {
      try {
        const { items, resourceVersion } = await this.api.list(this.sel);
        for (const o of items) this.onObject(o, false);
        this.listed();
        backoff = this.opts.backoffMs ?? 500;
        await this.watchUntilRelist(resourceVersion);
      } catch (err) {
        if (this.stopped) break;
        this.opts.onError?.(err);
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.opts.maxBackoffMs ?? 30_000);
      }
    }
  }

  /** Watches (re-opening after clean ends) until the relist period is over; throws on errors. */
  private async watchUntilRelist(fromVersion: string): Promise<void> {
    const relistAt = Date.now() + (this.opts.relistMs ?? 300_000);
    let rv = fromVersion;
    while (!this.stopped && Date.now() < relistAt) {
      const handle = await this.api.watch({ ...this.sel, resourceVersion: rv }, (e) => {
        const newRv = e.object?.metadata?.resourceVersion;
        if (newRv) rv = newRv;
        if (e.type !== 'BOOKMARK') this.onObject(e.object, e.type === 'DELETED');
      });
      this.current = handle;
      if (this.stopped) handle.abort(); // stop() ran while the watch was being opened
      const timer = setTimeout(() => handle.abort(), Math.max(0, relistAt - Date.now()));
      try {
        await handle.done;
      } finally {
        clearTimeout(timer);
        this.current = null;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(() => {
        this.wake = null;
        r();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        r();
      };
    });
  }
}
