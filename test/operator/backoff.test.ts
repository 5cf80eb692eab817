// Reconcile backoff, pure: doubling from a base up to a cap, jitter that only shortens, failures counted per key.
import { describe, expect, test } from 'vitest';
import { Backoff, backoffDelayMs } from '../../operator/src/reconcile/backoff.js';

describe('backoff', () => {
  const opts = { baseMs: 1000, maxMs: 60_000, jitter: 0 };
  test('doubles from the base and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 6, 7, 100].map((n) => backoffDelayMs(n, opts))).toEqual([
      0, 1000, 2000, 4000, 8000, 32_000, 60_000, 60_000,
    ]);
  });
  test('jitter only shortens, by at most its share', () => {
    const j = { ...opts, jitter: 0.2 };
    expect(backoffDelayMs(3, j, () => 0)).toBe(4000);
    expect(backoffDelayMs(3, j, () => 1)).toBe(3200);
  });
  test('counts failures per key and forgets them on success', () => {
    const b = new Backoff(opts);
    expect([b.fail('a'), b.fail('a'), b.fail('b'), b.fail('a')]).toEqual([1000, 2000, 1000, 4000]);
    b.succeed('a');
    expect(b.failuresOf('a')).toBe(0);
    expect(b.fail('a')).toBe(1000);
  });
});
