// Write replication: before a version commits, its blob is on R home nodes (this node counts when it is a home).
// Homes are tried in rendezvous order; a failed one is replaced by the next member, and repair moves the copy to
// its proper home later. Fewer than R copies: the write fails and nothing commits.
import { apiError } from '../errors.js';
import type { ClusterParts } from './parts.js';
import { rank } from './placement.js';
import { isIntegrityError } from '../storage/verify.js';

export class Replicator {
  constructor(
    private readonly deps: ClusterParts,
  ) {}

  /** Ensures R copies of a local blob; returns the ids that hold one. */
  async replicate(sha256: string, size: number): Promise<string[]> {
    const { membership, peers, blobs, cache, metrics } = this.deps;
    const self = membership.self.id;
    const ranked = rank(sha256, membership.ids());
    const want = Math.max(1, Math.min(this.deps.replication, ranked.length));
    const holders: string[] = [];
    const selfIsHome = ranked.slice(0, want).includes(self);
    if (selfIsHome) holders.push(self);
    const others = ranked.filter((id) => id !== self);
    let next = 0;
    while (holders.length < want && next < others.length) {
      // push to as many as are still missing, in parallel, from the next candidates in rank order
      const batch = others.slice(next, next + (want - holders.length));
      next += batch.length;
      const results = await Promise.allSettled(batch.map((id) => peers.pushBlob(id, sha256, blobs.pathOf(sha256))));
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') {
          holders.push(batch[i]!);
          metrics.replicaPushes.inc({ reason: 'write' });
        } else {
          this.deps.log.warn({ peer: batch[i], sha256, err: String(r.reason) }, 'replica push failed');
          // the local copy (just uploaded and verified) rotted already: quarantine it; the write fails below
          if (isIntegrityError(r.reason)) void this.deps.integrity.corrupt(r.reason, 'peer');
        }
      });
    }
    // Out of other candidates: our own upload copy counts, pinned until repair moves it to a proper home.
    const selfStands = !selfIsHome && holders.length < want;
    if (selfStands) holders.push(self);
    if (holders.length < want) {
      throw apiError('replication_failed', `Stored ${holders.length} of ${want} copies; nothing was committed.`);
    }
    if (selfIsHome || selfStands) cache.pin(sha256);
    else cache.admit(sha256, size); // our upload copy: evictable, but it makes the next local read a hit
    return holders;
  }
}
