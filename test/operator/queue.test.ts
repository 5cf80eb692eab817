// The work queue: one run per key at a time, coalesced; failures retried with backoff; stop waits.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { WorkQueue } from '../../operator/src/reconcile/queue.js';
import { Backoff } from '../../operator/src/reconcile/backoff.js';

describe('work queue', () => {
  afterEach(() => vi.useRealTimers());

  test('one run per key at a time, coalesced; failures retried with backoff; stop waits', async () => {
    vi.useFakeTimers();
    const runs: string[] = [];
    let fail = 2;
    let release: () => void = () => {};
    const q = new WorkQueue(
      async (key) => {
        runs.push(key);
        if (key === 'flaky' && fail-- > 0) throw new Error('boom');
        if (key === 'slow') await new Promise<void>((r) => (release = r));
        return {};
      },
      { onError: () => {} },
      new Backoff({ baseMs: 100, maxMs: 1000, jitter: 0 }),
    );
    q.add('slow');
    q.add('slow');
    q.add('slow');
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual(['slow']);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual(['slow', 'slow']); // queued again while running: one more run, not two
    release();
    q.add('flaky');
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(100);
    await vi.advanceTimersByTimeAsync(200);
    expect(runs.filter((k) => k === 'flaky')).toHaveLength(3);
    await q.stop();
    q.add('after-stop');
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).not.toContain('after-stop');
  });
});
