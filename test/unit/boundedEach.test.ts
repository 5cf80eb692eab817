// forEachBounded: at most `limit` calls at once, the source read only as places free up, and nothing still running
// when it returns or throws (the scrub's and the repair's stop() rely on that).
import { describe, expect, it } from 'vitest';
import { forEachBounded } from '../../node/src/boundedEach.js';

/** A source that counts how far it has been read. */
function counted(n: number): { source: AsyncIterable<number>; read: () => number } {
  let read = 0;
  async function* gen(): AsyncGenerator<number> {
    for (let i = 0; i < n; i++) {
      await tick();
      read++;
      yield i;
    }
  }
  return { source: gen(), read: () => read };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('forEachBounded', () => {
  it('runs every item, never more than the limit at once, reading no further ahead than the places', async () => {
    const { source, read } = counted(50);
    let running = 0;
    let most = 0;
    let furthestAhead = 0;
    const done: number[] = [];
    await forEachBounded(source, 4, async (i) => {
      most = Math.max(most, ++running);
      furthestAhead = Math.max(furthestAhead, read() - done.length);
      for (let k = 0; k < 3 + (i % 3); k++) await tick(); // longer than a read of the source: the places fill
      done.push(i);
      running--;
    });
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(most).toBe(4);
    expect(furthestAhead).toBeLessThanOrEqual(4);
  });

  it('stops taking items when told to, and returns once the started ones are done', async () => {
    const { source, read } = counted(1000);
    let started = 0;
    let finished = 0;
    await forEachBounded(
      source,
      3,
      async () => {
        started++;
        await tick();
        finished++;
      },
      () => started >= 10,
    );
    expect(started).toBe(10);
    expect(finished).toBe(10);
    expect(read()).toBeLessThan(20);
  });

  it('throws the first failure only after every started call has settled', async () => {
    const { source } = counted(100);
    let running = 0;
    const failure = forEachBounded(source, 5, async (i) => {
      running++;
      try {
        for (let k = 0; k < 5; k++) await tick();
        if (i === 7) throw new Error('disk error');
      } finally {
        running--;
      }
    });
    await expect(failure).rejects.toThrow('disk error');
    expect(running).toBe(0);
  });
});
