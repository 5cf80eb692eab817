// Health, readiness, metrics and the event stream.
import express, { type Router } from 'express';
import type { Deps } from '../deps.js';
import { apiError } from '../errors.js';

const READY_TIMEOUT_MS = 1000;

export function opsRouter(deps: Deps): Router {
  const router = express.Router();

  router.get('/healthz', (_req, res) => {
    res.metricsRoute = 'healthz';
    res.json({ status: 'ok', node: deps.cfg.nodeId });
  });

  router.get('/readyz', (_req, res, next) => {
    res.metricsRoute = 'readyz';
    void (async () => {
      const [redis, disk] = await Promise.all([redisOk(deps), deps.blobs.writable()]);
      deps.metrics.diskHealthy.set(disk ? 1 : 0);
      const checks = { redis, dataDir: disk };
      if (redis && disk) res.json({ status: 'ready', node: deps.cfg.nodeId, checks });
      else next(apiError('unavailable', 'Not ready.', { checks }));
    })().catch(next);
  });

  router.get('/metrics', (_req, res, next) => {
    res.metricsRoute = 'metrics';
    const m = deps.metrics;
    m.blobStoreBytes.set(deps.blobs.stats.bytes);
    m.blobStoreBlobs.set(deps.blobs.stats.blobs);
    m.hotCacheBytes.set(deps.hot.bytes);
    m.redisUp.set(deps.redis.status === 'ready' ? 1 : 0);
    m.registry
      .metrics()
      .then((text) => res.type(m.registry.contentType).send(text))
      .catch(next);
  });

  // Membership and this node's cache state (read-only; `kubecdn cluster` asks every member).
  router.get('/cluster', (_req, res) => {
    res.metricsRoute = 'cluster';
    const c = deps.cluster;
    res.json(
      c?.info() ?? {
        self: deps.cfg.nodeId,
        members: [],
        standalone: true,
        replicationFactor: 1,
        cache: { bytes: 0, maxBytes: 0, entries: 0 },
        underReplicated: 0,
      },
    );
  });

  router.get('/events', (req, res, next) => {
    res.metricsRoute = 'events';
    const header = req.headers['last-event-id'];
    const query = req.query.from;
    // given twice, ?from= would be silently ignored and the client would miss events
    if (query !== undefined && typeof query !== 'string') return next(apiError('invalid_request', 'from must be given once.'));
    const from = typeof header === 'string' && header !== '' ? header : query;
    deps.hub.open(req, res, from).catch(next);
  });

  return router;
}

async function redisOk(deps: Deps): Promise<boolean> {
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
