// One prom-client Registry for the file node; every metric is defined here and documented in docs/metrics.md
// (a unit test checks that every name below appears there). Names: kubecdn_<noun>_<unit>, counters end in _total.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestMetrics } from './requestMetrics.js';

export type Metrics = ReturnType<typeof defineMetrics>;

// Series with a known, closed set of label values exist from the start at 0 (Prometheus' advice for labelled
// counters): a dashboard panel or an alert over them shows 0, not "No data", until the first event.
const DEDUPE_OUTCOMES = ['rejected', 'linked', 'unchanged'] as const;
/** where a bad copy was found: a read, the scrub, a peer asking for it, an upload of the same bytes replacing it */
export const INTEGRITY_WHERE = ['read', 'scrub', 'peer', 'upload'] as const;

/** The lock series of the mode this node runs (known once its lock is built), at 0. */
export function initLockSeries(m: Metrics, mode: string): void {
  for (const c of [m.lockAcquisitions, m.lockContended, m.lockTimeouts]) c.inc({ mode }, 0);
  m.lockWaitSeconds.zero({ mode });
  m.lockHoldSeconds.zero({ mode });
}

/** The node's registry with every metric registered, and the series of closed label sets at 0. */
export function createMetrics(nodeId: string): Metrics {
  const metrics = defineMetrics(nodeId);
  for (const outcome of DEDUPE_OUTCOMES) metrics.dedupeHits.inc({ outcome }, 0);
  for (const where of INTEGRITY_WHERE) metrics.integrityFailures.inc({ where }, 0);
  return metrics;
}

// Every metric, defined once and grouped by area (each group registers its metrics in the order listed, which is the
// order of /metrics). Its inferred return type is the Metrics type, which is why it is not written out.
function defineMetrics(nodeId: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  // Standard names (process_*, nodejs_*), so that promtool and the usual Node.js dashboards recognise them.
  collectDefaultMetrics({ register: registry });
  const r = [registry];
  const requests = new RequestMetrics();
  requests.register(registry);
  return {
    registry,
    /** kubecdn_http_requests_total and kubecdn_http_request_duration_seconds (requestMetrics.ts: per-request cheap) */
    requests,
    ...httpMetrics(r),
    ...storageMetrics(r),
    ...peerMetrics(r),
    ...clusterMetrics(r),
    ...memoryCacheMetrics(r),
    ...lockMetrics(r),
    ...eventMetrics(r),
    ...integrityMetrics(r),
  };
}

/** Body bytes in and out; the request counters and durations are RequestMetrics (cheap per request). */
function httpMetrics(r: Registry[]) {
  return {
    bytesServed: new Counter({
      name: 'kubecdn_served_bytes_total',
      help: 'Body bytes sent to clients on file and blob reads',
      registers: r,
    }),
    bytesReceived: new Counter({
      name: 'kubecdn_received_bytes_total',
      help: 'Body bytes received in uploads',
      registers: r,
    }),
  };
}

/** Versions, dedupe and the blobs on this node’s disk. */
function storageMetrics(r: Registry[]) {
  return {
    versionsWritten: new Counter({
      name: 'kubecdn_versions_written_total',
      help: 'Versions committed, by kind (write, revert, delete)',
      labelNames: ['kind'] as const,
      registers: r,
    }),
    dedupeHits: new Counter({
      name: 'kubecdn_dedupe_hits_total',
      help: 'Writes whose content was already stored, by outcome (rejected, linked, unchanged)',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    dedupeBytesSaved: new Counter({
      name: 'kubecdn_dedupe_saved_bytes_total',
      help: 'Bytes not stored again because the content already existed (linked or unchanged)',
      registers: r,
    }),
    blobStoreBytes: new Gauge({
      name: 'kubecdn_blob_store_bytes',
      help: 'Bytes of blobs on this node’s disk',
      registers: r,
    }),
    journalRecords: new Counter({
      name: 'kubecdn_blob_journal_records_total',
      help: 'Small uploads made durable by a blob journal record (BLOB_JOURNAL_MAX_BYTES)',
      registers: r,
    }),
    journalSyncs: new Counter({
      name: 'kubecdn_blob_journal_syncs_total',
      help: 'Group commits of the blob journal: one write and one fdatasync for every record queued meanwhile',
      registers: r,
    }),
    blobStoreBlobs: new Gauge({
      name: 'kubecdn_blob_store_blobs',
      help: 'Number of blobs on this node’s disk',
      registers: r,
    }),
    gcRuns: new Counter({
      name: 'kubecdn_blob_gc_runs_total',
      help: 'Garbage collection passes completed',
      registers: r,
    }),
    blobsCollected: new Counter({
      name: 'kubecdn_blob_gc_collected_total',
      help: 'Unreferenced blobs (uploads that never committed) removed by garbage collection',
      registers: r,
    }),
  };
}

/** Where reads found their bytes, and blobs moved between nodes. "cache" is the node-local copy (hit) versus a peer
 *  fetch (miss, filled by the cluster); the hot cache (memoryCacheMetrics) is the in-memory layer above the disk. */
function peerMetrics(r: Registry[]) {
  return {
    cacheHits: new Counter({
      name: 'kubecdn_cache_hits_total',
      help: 'Reads served from a copy on this node',
      registers: r,
    }),
    cacheMisses: new Counter({
      name: 'kubecdn_cache_misses_total',
      help: 'Reads that had to fetch the blob from a peer',
      registers: r,
    }),
    peerFetches: new Counter({
      name: 'kubecdn_peer_fetches_total',
      help: 'Blob transfers from a peer (cache misses and heals)',
      registers: r,
    }),
    peerFetchBytes: new Counter({
      name: 'kubecdn_peer_fetch_bytes_total',
      help: 'Bytes fetched from peers',
      registers: r,
    }),
    peerFetchFailovers: new Counter({
      name: 'kubecdn_peer_fetch_failovers_total',
      help: 'Peer fetches that failed on one home and moved to the next',
      registers: r,
    }),
    coalescedWaiters: new Counter({
      name: 'kubecdn_peer_fetch_coalesced_total',
      help: 'Cache misses that waited for a peer transfer already under way instead of starting another',
      registers: r,
    }),
    replicaPushes: new Counter({
      name: 'kubecdn_replica_pushes_total',
      help: 'Blobs sent to another node (write replication, repair, handoff), by reason',
      labelNames: ['reason'] as const,
      registers: r,
    }),
  };
}

/** Replication health, the evictable cache of non-home blobs, and the members this node sees. */
function clusterMetrics(r: Registry[]) {
  return {
    repairRunning: new Gauge({
      name: 'kubecdn_repair_passes_running',
      help: 'Re-replication passes (repair, hand-off) under way on this node',
      registers: r,
    }),
    repairPending: new Gauge({
      name: 'kubecdn_repair_passes_pending',
      help: 'Repair passes due on this node but not begun (membership changed in the last 200 ms, or during a pass): 0 or 1',
      registers: r,
    }),
    repairPasses: new Counter({
      name: 'kubecdn_repair_passes_total',
      help: 'Re-replication passes finished (or stopped at their deadline) on this node, by reason',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    inventoryRequests: new Counter({
      name: 'kubecdn_repair_inventory_requests_total',
      help: 'Batched "which of these do you lack" requests a repair pass sent to peers, by result (answered, unsupported: an older peer, failed)',
      labelNames: ['result'] as const,
      registers: r,
    }),
    headProbes: new Counter({
      name: 'kubecdn_repair_head_probes_total',
      help: 'Per-blob HEAD probes a repair pass sent to peers that do not answer inventories (older versions)',
      registers: r,
    }),
    underReplicated: new Gauge({
      name: 'kubecdn_under_replicated_blobs',
      help: 'Blobs this node holds whose homes lacked a copy that the last repair pass could not restore',
      registers: r,
    }),
    cacheBytes: new Gauge({
      name: 'kubecdn_cache_bytes',
      help: 'Bytes of non-home (evictable) blobs cached on this node, bounded by CACHE_MAX_BYTES',
      registers: r,
    }),
    cacheEvictions: new Counter({
      name: 'kubecdn_cache_evictions_total',
      help: 'Non-home blobs removed from disk to stay under CACHE_MAX_BYTES',
      registers: r,
    }),
    members: new Gauge({
      name: 'kubecdn_cluster_members',
      help: 'Live cluster members in this node’s view',
      registers: r,
    }),
    invalidationMisses: new Counter({
      name: 'kubecdn_invalidation_misses_total',
      help: 'Members that did not acknowledge a head invalidation before the deadline',
      registers: r,
    }),
  };
}

/** The in-memory layers of the read path: blob bytes (hot cache) and heads (head cache). */
function memoryCacheMetrics(r: Registry[]) {
  return {
    hotCacheHits: new Counter({
      name: 'kubecdn_hot_cache_hits_total',
      help: 'Reads served from the in-memory hot cache',
      registers: r,
    }),
    hotCacheBytes: new Gauge({
      name: 'kubecdn_hot_cache_bytes',
      help: 'Bytes held by the in-memory hot cache',
      registers: r,
    }),
    headCacheHits: new Counter({
      name: 'kubecdn_head_cache_hits_total',
      help: 'Name-to-head resolutions answered without a Redis round trip',
      registers: r,
    }),
    headCacheMisses: new Counter({
      name: 'kubecdn_head_cache_misses_total',
      help: 'Name-to-head resolutions that read Redis',
      registers: r,
    }),
  };
}

/** Write serialization: per-name locks in both modes, fencing, commit retries. */
function lockMetrics(r: Registry[]) {
  return {
    lockAcquisitions: new Counter({
      name: 'kubecdn_lock_acquisitions_total',
      help: 'Per-name write lock acquisitions, by mode',
      labelNames: ['mode'] as const,
      registers: r,
    }),
    lockContended: new Counter({
      name: 'kubecdn_lock_contended_total',
      help: 'Lock acquisitions that had to wait for another holder, by mode',
      labelNames: ['mode'] as const,
      registers: r,
    }),
    lockWaitSeconds: new Histogram({
      name: 'kubecdn_lock_wait_seconds',
      help: 'Time spent waiting for a per-name write lock, by mode',
      labelNames: ['mode'] as const,
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: r,
    }),
    lockTimeouts: new Counter({
      name: 'kubecdn_lock_timeouts_total',
      help: 'Lock acquisitions that gave up (423 locked), by mode',
      labelNames: ['mode'] as const,
      registers: r,
    }),
    lockHoldSeconds: new Histogram({
      name: 'kubecdn_lock_hold_seconds',
      help: 'Time a write held its per-name lock, by mode',
      labelNames: ['mode'] as const,
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: r,
    }),
    staleFenceRejections: new Counter({
      name: 'kubecdn_lock_stale_fence_total',
      help: 'Commits refused because their fencing token was older than the last committed',
      registers: r,
    }),
    raMessages: new Counter({
      name: 'kubecdn_ra_messages_total',
      help: 'Ricart-Agrawala messages, by direction (sent, received) and type (request, reply)',
      labelNames: ['direction', 'type'] as const,
      registers: r,
    }),
    commitRetries: new Counter({
      name: 'kubecdn_commit_retries_total',
      help: 'Commits retried because another writer changed the file first',
      registers: r,
    }),
  };
}

/** Change notifications and the /events subscribers. */
function eventMetrics(r: Registry[]) {
  return {
    eventsPublished: new Counter({
      name: 'kubecdn_events_published_total',
      help: 'Change notifications published, by event',
      labelNames: ['event'] as const,
      registers: r,
    }),
    sseClients: new Gauge({
      name: 'kubecdn_sse_clients',
      help: 'Connected /events subscribers',
      registers: r,
    }),
    sseBufferedBytes: new Gauge({
      name: 'kubecdn_sse_buffered_bytes',
      help: 'Bytes of event data written to /events subscribers and not yet taken by their sockets (bounded per client and in total)',
      registers: r,
    }),
    sseDropped: new Counter({
      name: 'kubecdn_sse_dropped_total',
      help: '/events subscribers disconnected because they did not keep up (they resume from their last id)',
      registers: r,
    }),
  };
}

/** Integrity of the bytes on disk, and the health of the disk and of Redis. */
function integrityMetrics(r: Registry[]) {
  return {
    integrityFailures: new Counter({
      name: 'kubecdn_integrity_failures_total',
      help: 'Local blobs found corrupt (wrong size or digest), by where it was found (read, scrub, peer, upload)',
      labelNames: ['where'] as const,
      registers: r,
    }),
    blobsHealed: new Counter({
      name: 'kubecdn_blobs_healed_total',
      help: 'Quarantined blobs replaced by a verified copy from a healthy replica',
      registers: r,
    }),
    scrubbedBlobs: new Counter({
      name: 'kubecdn_scrub_blobs_total',
      help: 'Local blobs read and verified by the background scrub',
      registers: r,
    }),
    scrubbedBytes: new Counter({
      name: 'kubecdn_scrub_bytes_total',
      help: 'Bytes read and verified by the background scrub (rate-limited by SCRUB_BYTES_PER_SEC)',
      registers: r,
    }),
    diskHealthy: new Gauge({
      name: 'kubecdn_disk_writable',
      help: '1 while DATA_DIR accepts writes (the readiness probe’s last answer)',
      registers: r,
    }),
    redisUp: new Gauge({
      name: 'kubecdn_redis_up',
      help: '1 while Redis answers a PING within 1 s (the readiness check), read on each scrape',
      registers: r,
    }),
    commitDurability: new Gauge({
      name: 'kubecdn_redis_commit_durability',
      help: "1 for what an acknowledged version survives, read from Redis' settings: fsync (a machine crash), everysec (up to ~1 s lost in one), none, unknown",
      labelNames: ['mode'] as const,
      registers: r,
    }),
  };
}
