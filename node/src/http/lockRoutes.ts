// The lock API, for content providers who edit in several steps: take a lease on a name, write under its token
// (X-Lock-Token) while everyone else's writes get 423, refresh it, release it. All routes need the write token.
import express, { type Request, type Response, type Router } from 'express';
import { apiError } from '../errors.js';
import type { LockRefreshed, LockState, LockTaken } from './answers.js';
import type { RedisLeaseLock } from '../locks/redisLease.js';
import { requireToken } from './auth.js';
import { jsonBody } from './bodies.js';
import { leaseTokenOf, lockRequest, lockTtlMs } from './params.js';
import { mount, nameOf, type NamedRoute } from './routing.js';

const JSON_MAX_BYTES = 16 * 1024;
const iso = (ms: number): string => new Date(ms).toISOString();

// Paths below the mount point, /locks (matched as Express matches a mount path: "/locks" and "/LOCKS/a" too; "/locks"
// alone is the lock of an empty name, invalid_name). Every 405 names what is allowed (RFC 9110 15.5.6, docs/api.md).
const LOCK_REFRESH: NamedRoute = { path: /^\/.*\/refresh$/, prefix: '/', suffix: '/refresh', label: 'locks', allow: 'POST' };
const LOCK: NamedRoute = { path: /^\//, prefix: '/', suffix: '', label: 'locks', allow: 'GET, POST, DELETE' };

export interface LockRouteDeps {
  readonly leases: Pick<RedisLeaseLock, 'tryAcquire' | 'wakeups' | 'extend' | 'release' | 'info'>;
  /** WRITE_TOKEN; undefined: open */
  readonly writeToken: string | undefined;
  /** the holder a lease is shown under when the request names none: api@<node id> */
  readonly nodeId: string;
  /** the longest a request waits for a lock (longestWaitMs) */
  readonly maxWaitMs: number;
}

export function lockRouter(deps: LockRouteDeps): Router {
  const locks = express.Router();
  const auth = requireToken(deps.writeToken);
  const json = jsonBody(JSON_MAX_BYTES);

  mount(locks, LOCK_REFRESH, { post: [auth, json, (req, res) => refreshLock(deps, req, res)] });
  mount(locks, LOCK, {
    post: [auth, json, (req, res) => takeLock(deps, req, res)],
    delete: [auth, json, (req, res) => releaseLock(deps, req, res)],
    get: [auth, json, (req, res) => showLock(deps, req, res)],
  });
  return express.Router().use('/locks', locks);
}

async function takeLock(deps: LockRouteDeps, req: Request, res: Response): Promise<void> {
  const name = nameOf(LOCK, req);
  const { ttlMs, waitMs, holder } = lockRequest(req, `api@${deps.nodeId}`, deps.maxWaitMs);
  const deadline = Date.now() + waitMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const r = await deps.leases.tryAcquire(name, ttlMs, holder, 'api');
    if ('token' in r) {
      const taken: LockTaken = { name, token: r.token, fencingToken: r.fence, expiresAt: iso(r.expiresAt), holder };
      res.status(201).json(taken);
      return;
    }
    if (Date.now() + delay > deadline) {
      throw apiError('locked', `"${name}" is locked by ${r.holder} until ${iso(r.expiresAt)}.`, { holder: r.holder, expiresAt: iso(r.expiresAt) });
    }
    await deps.leases.wakeups.wait(name, delay);
  }
}

async function refreshLock(deps: LockRouteDeps, req: Request, res: Response): Promise<void> {
  const name = nameOf(LOCK_REFRESH, req);
  const expires = await deps.leases.extend(name, leaseTokenOf(req), lockTtlMs(req.body));
  if (expires === undefined) throw apiError('lock_not_held');
  const refreshed: LockRefreshed = { name, expiresAt: iso(expires) };
  res.json(refreshed);
}

async function releaseLock(deps: LockRouteDeps, req: Request, res: Response): Promise<void> {
  if (!(await deps.leases.release(nameOf(LOCK, req), leaseTokenOf(req)))) throw apiError('lock_not_held');
  res.status(204).end();
}

async function showLock(deps: LockRouteDeps, req: Request, res: Response): Promise<void> {
  const name = nameOf(LOCK, req);
  const info = await deps.leases.info(name);
  const state: LockState = info
    ? { name, locked: true, holder: info.holder, kind: info.kind, fencingToken: info.fence, expiresAt: iso(info.expiresAt) }
    : { name, locked: false };
  res.json(state);
}
