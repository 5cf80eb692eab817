// Lease waiters: woken by a release of their name (not of another), else at their own timeout; nothing is left behind.
import { describe, expect, it } from 'vitest';
import { Wakeups } from '../../node/src/locks/wakeups.js';

describe('lock release wake-ups', () => {
  it('a release wakes every waiter on that name and only them', async () => {
    const w = new Wakeups();
    let woken = 0;
    const a = w.wait('a', 60_000).then(() => woken++);
    const a2 = w.wait('a', 60_000).then(() => woken++);
    let otherWoke = false;
    const b = w.wait('b', 60_000).then(() => (otherWoke = true));
    expect(w.size).toBe(2);
    w.released('a');
    await Promise.all([a, a2]); // would time the test out if the release did not wake them
    expect(woken).toBe(2);
    await Promise.resolve();
    expect(otherWoke).toBe(false);
    expect(w.size).toBe(1);
    w.released('b');
    await b;
    expect(w.size).toBe(0);
  });

  it('without a release a waiter returns at its timeout, and leaves nothing behind', async () => {
    const w = new Wakeups();
    await w.wait('x', 5);
    expect(w.size).toBe(0);
    w.released('x'); // nobody waiting: nothing to do
    expect(w.size).toBe(0);
  });
});
