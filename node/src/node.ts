// Builds one file node from its config, each component once and in order: connections and stores, the listening
// socket (the cluster needs the address peers reach it at), the cluster, the write lock, the writer, the caches and
// the HTTP handler. main.ts and the tests both use it; close() stops everything in reverse.
import type http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { BlobCache } from './cluster/blobCache.js';
import { Cluster } from './cluster/cluster.js';
import type { Config } from './config.js';
import type { Deps } from './deps.js';
import { EventHub } from './events/hub.js';
import { Subscriber } from './events/subscriber.js';
import { bindServer, createHttpServer, serve } from './http/app.js';
import { longestWaitMs } from './http/httpRules.js';
import { LocalLock } from './locks/localLock.js';
import { criticalSectionProbe } from './locks/probe.js';
import { RedisLeaseLock } from './locks/redisLease.js';
import { RicartAgrawalaLock } from './locks/ricartAgrawala.js';
import type { WriteLock } from './locks/types.js';
import { createLogger, type Logger } from './log.js';
import { HeadCache } from './metadata/headCache.js';
import { MetadataStore } from './metadata/store.js';
import { pendingLeaseDelayMs, Writer } from './metadata/writer.js';
import { connectRedis, redisAuth, waitForRedis } from './metadata/connection.js';
import { watchDurability } from './metadata/durability.js';
import { createMetrics, initLockSeries, type Metrics } from './metrics.js';
import { BlobStore } from './storage/blobStore.js';
import { GarbageCollector } from './storage/gc.js';
import { HotCache } from './storage/hotCache.js';
import { Integrity } from './storage/integrity.js';
import { HashThread } from './storage/offThreadHash.js';
import { Scrubber } from './storage/scrub.js';
import type { IntegrityError } from './storage/verify.js';

export interface FileNode {
  readonly deps: Deps;
  readonly server: http.Server;
  /** http://host:port: the socket is bound by createNode */
  readonly url: string;
  /** Starts the long-lived parts (the cluster's heartbeat and repair, garbage collection, the scrub); the URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
  gc(): Promise<number>;
}

interface Parts {
  readonly blobs: BlobStore;
  readonly store: MetadataStore;
  readonly cache: BlobCache;
  readonly metrics: Metrics;
  readonly log: Logger;
}

/** The cluster side, when CLUSTER_SECRET is set (else standalone), and the node's one Integrity (the cluster's, if any). */
function clusterOf(cfg: Config, url: string, redis: Redis, parts: Parts): { cluster: Cluster | undefined; integrity: Integrity } {
  const { blobs, store, metrics, log } = parts;
  const secret = cfg.clusterSecret;
  if (secret === undefined) {
    log.warn('standalone: CLUSTER_SECRET is not set, so this node does not join a cluster');
    const integrity = new Integrity(blobs, metrics, log.child({ component: 'integrity' }), undefined, (sha) => store.contentSize(sha));
    return { cluster: undefined, integrity };
  }
  const cluster = new Cluster({ ...cfg, clusterSecret: secret }, cfg.advertiseUrl ?? url, redis, parts);
  return { cluster, integrity: cluster.integrity };
}

/** The writes' lock: Ricart-Agrawala among the cluster's members, a Redis lease, or this process only. */
function writeLock(cfg: Config, cluster: Cluster | undefined, locks: { leases: RedisLeaseLock; local: LocalLock; metrics: Metrics; log: Logger }): WriteLock {
  const { leases, local, metrics, log } = locks;
  if (cfg.lockMode === 'ricart-agrawala' && cluster) {
    return new RicartAgrawalaLock({
      membership: cluster.membership,
      peers: cluster.peers,
      local,
      metrics,
      log: log.child({ component: 'ra' }),
      waitMs: Math.min(cfg.lockWaitMs, longestWaitMs(cfg.idleTimeoutMs)),
    });
  }
  return cfg.lockMode === 'redis' ? leases : local;
}

/** The blob store; a rotten copy that an upload of the same bytes replaced is counted and logged. */
function blobStore(cfg: Config, metrics: Metrics, log: Logger, hashThread: HashThread): BlobStore {
  const onRotReplaced = (rot: IntegrityError): void => {
    metrics.integrityFailures.inc({ where: 'upload' });
    log.error({ sha256: rot.sha256, reason: rot.reason, err: rot.message }, 'corrupt blob replaced by an upload of the same bytes');
  };
  const journal = {
    maxBlobBytes: cfg.blobJournalMaxBytes,
    checkpointMs: cfg.blobJournalCheckpointMs,
    onError: (err: unknown, what: string) => log.error({ err: (err as Error).message }, what),
    onSync: (records: number) => {
      metrics.journalSyncs.inc();
      metrics.journalRecords.inc(records);
    },
  };
  return new BlobStore(cfg.dataDir, onRotReplaced, hashThread, journal);
}

/** Counting the stored blobs walks them all (a minute at a million): in the background, once the node is ready. */
function backgroundCount(blobs: BlobStore, log: Logger): { start(): void; stop(): Promise<void> } {
  const abort = new AbortController();
  let done: Promise<void> = Promise.resolve();
  return {
    start() {
      done = blobs
        .count(abort.signal)
        .then(() => log.info({ blobs: blobs.stats }, 'stored blobs counted'))
        .catch((err: Error) => log.warn({ err: err.message }, 'counting the stored blobs failed'));
    },
    async stop() {
      abort.abort();
      await done;
    },
  };
}

/** The write path's Writer: commits drop cached heads here and on every member. */
function createWriter(cfg: Config, p: { store: MetadataStore; lock: WriteLock; metrics: Metrics; heads: HeadCache; cluster: Cluster | undefined; redis: Redis; log: Logger }): Writer {
  const { cluster, heads, redis } = p;
  return new Writer(p.store, p.lock, p.metrics, {
    policy: cfg.dedupPolicy,
    nodeId: cfg.nodeId,
    onCommitted: async (name) => {
      heads.invalidate(name);
      await cluster?.coherence.invalidate(name);
    },
    replicate: cluster && ((sha256, size) => cluster.replicator.replicate(sha256, size)),
    pendingAfterMs: pendingLeaseDelayMs(cfg.gcGraceMs),
    probe: cfg.lockProbe ? criticalSectionProbe(redis, cfg.lockProbeHoldMs) : undefined,
    log: p.log.child({ component: 'writer' }),
  });
}

export async function createNode(cfg: Config, log: Logger = createLogger(cfg.logLevel, cfg.nodeId)): Promise<FileNode> {
  const metrics = createMetrics(cfg.nodeId);
  const redis = connectRedis(cfg, log);
  await waitForRedis(redis, cfg.redisUrl, log);
  const durability = watchDurability(redis, metrics, log);
  const hashThread = new HashThread(log.child({ component: 'hash' }));
  hashThread.start();
  const blobs = blobStore(cfg, metrics, log, hashThread);
  await blobs.init();
  const store = new MetadataStore(redis, cfg.eventsStreamMaxLen);
  const cache = new BlobCache(cfg.cacheMaxBytes, blobs, metrics, log.child({ component: 'cache' }));

  const server = createHttpServer(cfg);
  const url = await bindServer(server, cfg);
  const { cluster, integrity } = clusterOf(cfg, url, redis, { blobs, store, cache, metrics, log });

  const heads = new HeadCache(cfg.headCacheMaxEntries, cluster ? () => cluster.trusted() : undefined);
  cluster?.membership.on('stale', () => heads.clear());
  const subscriber = new Subscriber(cfg.redisUrl, redisAuth(cfg), log.child({ component: 'subscriber' }));
  subscriber.on('status', (s: string) => heads.setLive(s === 'subscribed'));
  subscriber.on('message', (msg: { filename: string }) => heads.invalidate(msg.filename));
  const localLock = new LocalLock(metrics);
  const leases = new RedisLeaseLock(redis, localLock, { nodeId: cfg.nodeId, writeTtlMs: cfg.lockTtlMs, writeWaitMs: Math.min(cfg.lockWaitMs, longestWaitMs(cfg.idleTimeoutMs)) }, metrics);
  subscriber.on('lock-released', (name: string) => leases.wakeups.released(name));
  await subscriber.start();
  const hub = new EventHub(redis, subscriber, { maxClients: cfg.maxSseClients, heartbeatMs: cfg.sseHeartbeatMs }, metrics, log.child({ component: 'events' }));

  const lock = writeLock(cfg, cluster, { leases, local: localLock, metrics, log });
  initLockSeries(metrics, lock.mode);
  const writer = createWriter(cfg, { store, lock, metrics, heads, cluster, redis, log });
  const hot = new HotCache({
    maxBytes: cfg.hotCacheMaxBytes,
    maxObjectBytes: cfg.hotCacheMaxObjectBytes,
    largeMaxBytes: cfg.hotLargeMaxBytes,
    largeMaxObjectBytes: cfg.hotLargeMaxObjectBytes,
  });
  const source = { blobs, hot, cache, integrity, metrics, fetcher: cluster?.fetcher };
  const ra = lock instanceof RicartAgrawalaLock ? lock : undefined;
  const deps: Deps = { cfg, log, metrics, redis, store, writer, leases, blobs, integrity, source, hot, cache, heads, subscriber, hub, cluster, ra };
  serve(server, deps);

  const scrubber = new Scrubber(blobs, integrity, metrics, log.child({ component: 'scrub' }), { bytesPerSec: cfg.scrubBytesPerSec, intervalMs: cfg.scrubIntervalMs });
  const collector = new GarbageCollector({ blobs, store, metrics, log: log.child({ component: 'gc' }) }, { intervalMs: cfg.gcIntervalMs, graceMs: cfg.gcGraceMs });
  const counting = backgroundCount(blobs, log);

  return {
    deps,
    server,
    url,
    gc: async () => (await collector.pass()).removed,
    async listen() {
      collector.start();
      await cluster?.start();
      scrubber.start();
      counting.start();
      log.info({ url, dataDir: cfg.dataDir, cluster: cluster?.membership.ids() }, 'file node listening');
      return url;
    },
    async close() {
      // New requests keep coming until every Ingress and Service has seen the pod go (endpoint updates take a moment
      // to propagate): the listener stays open at least this long, alongside the hand-off. Without it, a fast
      // hand-off closed it while Traefik still routed here (502s in a rolling update).
      const drained = delay(cfg.shutdownDrainMs);
      await collector.stop();
      await counting.stop();
      await scrubber.stop();
      await cluster?.handoff().catch((err: Error) => log.error({ err: err.message }, 'hand-off failed'));
      await drained;
      await cluster?.stop();
      hub.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), cfg.shutdownGraceMs);
      await closed;
      clearTimeout(timer);
      await hashThread.stop(); // after the server: no transfer is hashing any more
      await blobs.close(); // after the server: no upload is waiting for the journal
      subscriber.close();
      durability.stop();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
