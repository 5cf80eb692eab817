// The cluster side of one node, built when CLUSTER_SECRET is set: membership, placement-driven replication, peer
// fetch, healing of corrupt copies, coherence and repair. Without the secret a node runs standalone (it cannot authenticate to peers).
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { MetadataStore } from '../metadata/store.js';
import type { Metrics } from '../metrics.js';
import type { BlobStore } from '../storage/blobStore.js';
import { Integrity } from '../storage/integrity.js';
import type { ClusterInfo } from '../http/answers.js';
import { BlobCache } from './blobCache.js';
import { Coherence } from './coherence.js';
import { PeerFetcher } from './fetcher.js';
import { Membership } from './membership.js';
import { PeerClient } from './peerClient.js';
import { Repairer } from './repair.js';
import { Replicator } from './replicator.js';

/** what GET /cluster answers (its schema is in the API document) */
export type { ClusterInfo };

export class Cluster {
  readonly membership: Membership;
  readonly peers: PeerClient;
  readonly fetcher: PeerFetcher;
  /** quarantine, and healing from this cluster's replicas (the node's one Integrity when it is in a cluster) */
  readonly integrity: Integrity;
  readonly replicator: Replicator;
  readonly repairer: Repairer;
  readonly coherence: Coherence;

  constructor(
    private readonly cfg: Config & { clusterSecret: string },
    url: string,
    redis: Redis,
    private readonly parts: { blobs: BlobStore; store: MetadataStore; cache: BlobCache; metrics: Metrics; log: Logger },
  ) {
    const { blobs, store, cache, metrics, log } = parts;
    this.membership = new Membership(redis, { id: cfg.nodeId, url }, { heartbeatMs: cfg.heartbeatMs, ttlMs: cfg.memberTtlMs }, log.child({ component: 'membership' }));
    this.peers = new PeerClient(this.membership, cfg.clusterSecret, cfg.peerTimeoutMs);
    const base = { membership: this.membership, peers: this.peers, blobs, cache, metrics, replication: cfg.replicationFactor };
    this.fetcher = new PeerFetcher({ ...base, log: log.child({ component: 'fetch' }) });
    const heal = (sha256: string, size: number): Promise<void> => this.fetcher.fetch(sha256, size);
    this.integrity = new Integrity(blobs, metrics, log.child({ component: 'integrity' }), heal, (sha) => store.contentSize(sha));
    const common = { ...base, integrity: this.integrity };
    this.replicator = new Replicator({ ...common, log: log.child({ component: 'replicate' }) });
    this.repairer = new Repairer({ ...common, store, batchBlobs: cfg.repairBatchBlobs, log: log.child({ component: 'repair' }) });
    this.coherence = new Coherence({
      redis,
      membership: this.membership,
      peers: this.peers,
      metrics,
      log: log.child({ component: 'coherence' }),
      deadlineMs: cfg.invalidationDeadlineMs,
      leaseMs: cfg.headLeaseMs,
    });
    this.membership.on('changed', () => metrics.members.set(this.membership.ids().length));
  }

  async start(): Promise<void> {
    await this.membership.start();
    this.repairer.start(this.cfg.repairIntervalMs);
  }

  /** Head-cache entries are trusted only while our heartbeat lease holds (see coherence.ts). */
  trusted(): boolean {
    return this.membership.status === 'member' && Date.now() - this.membership.lastBeatAt < this.cfg.headLeaseMs;
  }

  /** SIGTERM: leave the member list, then hand every blob to its new homes, bounded by HANDOFF_DEADLINE_MS. */
  async handoff(): Promise<void> {
    await this.membership.leave();
    await this.repairer.stop(); // no scheduled pass from here on: the hand-off pass below is the last
    if (this.membership.ids().length === 0) return; // the last node: nobody to hand to
    const r = await this.repairer.pass(this.membership.ids(), 'handoff', Date.now() + this.cfg.handoffDeadlineMs);
    this.parts.log.info(r, 'hand-off done');
  }

  /** Stops what start() started, in reverse: repair passes and timers, then the heartbeat. */
  async stop(): Promise<void> {
    await this.repairer.stop();
    this.membership.stop();
  }

  info(): ClusterInfo {
    return {
      self: this.membership.self.id,
      members: this.membership.ids().map((id) => ({ id, url: this.membership.url(id) ?? '' })),
      replicationFactor: this.cfg.replicationFactor,
      cache: { bytes: this.parts.cache.bytes, maxBytes: this.parts.cache.maxBytes, entries: this.parts.cache.entries },
      underReplicated: this.repairer.underReplicated,
    };
  }
}
