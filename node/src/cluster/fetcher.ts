// Cache misses: fetch a blob from its homes in rendezvous order, verify its digest while writing it to local disk,
// and let every concurrent miss for that blob on this node share the one transfer. A home that answers with an
// error, the wrong bytes, or nothing for PEER_TIMEOUT_MS (mid-body too: peerClient's idle timer) is left for the
// next. The client whose miss started the transfer may be fed as the bytes arrive (feed.ts says under which rules).
import { apiError } from '../errors.js';
import type { Feed } from './feed.js';
import type { ClusterParts } from './parts.js';
import { homes, rank } from './placement.js';

export class PeerFetcher {
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(private readonly deps: Omit<ClusterParts, 'integrity'>) {}

  /** True when a transfer of this blob is already under way (the caller will be a coalesced waiter). */
  busy(sha256: string): boolean {
    return this.inflight.has(sha256);
  }

  /**
   * Makes the blob local. `feed` (optional) receives the bytes as they arrive, for the client that caused the miss;
   * it is given only to the transfer that starts here, never to a waiter. A waiter should hold the blob
   * (BlobStore.hold) from before this call until it has opened it, so cache admission cannot remove it in between.
   */
  async fetch(sha256: string, size: number, feed?: Feed): Promise<void> {
    const running = this.inflight.get(sha256);
    if (running) {
      this.deps.metrics.coalescedWaiters.inc();
      return running;
    }
    const transfer = this.transfer(sha256, size, feed).finally(() => this.inflight.delete(sha256));
    this.inflight.set(sha256, transfer);
    return transfer;
  }

  private async transfer(sha256: string, size: number, feed: Feed | undefined): Promise<void> {
    const { membership, metrics, log } = this.deps;
    const self = membership.self.id;
    for (const id of rank(sha256, membership.ids()).filter((m) => m !== self)) {
      try {
        if (await this.fetchFrom(id, sha256, size, feed)) return;
      } catch (err) {
        metrics.peerFetchFailovers.inc();
        log.warn({ peer: id, sha256, err: (err as Error).message }, 'peer fetch failed; trying the next home');
        feed?.failover();
      }
    }
    feed?.failed();
    throw apiError('blob_unavailable', 'No live member could provide this content.');
  }

  /** One home: false when it has no copy; throws when its transfer fails (stall, wrong bytes, error). */
  private async fetchFrom(id: string, sha256: string, size: number, feed: Feed | undefined): Promise<boolean> {
    const { peers, blobs, metrics } = this.deps;
    const body = await peers.fetchBlob(id, sha256, size);
    if (!body) return false;
    metrics.peerFetches.inc();
    await blobs.ingest(relay(body, feed), {
      maxBytes: size,
      expectedSha256: sha256,
      declaredBytes: size,
      // The client has every byte but the last chunk and they are verified: finish its response before our fsync.
      onVerified: () => feed?.verified(),
    });
    metrics.peerFetchBytes.inc(size);
    this.classify(sha256, size);
    return true;
  }

  /** A fetched blob is a cache entry unless this node is one of its homes. */
  private classify(sha256: string, size: number): void {
    const { membership, cache, replication } = this.deps;
    if (homes(sha256, membership.ids(), replication).includes(membership.self.id)) cache.pin(sha256);
    else cache.admit(sha256, size);
  }
}

/** Passes a peer's chunks to the store, offering each to the fed client on the way (never waiting for it). */
async function* relay(body: AsyncIterable<Buffer>, feed: Feed | undefined): AsyncGenerator<Buffer> {
  let offset = 0;
  for await (const chunk of body) {
    feed?.offer(chunk, offset);
    offset += chunk.length;
    yield chunk;
  }
}
