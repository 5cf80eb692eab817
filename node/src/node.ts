// Builds one file node from its config: connections, stores, caches, HTTP server. main.ts and the tests both use it.
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { Redis } from 'ioredis';
import { BlobCache } from './cluster/blobCache.js';
import { Cluster } from './cluster/cluster.js';
import type { Config } from './config.js';
import type { Deps } from './deps.js';
import { EventHub } from './events/hub.js';
import { Subscriber } from './events/subscriber.js';
import { createServer } from './http/app.js';
import { LocalLock } from './locks/localLock.js';
import { criticalSectionProbe } from './locks/probe.js';
import { RedisLeaseLock } from './locks/redisLease.js';
import { RicartAgrawalaLock } from './locks/ricartAgrawala.js';
import { SwitchLock } from './locks/switchLock.js';
import { createLogger, type Logger } from './log.js';
import { HeadCache } from './metadata/headCache.js';
import { MetadataStore } from './metadata/store.js';
import { Writer } from './metadata/writer.js';
import { createMetrics } from './metrics.js';
import { BlobStore } from './storage/blobStore.js';
import { collectGarbage } from './storage/gc.js';
import { HotCache } from './storage/hotCache.js';
import { Scrubber } from './storage/scrub.js';
import { Integrity, type HealFrom } from './storage/integrity.js';

export interface FileNode {
  readonly deps: Deps;
  readonly server: http.Server;
  /** http://host:port once listening */
  url: string;
  listen(): Promise<string>;
  close(): Promise<void>;
  gc(): Promise<number>;
}

export async function createNode(cfg: Config, log: Logger = createLogger(cfg.logLevel, cfg.nodeId)): Promise<FileNode> {
  const metrics = createMetrics(cfg.nodeId);
  const redis = new Redis(cfg.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
  });
  redis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis connection error'));
  await redis.connect();

  const blobs = new BlobStore(cfg.dataDir);
  await blobs.init();
  const store = new MetadataStore(redis, cfg.eventsStreamMaxLen);
  const heads = new HeadCache(cfg.headCacheMaxEntries);
  const subscriber = new Subscriber(cfg.redisUrl, log.child({ component: 'subscriber' }));
  subscriber.on('status', (s: string) => heads.setLive(s === 'subscribed'));
  subscriber.on('message', (msg: { filename: string }) => heads.invalidate(msg.filename));
  await subscriber.start();
  const hub = new EventHub(
    redis,
    subscriber,
    { maxClients: cfg.maxSseClients, heartbeatMs: cfg.sseHeartbeatMs },
    metrics,
    log.child({ component: 'events' }),
  );
  // Set once the node listens (the cluster needs the URL peers reach it at); the closures read it then.
  let cluster: Cluster | undefined;
  const localLock = new LocalLock(metrics);
  const leases = new RedisLeaseLock(redis, localLock, { nodeId: cfg.nodeId, writeTtlMs: cfg.lockTtlMs, writeWaitMs: cfg.lockWaitMs }, metrics);
  subscriber.on('lock-released', (name: string) => leases.wakeups.released(name));
  const lock = new SwitchLock(cfg.lockMode === 'redis' ? leases : localLock);
  let ra: RicartAgrawalaLock | undefined;
  const writer = new Writer(store, lock, metrics, {
    policy: cfg.dedupPolicy,
    nodeId: cfg.nodeId,
    onCommitted: async (name) => {
      heads.invalidate(name);
      await cluster?.coherence.invalidate(name);
    },
    replicate: (sha256, size) => cluster?.replicator.replicate(sha256, size) ?? Promise.resolve(),
    probe: cfg.lockProbe ? criticalSectionProbe(redis, cfg.lockProbeHoldMs) : undefined,
  });
  const hot = new HotCache(cfg.hotCacheMaxBytes, cfg.hotCacheMaxObjectBytes);
  const cache = new BlobCache(cfg.cacheMaxBytes, blobs, metrics);
  const healFrom = (): HealFrom | undefined => cluster && ((sha256, size) => cluster!.fetcher.fetch(sha256, size));
  const integrity = new Integrity(blobs, metrics, log.child({ component: 'integrity' }), healFrom, (sha) => store.contentSize(sha));
  const source = { blobs, hot, cache, integrity, metrics, fetcher: () => cluster?.fetcher };
  const raLock = (): RicartAgrawalaLock | undefined => ra;
  const deps: Deps = { cfg, log, metrics, redis, store, writer, leases, blobs, integrity, source, hot, cache, heads, subscriber, hub, cluster: undefined, ra: raLock };
  const server = createServer(deps);

  const scrubber = new Scrubber(blobs, integrity, metrics, log.child({ component: 'scrub' }), {
    bytesPerSec: cfg.scrubBytesPerSec,
    intervalMs: cfg.scrubIntervalMs,
  });
  const gc = (): Promise<number> => collectGarbage(blobs, store, metrics, log, cfg.gcGraceMs);
  let gcTimer: NodeJS.Timeout | undefined;

  const node: FileNode = {
    deps,
    server,
    url: '',
    gc,
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(cfg.port, cfg.host, () => resolve());
      });
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      node.url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`;
      if (cfg.gcIntervalMs > 0) {
        gcTimer = setInterval(() => void gc().catch((err: Error) => log.warn({ err: err.message }, 'gc failed')), cfg.gcIntervalMs);
        gcTimer.unref();
      }
      const secret = cfg.clusterSecret;
      if (secret !== undefined) {
        cluster = new Cluster({ ...cfg, clusterSecret: secret }, cfg.advertiseUrl ?? node.url, redis, { blobs, integrity, store, heads, cache, metrics, log });
        deps.cluster = cluster;
        heads.setTrust(() => cluster?.trusted() ?? false);
        if (cfg.lockMode === 'ricart-agrawala') {
          ra = new RicartAgrawalaLock(cluster.membership, cluster.peers, localLock, { waitMs: cfg.lockWaitMs }, metrics, log.child({ component: 'ra' }));
          lock.use(ra);
        }
        await cluster.start();
      } else {
        log.warn('standalone: CLUSTER_SECRET is not set, so this node does not join a cluster');
      }
      scrubber.start();
      log.info({ url: node.url, dataDir: cfg.dataDir, blobs: blobs.stats, cluster: cluster?.membership.ids() }, 'file node listening');
      return node.url;
    },
    async close() {
      if (gcTimer) clearInterval(gcTimer);
      await scrubber.stop();
      await cluster?.handoff().catch((err: Error) => log.error({ err: err.message }, 'hand-off failed'));
      cluster?.stop();
      hub.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), cfg.shutdownGraceMs);
      await closed;
      clearTimeout(timer);
      subscriber.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
  return node;
}
