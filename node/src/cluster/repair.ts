// Re-replication. A pass walks this node's blobs: for each committed one, every home (under the given member set)
// that lacks a copy gets one from here; then the local copy is classified as a home copy (pinned) or a cache entry
// (evictable). Runs when membership changes, periodically, and at start (which also rebuilds the cache state), and
// on SIGTERM with this node excluded: the hand-off that makes scale-down lose nothing.
import type { MetadataStore } from '../metadata/store.js';
import type { ClusterParts } from './parts.js';
import { homes } from './placement.js';
import { isIntegrityError } from '../storage/verify.js';

export interface PassResult {
  checked: number;
  pushed: number;
  failed: number;
}

export class Repairer {
  private running: Promise<PassResult> | undefined;
  /** blobs the last pass could not bring to R copies */
  underReplicated = 0;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private interval: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly onChanged = (): void => {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, 200);
    this.showPending();
  };

  constructor(
    private readonly deps: ClusterParts & { store: MetadataStore },
  ) {}

  /** Runs a pass now, or once more after the one under way. */
  schedule(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      this.showPending();
      return;
    }
    this.showPending();
    this.running = this.pass(this.deps.membership.ids(), 'repair')
      .catch((err: Error) => {
        this.deps.log.warn({ err: err.message }, 'repair pass failed');
        return { checked: 0, pushed: 0, failed: 0 };
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
  }

  /** After membership changes settle (debounced), and every intervalMs. */
  start(intervalMs: number): void {
    this.deps.membership.on('changed', this.onChanged);
    if (intervalMs > 0) this.interval = setInterval(() => this.schedule(), intervalMs).unref();
    this.schedule();
  }

  /** No new passes; waits for the one under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.membership.off('changed', this.onChanged);
    clearTimeout(this.timer);
    this.timer = undefined;
    clearInterval(this.interval);
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

  /** One pass over the local blobs against `members`; stops early at `deadline` (ms since epoch). */
  async pass(members: string[], reason: 'repair' | 'handoff', deadline = Infinity): Promise<PassResult> {
    this.deps.metrics.repairRunning.inc();
    try {
      return await this.walk(members, reason, deadline);
    } finally {
      this.deps.metrics.repairRunning.dec();
    }
  }

  private async walk(members: string[], reason: 'repair' | 'handoff', deadline: number): Promise<PassResult> {
    const { membership, blobs, cache, store, metrics } = this.deps;
    const self = membership.self.id;
    const result: PassResult = { checked: 0, pushed: 0, failed: 0 };
    for await (const blob of blobs.walk()) {
      if (Date.now() > deadline) break;
      if (!(await store.contentKnown(blob.sha256))) continue; // never committed: garbage collection's business
      result.checked++;
      const hs = homes(blob.sha256, members, this.deps.replication);
      const complete = await this.copyToHomes(blob, hs.filter((h) => h !== self), reason, result);
      // Evictable only once its homes are known to hold it; until then it is one of the copies that count.
      if (reason === 'repair') {
        if (hs.includes(self) || !complete) cache.pin(blob.sha256);
        else cache.admit(blob.sha256, blob.size);
      }
    }
    this.underReplicated = result.failed;
    metrics.underReplicated.set(result.failed);
    this.deps.log.info({ reason, ...result }, 'replication pass done');
    return result;
  }

  /**
   * Gives each home in `to` that lacks a copy of `blob` one from here, counting into `result`. False when a home could
   * not be reached; a bad local copy ends it early (quarantined and healed from another home, never pushed on).
   */
  private async copyToHomes(blob: { sha256: string; size: number }, to: string[], reason: 'repair' | 'handoff', result: PassResult): Promise<boolean> {
    const { peers, blobs, metrics } = this.deps;
    let complete = true;
    for (const h of to) {
      try {
        // the peer checks its copy's size (and digest, when small) and answers 404 for a bad one
        if (await peers.hasBlob(h, blob.sha256, blob.size)) continue;
        await peers.pushBlob(h, blob.sha256, blobs.pathOf(blob.sha256));
        metrics.replicaPushes.inc({ reason });
        result.pushed++;
      } catch (err) {
        result.failed++;
        if (isIntegrityError(err)) {
          // our own copy is the bad one: quarantine it and take a good one from another home
          void this.deps.integrity.corruptAndHeal(err, 'scrub');
          return complete;
        }
        complete = false;
        this.deps.log.warn({ peer: h, sha256: blob.sha256, err: (err as Error).message }, `${reason}: push failed`);
      }
    }
    return complete;
  }
}
