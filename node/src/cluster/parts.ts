// What the cluster's components (replicator, fetcher, repairer) share: built once in cluster.ts.
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { BlobStore } from '../storage/blobStore.js';
import type { Integrity } from '../storage/integrity.js';
import type { BlobCache } from './blobCache.js';
import type { Membership } from './membership.js';
import type { PeerClient } from './peerClient.js';

export interface ClusterParts {
  readonly membership: Membership;
  readonly peers: PeerClient;
  readonly blobs: BlobStore;
  /** quarantine and heal of a local copy found corrupt */
  readonly integrity: Integrity;
  readonly cache: BlobCache;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** REPLICATION_FACTOR */
  readonly replication: number;
}
