// Cache misses: fetch a blob from its homes in rendezvous order (failing over on error or timeout), verify its
// digest while writing it to local disk, and let every concurrent miss for that blob on this node share the one
// transfer. The first client can be fed while the transfer fills the cache.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { apiError } from '../errors.js';
import type { ClusterParts } from './parts.js';
import { homes, rank } from './placement.js';

export class PeerFetcher {
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: ClusterParts,
  ) {}

  /** True when a transfer of this blob is already under way (the caller will be a coalesced waiter). */
  busy(sha256: string): boolean {
    return this.inflight.has(sha256);
  }

  /**
   * Makes the blob local. `feed` (optional) receives the bytes as they arrive, for the client that caused the
   * miss; it is given only to the transfer that starts here, never to a waiter.
   */
  async fetch(sha256: string, size: number, feed?: ServerResponse): Promise<void> {
    const running = this.inflight.get(sha256);
    if (running) {
      this.deps.metrics.coalescedWaiters.inc();
      return running;
    }
    const transfer = this.transfer(sha256, size, feed).finally(() => this.inflight.delete(sha256));
    this.inflight.set(sha256, transfer);
    return transfer;
  }

  private async transfer(sha256: string, size: number, feed: ServerResponse | undefined): Promise<void> {
    const { membership, peers, blobs, metrics } = this.deps;
    const self = membership.self.id;
    const candidates = rank(sha256, membership.ids()).filter((id) => id !== self);
    for (const id of candidates) {
      let fed = 0;
      try {
        const body = await peers.fetchBlob(id, sha256);
        if (!body) continue; // this member has no copy: try the next
        metrics.peerFetches.inc();
        await blobs.ingest(tee(body, feed, (n) => (fed += n)), {
          maxBytes: size,
          expectedSha256: sha256,
          // The client has every byte and they are verified: finish its response now, not after our fsync.
          onVerified: () => {
            if (fed === size) feed?.end();
          },
        });
        metrics.peerFetchBytes.inc(size);
        this.classify(sha256, size);
        return;
      } catch (err) {
        metrics.peerFetchFailovers.inc();
        this.deps.log.warn({ peer: id, sha256, err: (err as Error).message }, 'peer fetch failed; trying the next home');
        if (fed > 0) feed?.destroy(); // the client already has part of a body we cannot finish from here
        if (fed > 0) feed = undefined;
      }
    }
    throw apiError('blob_unavailable', 'No live member could provide this content.');
  }

  /** A fetched blob is a cache entry unless this node is one of its homes. */
  private classify(sha256: string, size: number): void {
    const { membership, cache, replication } = this.deps;
    if (homes(sha256, membership.ids(), replication).includes(membership.self.id)) cache.pin(sha256);
    else cache.admit(sha256, size);
  }
}

/** Passes chunks through, writing them to the client too (at the client's pace) while it is connected. */
async function* tee(
  body: AsyncIterable<Uint8Array>,
  res: ServerResponse | undefined,
  onFed: (n: number) => void,
): AsyncGenerator<Buffer> {
  for await (const chunk of body) {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (res && !res.destroyed && !res.writableEnded) {
      onFed(buf.length);
      if (!res.write(buf)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
    yield buf;
  }
}
