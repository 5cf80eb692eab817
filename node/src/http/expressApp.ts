// Express, for everything the lean read path declines: each router given only what it uses, then one error
// handler that answers in the catalogue's JSON.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { peerRouter } from '../cluster/peerRoutes.js';
import type { Deps } from '../deps.js';
import { ApiError, apiError } from '../errors.js';
import { bodyError, refuseDeclaredOver } from './bodies.js';
import { compatRouter } from './compatRoutes.js';
import { corsMiddleware } from './cors.js';
import { filesRouter, type FilesRouteDeps, type UploadDeps } from './filesRoutes.js';
import { longestWaitMs } from './httpRules.js';
import { lockRouter } from './lockRoutes.js';
import { opsRouter } from './opsRoutes.js';
import { NOSNIFF, sendError, withDependencyState } from './respond.js';
import { hashInPath } from './routing.js';

export function createExpressApp(deps: Deps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.set(NOSNIFF);
    next();
  });
  // Before any route: a preflight is answered here, and every answer (errors too) carries the CORS headers.
  for (const cors of corsMiddleware(deps.cfg.corsOrigins)) app.use(cors);
  app.use(hashInPath);
  // No route takes a body over MAX_UPLOAD_BYTES: refused on the header, before any body parser waits for it.
  app.use(refuseDeclaredOver(deps.cfg.maxUploadBytes));
  for (const router of routers(deps)) app.use(router);
  app.use((_req: Request, _res: Response, next: NextFunction) => next(apiError('route_not_found')));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    // An unread request body cannot be left on a keep-alive connection: close it after answering.
    if (!req.complete) res.setHeader('Connection', 'close');
    sendError(res, withDependencyState(fromExpress(err), deps.redis.status === 'ready'));
  });
  return app;
}

/** The routers in the order they are tried, each given only what it uses. */
function routers(deps: Deps): Router[] {
  const { cfg } = deps;
  const peers = peerRouter({
    secret: cfg.clusterSecret,
    blobs: deps.blobs,
    integrity: deps.integrity,
    cache: deps.cache,
    heads: deps.heads,
    maxUploadBytes: cfg.maxUploadBytes,
    ra: deps.ra,
  });
  const ops = opsRouter({ nodeId: cfg.nodeId, redis: deps.redis, blobs: deps.blobs, hot: deps.hot, metrics: deps.metrics, cluster: deps.cluster, hub: deps.hub });
  const uploads = uploadDeps(deps);
  const files = filesRouter({ ...uploads, store: deps.store });
  const locks = lockRouter({ leases: deps.leases, writeToken: cfg.writeToken, nodeId: cfg.nodeId, maxWaitMs: uploads.maxWaitMs });
  const readCompat = { readCompatMaxFiles: cfg.readCompatMaxFiles, readCompatMaxBytes: cfg.readCompatMaxBytes };
  const compat = compatRouter({ ...uploads, ...readCompat, store: deps.store, source: deps.source });
  return [peers, ops, files, locks, compat];
}

/** What writing a file takes, from the node's parts (the /files and original-API routes, and writePath.ts). */
function uploadDeps(deps: Deps): UploadDeps {
  const { cfg } = deps;
  return {
    writer: deps.writer,
    blobs: deps.blobs,
    metrics: deps.metrics,
    writeToken: cfg.writeToken,
    maxUploadBytes: cfg.maxUploadBytes,
    jsonBodyMaxBytes: cfg.jsonBodyMaxBytes,
    maxWaitMs: longestWaitMs(cfg.idleTimeoutMs),
  };
}

export const filesRouteDeps = (deps: Deps): FilesRouteDeps => ({ ...uploadDeps(deps), store: deps.store });

/**
 * Pure: Express's own errors as catalogue errors. The body parser's carry a `type`; any other with a 4xx `status`
 * is the request's fault found by Express itself (a path parameter that is not valid percent-encoding, for one).
 */
function fromExpress(err: unknown): unknown {
  if (err instanceof ApiError || typeof err !== 'object' || err === null) return err;
  const body = bodyError(err);
  if (body) return body;
  const { status } = err as { status?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 500) return new ApiError('bad_request', undefined, undefined, { cause: err });
  return err;
}
