// The work queue: keys, not events. A key queued many times runs once; one key never runs twice at once; a failed
// key comes back after exponential backoff; a result's requeueAfterMs brings it back later. stop() waits for the
// pass in flight (graceful shutdown).
import { Backoff } from './backoff.js';
import type { ReconcileResult } from './reconciler.js';

export type Worker = (key: string) => Promise<ReconcileResult>;

export interface QueueHooks {
  onError(key: string, err: unknown, retryInMs: number): void;
}

export class WorkQueue {
  private readonly dirty = new Set<string>();
  private readonly running = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly worker: Worker,
    private readonly hooks: QueueHooks,
    private readonly backoff = new Backoff(),
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    this.dirty.add(key);
    this.pump();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    const existing = this.timers.get(key);
    if (existing !== undefined) clearTimeout(existing);
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    t.unref();
    this.timers.set(key, t);
  }

  /** Stops taking work and resolves once every pass in flight has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.dirty.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  get size(): number {
    return this.dirty.size + this.running.size;
  }

  private pump(): void {
    for (const key of [...this.dirty]) {
      if (this.running.has(key)) continue; // picked up again when the running pass ends
      this.dirty.delete(key);
      this.running.add(key);
      const p = this.run(key).finally(() => {
        this.running.delete(key);
        this.inFlight.delete(p);
        if (this.dirty.has(key)) this.pump();
      });
      this.inFlight.add(p);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      const r = await this.worker(key);
      this.backoff.succeed(key);
      if (r.requeueAfterMs !== undefined) this.addAfter(key, r.requeueAfterMs);
    } catch (err) {
      const delay = this.backoff.fail(key);
      this.hooks.onError(key, err, delay);
      this.addAfter(key, delay);
    }
  }
}
