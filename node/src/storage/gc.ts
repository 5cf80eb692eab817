// Garbage collection of blobs that no version references: uploads refused by the rules (duplicate, precondition)
// or interrupted by a crash between the blob's rename and the commit. A committed version's content is always in the
// content index (the commit records it); a write between its upload and its commit — however long it waits for a
// lock — keeps a pending lease on its content (kubecdn:pending:<sha>, renewed by the writer). So "in neither, and
// older than the grace period" is safe to remove; the grace period only covers the moment between a blob landing
// on disk and its writer taking the lease (milliseconds), and a re-upload of the same bytes refreshes the mtime.
import type { Logger } from '../log.js';
import type { MetadataStore } from '../metadata/store.js';
import type { Metrics } from '../metrics.js';
import { statIfExists, type BlobStore } from './blobStore.js';

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
    if (await store.contentInUse(b.sha256)) continue;
    // Looked at again right before removing: an upload of the same bytes since the walk refreshed the mtime.
    const now = await statIfExists(blobs.pathOf(b.sha256));
    if (!now || !collectable(false, now.mtimeMs, Date.now(), graceMs)) continue;
    await blobs.remove(b.sha256, b.size);
    removed++;
  }
  metrics.gcRuns.inc();
  if (removed > 0) {
    metrics.blobsCollected.inc(removed);
    log.info({ removed }, 'garbage collection removed unreferenced blobs');
  }
  return removed;
}
