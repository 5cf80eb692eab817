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

export interface CoherenceDeps {
  readonly redis: Redis;
  readonly membership: Membership;
  readonly peers: PeerClient;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** INVALIDATION_DEADLINE_MS: how long a writer waits for the acknowledgements */
  readonly deadlineMs: number;
  /** HEAD_LEASE_MS: how long a member trusts its head cache after its last heartbeat */
  readonly leaseMs: number;
}

export class Coherence {
  constructor(private readonly deps: CoherenceDeps) {}

  /** Resolves once every live member has dropped `name` from its head cache, or can no longer trust it. */
  async invalidate(name: string): Promise<void> {
    const { membership, peers, redis, deadlineMs, leaseMs } = this.deps;
    const others = membership.ids().filter((id) => id !== membership.self.id);
    const results = await Promise.allSettled(others.map((id) => peers.invalidate(id, [name], deadlineMs)));
    const missed = others.filter((_, i) => results[i]?.status === 'rejected');
    if (missed.length === 0) return;
    this.deps.metrics.invalidationMisses.inc(missed.length);
    this.deps.log.warn({ name, missed }, 'invalidation not acknowledged in time; waiting out the head lease');
    const pipe = redis.pipeline();
    for (const id of missed) pipe.set(keys.stale(id), '1', 'PX', leaseMs * 10);
    await pipe.exec();
    await new Promise((r) => setTimeout(r, leaseMs));
  }
}
