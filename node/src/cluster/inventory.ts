// Batched inventories: a repair pass asks a peer about a whole batch of blobs in one request (POST
// /internal/inventory, [{sha256, size}]) instead of one HEAD per blob, and the peer answers which of them it lacks or
// holds a bad copy of. Why: a pass over a million blobs sent up to a million HEADs; batches of 2,000 send 500.
//
// The peer checks each copy's size by stat, as the HEAD does before anything else. It does not hash small copies as
// the HEAD did: that read every replica's bytes on every pass (a million files, on each peer, every 30 s). A same-size
// rot is the background scrub's to find (storage/scrub.ts hashes every copy at SCRUB_BYTES_PER_SEC and heals it from a
// replica), as it is for a copy no repair ever asks about; reads verify whatever they serve.
import pLimit from 'p-limit';
import { z } from 'zod';
import { DIGEST_RE, type BlobStore } from '../storage/blobStore.js';
import type { Integrity } from '../storage/integrity.js';
import { IntegrityError } from '../storage/verify.js';

export const INVENTORY_PATH = '/internal/inventory';
/** The most blobs one inventory may name (REPAIR_BATCH_BLOBS is capped to it). */
export const INVENTORY_MAX_BLOBS = 5000;
/** ~100 bytes a JSON entry, with room to spare. */
export const INVENTORY_MAX_BYTES = 1024 * 1024;
// Stats at once per request: enough to keep the thread pool busy, few enough to leave it to the reads.
const STATS_AT_ONCE = 32;

const entry = z.strictObject({
  sha256: z.string().regex(DIGEST_RE),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export const inventoryRequest = z.strictObject({ blobs: z.array(entry).max(INVENTORY_MAX_BLOBS) });
export const inventoryAnswer = z.strictObject({
  missing: z.array(z.string().regex(DIGEST_RE)).max(INVENTORY_MAX_BLOBS),
  bad: z.array(z.string().regex(DIGEST_RE)).max(INVENTORY_MAX_BLOBS),
});

export type InventoryEntry = z.infer<typeof entry>;
export type InventoryAnswer = z.infer<typeof inventoryAnswer>;

/** What this node holds of one blob: no copy, or its size on disk and whether it was found bad (condemned). */
export type Holding = { kind: 'none' } | { kind: 'copy'; size: number; condemned: boolean };

/** Pure: a copy is good when it is not condemned and has the asked size; none is missing; anything else is bad. */
export function verdict(wanted: InventoryEntry, held: Holding): 'good' | 'missing' | 'bad' {
  if (held.kind === 'none') return 'missing';
  return held.condemned || held.size !== wanted.size ? 'bad' : 'good';
}

/**
 * Answers an inventory from this node's store. A copy of the wrong size is quarantined and healed, as a HEAD that
 * found it would (the asking node pushes a good one too; whichever lands first stays, stored once by digest).
 */
export async function answerInventory(
  deps: { blobs: BlobStore; integrity: Integrity },
  blobs: readonly InventoryEntry[],
): Promise<InventoryAnswer> {
  const limit = pLimit(STATS_AT_ONCE);
  const held = await Promise.all(blobs.map((b) => limit(() => holding(deps.blobs, b.sha256))));
  const answer: InventoryAnswer = { missing: [], bad: [] };
  for (const [i, b] of blobs.entries()) {
    const h = held[i]!;
    const v = verdict(b, h);
    if (v === 'good') continue;
    answer[v].push(b.sha256);
    if (v === 'bad' && h.kind === 'copy' && !h.condemned) {
      const err = new IntegrityError(b.sha256, 'size', `expected ${b.size} bytes, found ${h.size} on disk`);
      void deps.integrity.corruptAndHeal(err, 'peer', b.size);
    }
  }
  return answer;
}

async function holding(blobs: BlobStore, sha256: string): Promise<Holding> {
  const size = await blobs.size(sha256);
  return size === undefined ? { kind: 'none' } : { kind: 'copy', size, condemned: blobs.isCondemned(sha256) };
}
