// Re-replication. A pass walks this node's blobs: for each committed one, every home (under the given member set)
// that lacks a copy gets one from here; then the local copy is classified as a home copy (pinned) or a cache entry
// (evictable). The pass itself, batched, is repairPass.ts; this file decides when one runs: when membership changes,
// periodically, and at start (which also rebuilds the cache state: until then no local copy is evictable, which is
// safe), always in the background, never before the node is ready; and on SIGTERM with this node excluded: the
// hand-off that makes scale-down lose nothing.
import { runPass, type PassDeps, type PassReason, type PassResult } from './repairPass.js';

export type { PassResult };

/**
 * A periodic pass rests at least this many times as long as the last pass took. The periodic pass is the safety net
 * (membership changes start their own at once): with 666,750 blobs a pass took 118 s, so a pass "every 30 s" ran back
 * to back on every node for the process' life, and the bench's hot path at 1,000,000 files was 0.64x the empty
 * store's. 9: the net costs at most a tenth of the node's time, whatever the store's size.
 */
export const PERIODIC_REST_FACTOR = 9;

/**
 * A pass that left blobs short of R copies (a peer unreachable for a moment), or that failed, is tried again this
 * soon, however long the interval: the long interval is for a cluster with nothing known to mend.
 */
export const SHORTFALL_RETRY_MS = 30_000;

/** Pure: ms from a pass's end to the next periodic one: the interval (sooner after a shortfall), longer after a long pass. */
export function periodicDelayMs(intervalMs: number, lastPassMs: number, shortfall = false): number {
  const rest = shortfall ? Math.min(intervalMs, SHORTFALL_RETRY_MS) : intervalMs;
  return Math.max(rest, PERIODIC_REST_FACTOR * lastPassMs);
}

export class Repairer {
  private running: Promise<PassResult> | undefined;
  /** blobs the last pass could not bring to R copies */
  underReplicated = 0;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private intervalMs = 0;
  private stopped = false;
  private readonly onChanged = (): void => {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, 200);
    this.showPending();
  };

  constructor(private readonly deps: PassDeps) {}

  /** Runs a pass now, or once more after the one under way. */
  schedule(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      this.showPending();
      return;
    }
    this.showPending();
    clearTimeout(this.periodic); // armed again from this pass's end
    const started = performance.now();
    let shortfall = true; // until the pass says otherwise: a failed pass is a shortfall
    this.running = this.pass(this.deps.membership.ids(), 'repair')
      .then((result) => {
        shortfall = result.failed > 0;
        return result;
      })
      .catch((err: Error) => {
        this.deps.log.warn({ err: err.message }, 'repair pass failed');
        return { checked: 0, pushed: 0, failed: 0 };
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        } else {
          this.restPeriodic(performance.now() - started, shortfall);
        }
      });
  }

  /** After membership changes settle (debounced), and periodically: intervalMs after a pass ends (periodicDelayMs; 0: never). */
  start(intervalMs: number): void {
    this.intervalMs = intervalMs;
    this.deps.membership.on('changed', this.onChanged);
    this.schedule();
  }

  /** The periodic timer starts again from each pass's end, whatever started that pass. */
  private restPeriodic(lastPassMs: number, shortfall: boolean): void {
    clearTimeout(this.periodic);
    this.periodic = undefined;
    if (this.stopped || this.intervalMs <= 0) return;
    this.periodic = setTimeout(() => this.schedule(), periodicDelayMs(this.intervalMs, lastPassMs, shortfall)).unref();
  }

  /** No new passes; waits for the one under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.membership.off('changed', this.onChanged);
    clearTimeout(this.timer);
    this.timer = undefined;
    clearTimeout(this.periodic);
    this.periodic = undefined;
    await this.idle();
    this.showPending();
  }

  /** Due and not yet begun is worth seeing: a pass decided on is still to come (and a test can await it). */
  private showPending(): void {
    this.deps.metrics.repairPending.set(!this.stopped && (this.timer !== undefined || this.again) ? 1 : 0);
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** One pass over the local blobs against `members` (repairPass.ts); stops early at `deadline` (ms since epoch). */
  async pass(members: string[], reason: PassReason, deadline = Infinity): Promise<PassResult> {
    const { metrics, log } = this.deps;
    const started = Date.now();
    metrics.repairRunning.inc();
    try {
      const result = await runPass(this.deps, members, reason, deadline);
      this.underReplicated = result.failed;
      metrics.underReplicated.set(result.failed);
      metrics.repairPasses.inc({ reason });
      log.info({ reason, ...result, durationMs: Date.now() - started }, 'replication pass done');
      return result;
    } finally {
      metrics.repairRunning.dec();
    }
  }
}
