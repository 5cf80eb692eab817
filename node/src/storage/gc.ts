// Garbage collection of blobs that no version references: uploads refused by the rules (duplicate, precondition)
// or interrupted by a crash between the blob's rename and the commit. A committed version's content is always in the
// content index (the commit records it), so "unknown to the index and older than the grace period" is safe to remove;
// the grace period covers uploads that are between writing their blob and committing.
import type { Logger } from '../log.js';
import type { MetadataStore } from '../metadata/store.js';
import type { Metrics } from '../metrics.js';
import type { BlobStore } from './blobStore.js';

/** Pure: may this blob be collected? */
export const collectable = (known: boolean, mtimeMs: number, nowMs: number, graceMs: number): boolean =>
  !known && nowMs - mtimeMs > graceMs;

export async function collectGarbage(
  blobs: BlobStore,
  store: MetadataStore,
  metrics: Metrics,
  log: Logger,
  graceMs: number,
): Promise<number> {
  let removed = 0;
  for await (const b of blobs.walk()) {
    if (!collectable(false, b.mtimeMs, Date.now(), graceMs)) continue; // too young: skip the Redis lookup
    if (await store.contentKnown(b.sha256)) continue;
    await blobs.remove(b.sha256, b.size);
    removed++;
  }
  if (removed > 0) {
    metrics.blobsCollected.inc(removed);
    log.info({ removed }, 'garbage collection removed unreferenced blobs');
  }
  return removed;
}
