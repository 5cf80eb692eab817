// Secret checks: the write token for every write route, and the one comparison every secret goes through (the
// cluster secret in cluster/peerRoutes.ts too).
import { hash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { apiError, type ApiError } from '../errors.js';

// crypto.hash is one call (2.9 us here); createHash().update().digest() was 4.2 us, and every write paid two.
const digest = (s: string): Buffer => hash('sha256', s, 'buffer');

// The configured secrets' digests (the write token, the cluster secret), computed once each.
const MAX_WANTED = 8;
const wanted = new Map<string, Buffer>();
function digestOfWanted(want: string): Buffer {
  let d = wanted.get(want);
  if (d === undefined) {
    d = digest(want);
    if (wanted.size < MAX_WANTED) wanted.set(want, d);
  }
  return d;
}

/**
 * Whether a secret a client sent is the expected one. Compared as SHA-256 digests, so the comparison takes the same
 * time whatever the given secret's length or content.
 */
export const sameSecret = (given: string, want: string): boolean => timingSafeEqual(digest(given), digestOfWanted(want));

/**
 * Pure: why a request with this Authorization header may not write (unauthorized: no bearer token, answered with
 * WWW-Authenticate: Bearer; forbidden: another token), or undefined when it may. No token configured: writes are open.
 */
export function tokenRefusal(token: string | undefined, header: string | undefined): ApiError | undefined {
  if (token === undefined) return undefined;
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m?.[1]) return apiError('unauthorized');
  return sameSecret(m[1], token) ? undefined : apiError('forbidden');
}

/** The WWW-Authenticate header that goes with a refusal (RFC 6750: only when no token was given). */
export const challengeOf = (refusal: ApiError): Record<string, string> => (refusal.code === 'unauthorized' ? { 'WWW-Authenticate': 'Bearer' } : {});

export function requireToken(token: string | undefined): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const refusal = tokenRefusal(token, req.headers.authorization);
    if (refusal) res.set(challengeOf(refusal));
    next(refusal);
  };
}
