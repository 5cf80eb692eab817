// What the HTTP layer needs, built once by node.ts (every field readonly: nothing is filled in later). Handlers
// receive this instead of reaching for globals.
import type { Redis } from 'ioredis';
import type { BlobCache } from './cluster/blobCache.js';
import type { Cluster } from './cluster/cluster.js';
import type { Config } from './config.js';
import type { EventHub } from './events/hub.js';
import type { Subscriber } from './events/subscriber.js';
import type { RedisLeaseLock } from './locks/redisLease.js';
import type { RicartAgrawalaLock } from './locks/ricartAgrawala.js';
import type { Logger } from './log.js';
import type { HeadCache } from './metadata/headCache.js';
import type { MetadataStore } from './metadata/store.js';
import type { Writer } from './metadata/writer.js';
import type { Metrics } from './metrics.js';
import type { BlobStore } from './storage/blobStore.js';
import type { Integrity } from './storage/integrity.js';
import type { BlobSource } from './http/sendBlob.js';
import type { HotCache } from './storage/hotCache.js';

export interface Deps {
  readonly cfg: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly redis: Redis;
  readonly store: MetadataStore;
  readonly writer: Writer;
  /** the lock API's leases (the same keys LOCK_MODE=redis writes take) */
  readonly leases: RedisLeaseLock;
  readonly blobs: BlobStore;
  readonly integrity: Integrity;
  /** blob bytes from the hot cache, disk or peers, verified on the way out (the read path and the compat routes) */
  readonly source: BlobSource;
  readonly hot: HotCache;
  /** accounting of non-home blobs (evictable), bounded by CACHE_MAX_BYTES */
  readonly cache: BlobCache;
  readonly heads: HeadCache;
  readonly subscriber: Subscriber;
  readonly hub: EventHub;
  /** present when CLUSTER_SECRET is configured */
  readonly cluster: Cluster | undefined;
  /** the Ricart-Agrawala lock, when LOCK_MODE=ricart-agrawala and the node is in a cluster */
  readonly ra: RicartAgrawalaLock | undefined;
}
