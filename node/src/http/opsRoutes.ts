// Health, readiness, metrics, the API document and the event stream.
import express, { type RequestHandler, type Router } from 'express';
import type { Redis } from 'ioredis';
import type { Cluster } from '../cluster/cluster.js';
import { apiError } from '../errors.js';
import type { EventHub } from '../events/hub.js';
import type { Metrics } from '../metrics.js';
import type { BlobStore } from '../storage/blobStore.js';
import type { HotCache } from '../storage/hotCache.js';
import type { ClusterInfo, Health, Ready } from './answers.js';
import { openApiText } from './openapi.js';
import { eventsFrom } from './params.js';
import { mountFixed } from './routing.js';

const READY_TIMEOUT_MS = 1000;

export interface OpsRouteDeps {
  readonly nodeId: string;
  readonly redis: Pick<Redis, 'status' | 'ping'>;
  readonly blobs: Pick<BlobStore, 'writable' | 'stats'>;
  readonly hot: Pick<HotCache, 'bytes'>;
  readonly metrics: Metrics;
  /** present when CLUSTER_SECRET is configured */
  readonly cluster: Pick<Cluster, 'info'> | undefined;
  readonly hub: Pick<EventHub, 'open'>;
}

export function opsRouter(deps: OpsRouteDeps): Router {
  const router = express.Router();

  const get = (path: string, routeLabel: string, handler: RequestHandler): void => mountFixed(router, path, routeLabel, { get: [handler] });

  get('/healthz', 'healthz', (_req, res) => {
    const health: Health = { status: 'ok', node: deps.nodeId };
    res.json(health);
  });

  get('/readyz', 'readyz', async (_req, res) => {
    const [redis, disk] = await Promise.all([redisOk(deps), deps.blobs.writable()]);
    deps.metrics.diskHealthy.set(disk ? 1 : 0);
    deps.metrics.redisUp.set(redis ? 1 : 0);
    const checks = { redis, dataDir: disk };
    if (!redis || !disk) throw apiError('unavailable', 'Not ready.', { checks });
    const ready: Ready = { status: 'ready', node: deps.nodeId, checks };
    res.json(ready);
  });

  get('/metrics', 'metrics', async (_req, res) => {
    const m = deps.metrics;
    m.blobStoreBytes.set(deps.blobs.stats.bytes);
    m.blobStoreBlobs.set(deps.blobs.stats.blobs);
    m.hotCacheBytes.set(deps.hot.bytes);
    // Whether Redis answers, as /readyz asks it, not whether the socket is open: a hung Redis, or a partition that
    // drops packets, leaves the connection "ready" for as long as TCP takes to give up (minutes).
    m.redisUp.set((await redisOk(deps)) ? 1 : 0);
    const text = await m.registry.metrics();
    res.type(m.registry.contentType).send(text);
  });

  // Membership and this node's cache state (read-only; `kubecdn cluster` asks every member).
  get('/cluster', 'cluster', (_req, res) => {
    const info: ClusterInfo = deps.cluster?.info() ?? {
      self: deps.nodeId,
      members: [],
      standalone: true,
      replicationFactor: 1,
      cache: { bytes: 0, maxBytes: 0, entries: 0 },
      underReplicated: 0,
    };
    res.json(info);
  });

  // The API document (docs/openapi.json): public, the same for every node of a version; five minutes of caching
  // keeps a client from fetching its ~300 KB on every call while an upgrade is seen soon.
  get('/openapi.json', 'openapi', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('application/json').send(openApiText());
  });

  get('/events', 'events', (req, res) => deps.hub.open(req, res, eventsFrom(req)));

  return router;
}

async function redisOk(deps: OpsRouteDeps): Promise<boolean> {
  if (deps.redis.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([deps.redis.ping().then((r) => r === 'PONG'), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
