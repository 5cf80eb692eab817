// Routes for cluster peers only (blob transfer, repair, invalidation acks), behind a signature (X-Cluster-Auth) or the
// secret itself (X-Cluster-Secret). Not for the ingress: without either every one of them answers 403 peer_forbidden.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { apiError } from '../errors.js';
import { sameSecret } from '../http/auth.js';
import type { HeadCache } from '../metadata/headCache.js';
import { DIGEST_RE, isNotFound, type BlobStore } from '../storage/blobStore.js';
import type { Integrity } from '../storage/integrity.js';
import { pumpBlob } from '../storage/pump.js';
import { isIntegrityError } from '../storage/verify.js';
import type { RicartAgrawalaLock } from '../locks/ricartAgrawala.js';
import type { BlobCache } from './blobCache.js';
import { declaredLength, jsonBody } from '../http/bodies.js';
import { answerInventory, INVENTORY_MAX_BYTES, INVENTORY_PATH, inventoryRequest } from './inventory.js';
import { AUTH_HEADER, verifyPeerRequest } from './peerAuth.js';
import { EXPECTED_SIZE_HEADER, SECRET_HEADER } from './peerClient.js';

const invalidateBody = z.object({ names: z.array(z.string()).max(1000) });
const raBody = z.object({
  name: z.string().min(1).max(4096),
  ts: z.number().int().min(0),
  from: z.string().min(1).max(63),
  /** REPLY: the timestamp of the request it answers */
  re: z.number().int().min(0).optional(),
});

export interface PeerRouteDeps {
  readonly secret: string | undefined;
  readonly blobs: BlobStore;
  readonly integrity: Integrity;
  readonly cache: BlobCache | undefined;
  readonly heads: HeadCache;
  readonly maxUploadBytes: number;
  /** the Ricart-Agrawala lock, when LOCK_MODE=ricart-agrawala */
  readonly ra: RicartAgrawalaLock | undefined;
}

export function peerRouter(deps: PeerRouteDeps): Router {
  const router = express.Router();
  const requireSecret = (req: Request, res: Response, next: NextFunction): void => {
    res.metricsRoute = 'peer';
    if (deps.secret === undefined) return next(apiError('peer_forbidden'));
    // Peers sign (X-Cluster-Auth); the secret itself (X-Cluster-Secret) is still accepted from tools and from nodes
    // of an older version during a rolling upgrade.
    const signed = req.headers[AUTH_HEADER];
    if (signed !== undefined) {
      const v = verifyPeerRequest(deps.secret, signed, req.method, req.originalUrl, Date.now());
      return v.ok ? next() : next(apiError('peer_forbidden', `Peer signature refused (${v.reason}).`));
    }
    const given = req.headers[SECRET_HEADER];
    if (typeof given !== 'string' || !sameSecret(given, deps.secret)) {
      return next(apiError('peer_forbidden'));
    }
    next();
  };
  const expectedSize = (req: Request): number | undefined => {
    const v = req.headers[EXPECTED_SIZE_HEADER];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^\d{1,15}$/.test(v)) throw apiError('invalid_header', `${EXPECTED_SIZE_HEADER} must be a byte count.`);
    return Number(v);
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
      .ingest(req, { maxBytes: deps.maxUploadBytes, expectedSha256: s, declaredBytes: declaredLength(req) })
      .then((r) => {
        deps.cache?.pin(s); // pushed here because this node is (or stands in for) a home
        res.status(r.created ? 201 : 200).end();
      })
      .catch(next);
  });

  // A blob for a peer (a miss there, a repair probe with HEAD): size-checked before the headers, digest-checked as it
  // streams (the last chunk held back), so a rotten copy is refused (404: the peer tries the next home) or cut,
  // never handed over whole; either way it is quarantined here and healed from a replica.
  router.get('/internal/blobs/:sha', (req, res, next) => {
    const s = sha(req);
    const size = expectedSize(req);
    serveToPeer(deps, s, size, req.method === 'HEAD', res).catch((err: unknown) => {
      if (isNotFound(err)) return next(apiError('blob_not_found'));
      if (!isIntegrityError(err)) return next(err);
      void deps.integrity.corruptAndHeal(err, 'peer', size);
      next(apiError('blob_not_found', 'The copy on this node failed its integrity check.'));
    });
  });

  // A repair pass's batch (inventory.ts): which of these blobs this node lacks or holds a bad copy of. Names are
  // digests only (never paths), checked by stat; the body is bounded (INVENTORY_MAX_BYTES, INVENTORY_MAX_BLOBS).
  router.post(INVENTORY_PATH, jsonBody(INVENTORY_MAX_BYTES), (req, res, next) => {
    const body = inventoryRequest.safeParse(req.body);
    if (!body.success) return next(apiError('invalid_request', 'An inventory is {"blobs":[{"sha256","size"}]}, at most 5000.'));
    answerInventory(deps, body.data.blobs)
      .then((answer) => res.json(answer))
      .catch(next);
  });

  router.post('/internal/ra/:type', express.json({ limit: '16kb' }), (req, res, next) => {
    const body = raBody.safeParse(req.body);
    const ra = deps.ra;
    if (!body.success || (req.params.type !== 'request' && req.params.type !== 'reply')) return next(apiError('invalid_request'));
    if (!ra) return next(apiError('invalid_request', 'This node is not in LOCK_MODE=ricart-agrawala.'));
    const { name, ts, from, re } = body.data;
    if (req.params.type === 'request') ra.onRequest(name, ts, from);
    else ra.onReply(name, ts, from, re);
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

// HEAD verifies blobs up to this size inline (~10 ms); bigger ones are left to the scrub unless already verified.
const HEAD_VERIFY_MAX_BYTES = 16 * 1024 * 1024;

async function serveToPeer(deps: PeerRouteDeps, s: string, size: number | undefined, head: boolean, res: Response): Promise<void> {
  const want = size ?? (await deps.blobs.size(s));
  if (want === undefined) throw Object.assign(new Error('no copy'), { code: 'ENOENT' });
  const open = await deps.blobs.openChecked(s, want);
  if (head) {
    await open.close();
    if (want <= HEAD_VERIFY_MAX_BYTES && !deps.blobs.verifiedSince(s, open.stat)) {
      const bad = await deps.blobs.verifyFile(s);
      if (bad) throw bad;
    }
    res.writeHead(200, { 'Content-Length': String(want), 'Content-Type': 'application/octet-stream' }).end();
    return;
  }
  deps.cache?.touch(s);
  res.writeHead(200, { 'Content-Length': String(want), 'Content-Type': 'application/octet-stream' });
  try {
    await pumpBlob(open, res, { sha256: s, size: want, onBad: () => deps.blobs.condemn(s) });
  } catch (err) {
    res.destroy(); // a peer that went away, a disk error, or a bad copy: cut, never complete
    if (isIntegrityError(err)) void deps.integrity.corruptAndHeal(err, 'peer', want);
  }
}
