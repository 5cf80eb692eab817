// The node's HTTP server: the lean read path first, Express for everything else, one error handler, and one log
// line plus metrics per request.
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Deps } from '../deps.js';
import { ApiError, apiError } from '../errors.js';
import { peerRouter } from '../cluster/peerRoutes.js';
import { compatRouter } from './compatRoutes.js';
import { filesRouter } from './filesRoutes.js';
import { lockRouter } from './lockRoutes.js';
import { opsRouter } from './opsRoutes.js';
import { createReadPath } from './readPath.js';
import { sendError, withDependencyState } from './respond.js';

// Errors thrown by Express's body parser carry a `type`; map them to catalogue codes.
const BODY_ERRORS: Record<string, ApiError['code']> = {
  'entity.parse.failed': 'invalid_json',
  'entity.too.large': 'payload_too_large',
  'encoding.unsupported': 'unsupported_media_type',
  'charset.unsupported': 'unsupported_media_type',
  'request.aborted': 'incomplete_body',
  'request.size.invalid': 'incomplete_body',
};

export function createExpressApp(deps: Deps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(
    peerRouter({
      secret: deps.cfg.clusterSecret,
      blobs: deps.blobs,
      cache: deps.cache,
      heads: deps.heads,
      maxUploadBytes: deps.cfg.maxUploadBytes,
      ra: deps.ra,
    }),
  );
  app.use(opsRouter(deps));
  app.use(filesRouter(deps));
  app.use(lockRouter(deps));
  app.use(compatRouter(deps));
  app.use((_req: Request, _res: Response, next: NextFunction) => next(apiError('route_not_found')));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const bodyCode = BODY_ERRORS[(err as { type?: string } | null)?.type ?? ''];
    const api = bodyCode ? new ApiError(bodyCode, undefined, undefined, { cause: err }) : err;
    // An unread request body cannot be left on a keep-alive connection: close it after answering.
    if (!req.complete) res.setHeader('Connection', 'close');
    sendError(res, withDependencyState(api, deps.redis.status === 'ready'));
  });
  return app;
}

export function createServer(deps: Deps): http.Server {
  const app = createExpressApp(deps);
  const readPath = createReadPath({
    store: deps.store,
    heads: deps.heads,
    hot: deps.hot,
    blobs: deps.blobs,
    metrics: deps.metrics,
    cacheControlLatest: deps.cfg.cacheControlLatest,
    cache: deps.cache,
    fetcher: () => deps.cluster?.fetcher,
    redisReady: () => deps.redis.status === 'ready',
  });
  const observe = requestObserver(deps);
  const server = http.createServer(
    {
      headersTimeout: deps.cfg.headersTimeoutMs,
      requestTimeout: deps.cfg.requestTimeoutMs,
      keepAliveTimeout: 5000,
      // how often Node checks headersTimeout/requestTimeout (its default, 30 s, would let a slow client linger)
      connectionsCheckingInterval: Math.min(1000, deps.cfg.headersTimeoutMs),
    },
    (req, res) => {
      observe(req, res);
      if (!readPath(req, res)) app(req, res);
    },
  );
  // Idle sockets (including a stalled upload body) are closed after IDLE_TIMEOUT_MS without a byte.
  server.setTimeout(deps.cfg.idleTimeoutMs, (socket) => socket.destroy());
  return server;
}

/** Request id, one log line and metrics per request. */
function requestObserver(deps: Deps): (req: IncomingMessage, res: ServerResponse) => void {
  const prefix = randomBytes(4).toString('hex');
  let seq = 0;
  const { log, metrics } = deps;
  return (req, res) => {
    const start = performance.now();
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : `${prefix}-${(seq++).toString(36)}`;
    res.setHeader('X-Request-Id', id);
    res.once('close', () => {
      const route = res.metricsRoute ?? 'other';
      const status = res.writableFinished ? res.statusCode : 499; // 499: the client went away first
      const seconds = (performance.now() - start) / 1000;
      metrics.requests.inc({ route, method: req.method ?? '', status });
      metrics.requestDuration.observe({ route, method: req.method ?? '' }, seconds);
      // Express rewrites req.url inside routers; originalUrl is what the client sent.
      const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url;
      const line = { req: id, method: req.method, url, route, status, ms: Math.round(seconds * 1e4) / 10 };
      if (res.failure) log.error({ ...line, err: res.failure }, 'request failed');
      else log.info(line, 'request');
    });
  };
}
