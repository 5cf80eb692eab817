// A pass over a long walk (every local blob, every batch of them) with a few items in flight at once, reading the
// walk only as places free up: memory stays a few items whatever the store's size.
//
// Hand-written (15 lines): p-map's pMapIterable (7.1) reads lazily with a bound too, but when one mapper fails it
// leaves the others running unobserved, and the scrub's and the repair's stop() must know nothing still reads the
// store once they return; p-limit queues every item it is given (the whole walk).

/**
 * Runs `fn` on each item of `source`, at most `limit` at once. Stops taking items when `stop()` says so or one
 * fails; either way it returns (or throws the first failure) only once every started call has settled.
 */
export async function forEachBounded<T>(source: AsyncIterable<T>, limit: number, fn: (item: T) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  const running = new Set<Promise<void>>();
  try {
    for await (const item of source) {
      if (stop()) break;
      const p: Promise<void> = fn(item).finally(() => running.delete(p));
      running.add(p);
      if (running.size >= limit) await Promise.race(running);
    }
    await Promise.all(running);
  } finally {
    await Promise.allSettled(running);
  }
}
