// Per-name mutual exclusion inside one process: a FIFO queue per name, removed when idle (bounded by the number of
// names being written at once). Across processes the commit's compare-and-set keeps versions gap-free; this lock
// only stops writers on one node from retrying against each other.
import type { Metrics } from '../metrics.js';
import type { AcquireOptions, Held, WriteLock } from './types.js';

export class LocalLock implements WriteLock {
  readonly mode = 'local';
  private readonly queues = new Map<string, Array<() => void>>();

  constructor(private readonly metrics: Metrics) {}

  async acquire(name: string, _opts?: AcquireOptions): Promise<Held> {
    this.metrics.lockAcquisitions.inc({ mode: this.mode });
    const queue = this.queues.get(name);
    if (queue === undefined) {
      this.queues.set(name, []);
      this.metrics.lockWaitSeconds.observe({ mode: this.mode }, 0);
      return this.held(name);
    }
    this.metrics.lockContended.inc({ mode: this.mode });
    const stop = this.metrics.lockWaitSeconds.startTimer({ mode: this.mode });
    await new Promise<void>((resolve) => queue.push(resolve));
    stop();
    return this.held(name);
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
