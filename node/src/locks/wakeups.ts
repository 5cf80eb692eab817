// Waiters for a lease, woken when its holder releases it. A release anywhere in the cluster is published on
// LOCK_RELEASED_CHANNEL; without it a waiter only learns at its next poll (backoff up to 50-100 ms), which was most of
// the contended acquire time measured by `npm run bench` (p99 38-145 ms). Polling stays as the fallback: a lease
// that expires publishes nothing, and a message can be missed while the subscription reconnects.
export class Wakeups {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Resolves when `name` is released, or after `ms`, whichever is first. */
  wait(name: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiting.get(name);
      if (set === undefined) {
        set = new Set();
        this.waiting.set(name, set);
      }
      const wake = (): void => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.waiting.get(name) === set) this.waiting.delete(name);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
    });
  }

  released(name: string): void {
    for (const wake of [...(this.waiting.get(name) ?? [])]) wake();
  }

  /** Names with someone waiting (bounded by the requests in flight). */
  get size(): number {
    return this.waiting.size;
  }
}
