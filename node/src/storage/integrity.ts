// What happens to a local copy that fails its integrity check, wherever that was found (a read, the scrub, a peer
// asking for it, a repair probe): it is moved out of the store at once, so nothing serves it again, and — in a
// cluster — replaced by a verified copy fetched from a healthy replica. Standalone there is nothing to heal from:
// reads answer 503 blob_corrupt until the content is uploaded again (an upload of the same bytes replaces it).
import { LRUCache } from 'lru-cache';
import type { Logger } from '../log.js';
import type { INTEGRITY_WHERE, Metrics } from '../metrics.js';
import type { BlobStore } from './blobStore.js';
import type { IntegrityError } from './verify.js';

export type Where = (typeof INTEGRITY_WHERE)[number];

/** Fetches a verified copy from the blob's other homes (the cluster's fetcher); absent standalone. */
export type HealFrom = (sha256: string, size: number) => Promise<void>;

export class Integrity {
  /** heals under way, by digest: a blob found bad by several readers at once is fetched once */
  private readonly healing = new Map<string, Promise<boolean>>();
  /** digests quarantined here: a missing copy among them is reported as corrupt, not merely absent */
  private readonly quarantined = new LRUCache<string, true>({ max: 10_000 });

  constructor(
    private readonly blobs: BlobStore,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly healFrom: HealFrom | undefined,
    private readonly sizeOf: (sha256: string) => Promise<number | undefined>,
  ) {}

  /** Quarantines a copy found corrupt. */
  async corrupt(err: IntegrityError, where: Where): Promise<void> {
    this.blobs.condemn(err.sha256);
    this.quarantined.set(err.sha256, true);
    if (!(await this.blobs.quarantine(err.sha256))) return; // someone else moved it already
    this.metrics.integrityFailures.inc({ where });
    this.log.error({ sha256: err.sha256, reason: err.reason, where, err: err.message }, 'corrupt blob quarantined');
  }

  wasQuarantined(sha256: string): boolean {
    return this.quarantined.has(sha256);
  }

  /** Quarantines, then heals from a replica; resolves true once a verified copy is back on disk. */
  async corruptAndHeal(err: IntegrityError, where: Where, size?: number): Promise<boolean> {
    await this.corrupt(err, where);
    return this.heal(err.sha256, size);
  }

  /** Fetches a verified copy of a quarantined (or lost) blob from its other homes; false when none could. */
  heal(sha256: string, size?: number): Promise<boolean> {
    const running = this.healing.get(sha256);
    if (running) return running;
    const p = this.fetch(sha256, size).finally(() => this.healing.delete(sha256));
    this.healing.set(sha256, p);
    return p;
  }

  private async fetch(sha256: string, known: number | undefined): Promise<boolean> {
    const from = this.healFrom;
    if (!from) return false;
    try {
      const size = known ?? (await this.sizeOf(sha256));
      if (size === undefined) return false; // never committed: garbage collection's business, not ours
      await from(sha256, size);
      this.metrics.blobsHealed.inc();
      this.log.info({ sha256 }, 'corrupt blob healed from a replica');
      return true;
    } catch (err) {
      this.log.warn({ sha256, err: (err as Error).message }, 'could not heal a corrupt blob yet (repair retries)');
      return false;
    }
  }
}
