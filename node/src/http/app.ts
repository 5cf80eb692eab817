// The node's HTTP server: the lean read path first, Express for everything else, one error handler, and one log
// line plus metrics per request (observe.ts).
import http from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Deps } from '../deps.js';
import { ApiError, apiError } from '../errors.js';
import { accessLog } from '../log.js';
import { peerRouter } from '../cluster/peerRoutes.js';
import { compatRouter } from './compatRoutes.js';
import { filesRouter } from './filesRoutes.js';
import { lockRouter } from './lockRoutes.js';
import { opsRouter } from './opsRoutes.js';
import { RequestObserver } from './observe.js';
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
      integrity: deps.integrity,
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
  const observer = new RequestObserver(deps.metrics, deps.log, accessLog(deps.log));
  const readPath = createReadPath({
    store: deps.store,
    heads: deps.heads,
    hot: deps.hot,
    metrics: deps.metrics,
    cacheControlLatest: deps.cfg.cacheControlLatest,
    source: deps.source,
    redisReady: () => deps.redis.status === 'ready',
    observer,
  });
  const server = http.createServer(
    {
      headersTimeout: deps.cfg.headersTimeoutMs,
      requestTimeout: deps.cfg.requestTimeoutMs,
      keepAliveTimeout: 5000,
      // how often Node checks headersTimeout/requestTimeout (its default, 30 s, would let a slow client linger)
      connectionsCheckingInterval: Math.min(1000, deps.cfg.headersTimeoutMs),
    },
    (req, res) => {
      if (readPath(req, res)) return;
      observer.watch(req, res);
      app(req, res);
    },
  );
  // Idle sockets (including a stalled upload body) are closed after IDLE_TIMEOUT_MS without a byte.
  server.setTimeout(deps.cfg.idleTimeoutMs, (socket) => socket.destroy());
  return server;
}
