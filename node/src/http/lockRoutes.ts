// The lock API, for content providers who edit in several steps: take a lease on a name, write under its token
// (X-Lock-Token) while everyone else's writes get 423, refresh it, release it. All routes need the write token.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { apiError } from '../errors.js';
import { nameFromPath } from '../names.js';
import { requireToken } from './auth.js';
import { jsonBody, runChain, waitMsOf } from './filesRoutes.js';

const MAX_TTL_MS = 3_600_000;
const body = z.object({ ttlMs: z.number().int().min(100).max(MAX_TTL_MS).optional() }).strict();
const iso = (ms: number): string => new Date(ms).toISOString();

export function lockRouter(deps: Deps): Router {
  const router = express.Router();
  const auth = requireToken(deps.cfg.writeToken);
  const json = jsonBody(16 * 1024);

  router.use('/locks/', (req: Request, res: Response, next: NextFunction) => {
    res.metricsRoute = 'locks';
    const raw = (req.originalUrl.split('?')[0] ?? '').slice('/locks/'.length);
    const refresh = raw.endsWith('/refresh');
    const rawName = refresh ? raw.slice(0, -'/refresh'.length) : raw;
    const chain = (fn: (name: string) => Promise<void>): void =>
      runChain(req, res, next, [auth, json], () => fn(nameFromPath(rawName)));
    if (refresh) return req.method === 'POST' ? chain((n) => refreshLock(deps, n, req, res)) : next(apiError('method_not_allowed'));
    if (req.method === 'POST') return chain((n) => takeLock(deps, n, req, res));
    if (req.method === 'DELETE') return chain((n) => releaseLock(deps, n, req, res));
    if (req.method === 'GET') return chain((n) => showLock(deps, n, res));
    res.setHeader('Allow', 'GET, POST, DELETE');
    next(apiError('method_not_allowed'));
  });
  return router;
}

function ttlOf(req: Request): number {
  const parsed = body.safeParse(req.body ?? {});
  if (!parsed.success) throw apiError('invalid_request', `The body must be {"ttlMs": 100-${MAX_TTL_MS}} (optional).`);
  return parsed.data.ttlMs ?? 30_000;
}

function tokenOf(req: Request): string {
  const t = req.headers['x-lock-token'];
  if (typeof t !== 'string' || t === '') throw apiError('invalid_request', 'X-Lock-Token is required.');
  return t;
}

async function takeLock(deps: Deps, name: string, req: Request, res: Response): Promise<void> {
  const ttlMs = ttlOf(req);
  const waitMs = waitMsOf(req) ?? 0;
  const holder = typeof req.headers['x-lock-holder'] === 'string' ? req.headers['x-lock-holder'].slice(0, 128) : `api@${deps.cfg.nodeId}`;
  const deadline = Date.now() + waitMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const r = await deps.leases.tryAcquire(name, ttlMs, holder, 'api');
    if ('token' in r) {
      res.status(201).json({ name, token: r.token, fencingToken: r.fence, expiresAt: iso(r.expiresAt), holder });
      return;
    }
    if (Date.now() + delay > deadline) {
      throw apiError('locked', `"${name}" is locked by ${r.holder} until ${iso(r.expiresAt)}.`, { holder: r.holder, expiresAt: iso(r.expiresAt) });
    }
    await deps.leases.wakeups.wait(name, delay);
  }
}

async function refreshLock(deps: Deps, name: string, req: Request, res: Response): Promise<void> {
  const expires = await deps.leases.extend(name, tokenOf(req), ttlOf(req));
  if (expires === undefined) throw apiError('lock_not_held');
  res.json({ name, expiresAt: iso(expires) });
}

async function releaseLock(deps: Deps, name: string, req: Request, res: Response): Promise<void> {
  if (!(await deps.leases.release(name, tokenOf(req)))) throw apiError('lock_not_held');
  res.status(204).end();
}

async function showLock(deps: Deps, name: string, res: Response): Promise<void> {
  const info = await deps.leases.info(name);
  if (!info) {
    res.json({ name, locked: false });
    return;
  }
  res.json({ name, locked: true, holder: info.holder, kind: info.kind, fencingToken: info.fence, expiresAt: iso(info.expiresAt) });
}
