// Per-name mutual exclusion inside one process: a FIFO queue per name, removed when idle (bounded by the number of
// names being written at once). As LOCK_MODE=local it is the whole lock (the commit's compare-and-set keeps versions
// gap-free across nodes); the other modes put it in front of theirs so one writer per node per name takes part.
import type { Metrics } from '../metrics.js';
import type { AcquireOptions, Held, WriteLock } from './types.js';

export class LocalLock implements WriteLock {
  readonly mode = 'local';
  private readonly queues = new Map<string, Array<() => void>>();

  constructor(private readonly metrics: Metrics) {}

  /** LOCK_MODE=local: the queue, with its metrics. */
  async acquire(name: string, _opts?: AcquireOptions): Promise<Held> {
    this.metrics.lockAcquisitions.inc({ mode: this.mode });
    const stop = this.metrics.lockWaitSeconds.startTimer({ mode: this.mode });
    const { held, waited } = await this.enqueue(name);
    stop();
    if (waited) this.metrics.lockContended.inc({ mode: this.mode });
    return held;
  }

  /** The queue alone (no metrics: the calling lock counts in its own mode); `waited` when another was ahead. */
  async enqueue(name: string): Promise<{ held: Held; waited: boolean }> {
    const queue = this.queues.get(name);
    if (queue === undefined) {
      this.queues.set(name, []);
      return { held: this.held(name), waited: false };
    }
    await new Promise<void>((resolve) => queue.push(resolve));
    return { held: this.held(name), waited: true };
  }

  private held(name: string): Held {
    let released = false;
    return {
      fence: 0,
      release: () => {
        if (released) return;
        released = true;
        const queue = this.queues.get(name);
        const next = queue?.shift();
        if (next) next();
        else this.queues.delete(name);
      },
    };
  }
}
