// Routes for cluster peers only (blob transfer, repair, invalidation acks), behind X-Cluster-Secret. Not for the
// ingress: without the secret every one of them answers 403 peer_forbidden.
import { createHash, timingSafeEqual } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { apiError } from '../errors.js';
import type { HeadCache } from '../metadata/headCache.js';
import { DIGEST_RE, type BlobStore } from '../storage/blobStore.js';
import type { RicartAgrawalaLock } from '../locks/ricartAgrawala.js';
import type { BlobCache } from './blobCache.js';
import { SECRET_HEADER } from './peerClient.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
const invalidateBody = z.object({ names: z.array(z.string()).max(1000) });
const raBody = z.object({ name: z.string().min(1).max(4096), ts: z.number().int().min(0), from: z.string().min(1).max(63) });

export function peerRouter(deps: {
  secret: string | undefined;
  blobs: BlobStore;
  cache: BlobCache | undefined;
  heads: HeadCache;
  maxUploadBytes: number;
  /** the Ricart-Agrawala lock, when LOCK_MODE=ricart-agrawala */
  ra: () => RicartAgrawalaLock | undefined;
}): Router {
  const router = express.Router();
  const want = deps.secret === undefined ? undefined : digest(deps.secret);
  const requireSecret = (req: Request, res: Response, next: NextFunction): void => {
    res.metricsRoute = 'peer';
    const given = req.headers[SECRET_HEADER];
    if (want === undefined || typeof given !== 'string' || !timingSafeEqual(digest(given), want)) {
      return next(apiError('peer_forbidden'));
    }
    next();
  };
  const sha = (req: Request): string => {
    const s = String(req.params.sha);
    if (!DIGEST_RE.test(s)) throw apiError('invalid_digest');
    return s;
  };

  router.use('/internal', requireSecret);

  // A blob pushed by a peer (write replication, repair, hand-off): verified against its name, stored once.
  router.put('/internal/blobs/:sha', (req, res, next) => {
    const s = sha(req);
    deps.blobs
      .ingest(req, { maxBytes: deps.maxUploadBytes, expectedSha256: s })
      .then((r) => {
        deps.cache?.pin(s); // pushed here because this node is (or stands in for) a home
        res.status(r.created ? 201 : 200).end();
      })
      .catch(next);
  });

  router.get('/internal/blobs/:sha', (req, res, next) => {
    const s = sha(req);
    deps.blobs
      .size(s)
      .then((size) => {
        if (size === undefined) return next(apiError('blob_not_found'));
        deps.cache?.touch(s);
        res.writeHead(200, { 'Content-Length': String(size), 'Content-Type': 'application/octet-stream' });
        if (req.method === 'HEAD') return res.end();
        // pipeline, not pipe: a peer that goes away must close the file too
        pipeline(deps.blobs.openRead(s), res).catch(() => res.destroy());
      })
      .catch(next);
  });

  router.post('/internal/ra/:type', express.json({ limit: '16kb' }), (req, res, next) => {
    const body = raBody.safeParse(req.body);
    const ra = deps.ra();
    if (!body.success || (req.params.type !== 'request' && req.params.type !== 'reply')) return next(apiError('invalid_request'));
    if (!ra) return next(apiError('invalid_request', 'This node is not in LOCK_MODE=ricart-agrawala.'));
    const { name, ts, from } = body.data;
    if (req.params.type === 'request') ra.onRequest(name, ts, from);
    else ra.onReply(name, ts, from);
    res.status(204).end();
  });

  router.post('/internal/invalidate', express.json({ limit: '256kb' }), (req, res, next) => {
    const body = invalidateBody.safeParse(req.body);
    if (!body.success) return next(apiError('invalid_request'));
    for (const name of body.data.names) deps.heads.invalidate(name);
    res.status(204).end();
  });

  return router;
}
