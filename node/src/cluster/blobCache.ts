// Accounting of the blobs this node holds without being one of their homes: an LRU bounded by CACHE_MAX_BYTES
// whose evictions delete the file. Home copies are never in it, so they are never evicted. Rebuilt from disk at
// start (repair classifies every local blob).
import { LRUCache } from 'lru-cache';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { BlobStore } from '../storage/blobStore.js';

export class BlobCache {
  private readonly lru: LRUCache<string, number> | undefined;

  constructor(
    readonly maxBytes: number,
    private readonly blobs: BlobStore,
    private readonly metrics: Metrics,
    private readonly log?: Logger,
  ) {
    this.lru =
      maxBytes > 0
        ? new LRUCache<string, number>({
            maxSize: maxBytes,
            sizeCalculation: (size) => Math.max(1, size),
            dispose: (size, sha256, reason) => {
              if (reason === 'evict') void this.drop(sha256, size);
            },
          })
        : undefined;
  }

  /** A non-home blob now on disk: track it, evicting older ones; one that cannot fit is removed at once. */
  admit(sha256: string, size: number): void {
    if (this.lru?.has(sha256)) return;
    if (this.lru && size <= this.maxBytes) this.lru.set(sha256, size);
    else void this.drop(sha256, size);
    this.metrics.cacheBytes.set(this.bytes);
  }

  /** The blob became a home copy: no longer evictable. */
  pin(sha256: string): void {
    this.lru?.delete(sha256);
    this.metrics.cacheBytes.set(this.bytes);
  }

  touch(sha256: string): void {
    this.lru?.get(sha256);
  }

  get bytes(): number {
    return this.lru?.calculatedSize ?? 0;
  }

  get entries(): number {
    return this.lru?.size ?? 0;
  }

  private async drop(sha256: string, size: number): Promise<void> {
    try {
      await this.blobs.remove(sha256, size);
      this.metrics.cacheEvictions.inc(); // counted once the file is gone, not before
    } catch (err) {
      // Still on disk: the next repair pass finds it and tracks it again (admit), so it is evicted later.
      this.log?.warn({ sha256, err: (err as Error).message }, 'cache eviction could not remove the file');
    }
    this.metrics.cacheBytes.set(this.bytes);
  }
}
