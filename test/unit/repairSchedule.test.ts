// When periodic repair passes run: REPAIR_INTERVAL_MS after a pass ends, and never sooner than
// PERIODIC_REST_FACTOR times as long as that pass took (a pass over a large store used to run back to back, every
// interval finding the last one still going). A membership change still starts a pass at once. Fake timers: the
// pass's length is set by the test, not by a machine's speed; the pass itself is the real one over a store whose
// walk the test holds at a gate.
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PassDeps } from '../../node/src/cluster/repairPass.js';
import { PERIODIC_REST_FACTOR, periodicDelayMs, Repairer, SHORTFALL_RETRY_MS } from '../../node/src/cluster/repair.js';
import { createLogger } from '../../node/src/log.js';
import { createMetrics } from '../../node/src/metrics.js';

const INTERVAL = 1000;
const PASS_MS = 5000;

/** Deps whose store walk waits at a gate per pass (then fails, with `failing`); `passes` counts the walks begun. */
function deps(failing = false): { deps: PassDeps; membership: EventEmitter; passes: () => number; finish: () => void } {
  let passes = 0;
  let open: (() => void) | undefined;
  const membership = Object.assign(new EventEmitter(), { ids: () => ['a'], self: { id: 'a' } });
  const blobs = {
    async *digests(): AsyncGenerator<string> {
      passes++;
      await new Promise<void>((r) => (open = r));
      if (failing) throw new Error('the store could not be read');
      yield* []; // an empty store, once the test lets the walk end
    },
  };
  const d = { membership, blobs, metrics: createMetrics('a'), log: createLogger('silent', 'a'), replication: 2, batchBlobs: 100 } as unknown as PassDeps;
  return { deps: d, membership, passes: () => passes, finish: () => open?.() };
}

beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] }));
afterEach(() => vi.useRealTimers());

describe('periodic repair passes', () => {
  it('rest REST_FACTOR times a long pass before the next, then run again', async () => {
    const f = deps();
    const r = new Repairer(f.deps);
    r.start(INTERVAL);
    await vi.advanceTimersByTimeAsync(0);
    expect(f.passes()).toBe(1);
    await vi.advanceTimersByTimeAsync(PASS_MS); // the pass takes 5 s: many intervals go by meanwhile
    f.finish();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(PERIODIC_REST_FACTOR * PASS_MS - 100);
    expect(f.passes()).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(f.passes()).toBe(2);
    f.finish();
    await r.stop();
  });

  it('after a short pass, the next comes one interval after its end', async () => {
    const f = deps();
    const r = new Repairer(f.deps);
    r.start(INTERVAL);
    await vi.advanceTimersByTimeAsync(10);
    f.finish();
    await vi.advanceTimersByTimeAsync(INTERVAL - 50);
    expect(f.passes()).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(f.passes()).toBe(2);
    f.finish();
    await r.stop();
  });

  it('a membership change starts a pass without waiting out the rest', async () => {
    const f = deps();
    const r = new Repairer(f.deps);
    r.start(INTERVAL);
    await vi.advanceTimersByTimeAsync(PASS_MS);
    f.finish();
    await vi.advanceTimersByTimeAsync(0);
    f.membership.emit('changed');
    await vi.advanceTimersByTimeAsync(300); // the change is debounced 200 ms
    expect(f.passes()).toBe(2);
    f.finish();
    await r.stop();
  });

  it('a pass that failed (or left blobs short) is tried again after SHORTFALL_RETRY_MS, not the long interval', async () => {
    const long = 10 * SHORTFALL_RETRY_MS;
    const f = deps(true);
    const r = new Repairer(f.deps);
    r.start(long);
    await vi.advanceTimersByTimeAsync(10);
    f.finish();
    await vi.advanceTimersByTimeAsync(SHORTFALL_RETRY_MS - 100);
    expect(f.passes()).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(f.passes()).toBe(2);
    f.finish();
    await r.stop();
  });
});

describe('periodicDelayMs', () => {
  it('rests the interval, sooner after a shortfall, never less than REST_FACTOR times the pass', () => {
    expect(periodicDelayMs(600_000, 1000)).toBe(600_000);
    expect(periodicDelayMs(600_000, 1000, true)).toBe(SHORTFALL_RETRY_MS);
    expect(periodicDelayMs(1000, 10, true)).toBe(1000); // an interval shorter than the retry stays
    expect(periodicDelayMs(600_000, 120_000, true)).toBe(PERIODIC_REST_FACTOR * 120_000);
  });
});
