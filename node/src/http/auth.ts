// Secret checks: the write token for every write route, and the one comparison every secret goes through (the
// cluster secret in cluster/peerRoutes.ts too).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { apiError, type ApiError } from '../errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Whether a secret a client sent is the expected one. Compared as SHA-256 digests, so the comparison takes the same
 * time whatever the given secret's length or content.
 */
export const sameSecret = (given: string, want: string): boolean => timingSafeEqual(digest(given), digest(want));

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
