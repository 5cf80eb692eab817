// Read-your-writes across the cluster. Nodes cache name -> head; a writer, after committing and before answering
// its client, tells every live member to drop the name and waits (bounded) for their acknowledgements. A member
// that misses the deadline is flagged in Redis (kubecdn:stale:<id>) and the writer waits out one head lease: the
// member either saw the flag at its next heartbeat (and dropped its cache) or its lease lapsed (and it reads Redis).
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { keys } from '../metadata/keys.js';
import type { Metrics } from '../metrics.js';
import type { Membership } from './membership.js';
import type { PeerClient } from './peerClient.js';

export class Coherence {
  constructor(
    private readonly redis: Redis,
    private readonly membership: Membership,
    private readonly peers: PeerClient,
    private readonly opts: { deadlineMs: number; leaseMs: number },
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  /** Resolves once every live member has dropped `name` from its head cache, or can no longer trust it. */
  async invalidate(name: string): Promise<void> {
    const others = this.membership.ids().filter((id) => id !== this.membership.self.id);
    const results = await Promise.allSettled(others.map((id) => this.peers.invalidate(id, [name], this.opts.deadlineMs)));
    const missed = others.filter((_, i) => results[i]?.status === 'rejected');
    if (missed.length === 0) return;
    this.metrics.invalidationMisses.inc(missed.length);
    this.log.warn({ name, missed }, 'invalidation not acknowledged in time; waiting out the head lease');
    const pipe = this.redis.pipeline();
    for (const id of missed) pipe.set(keys.stale(id), '1', 'PX', this.opts.leaseMs * 10);
    await pipe.exec();
    await new Promise((r) => setTimeout(r, this.opts.leaseMs));
  }
}
