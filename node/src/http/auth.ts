// Secret checks: the write token for every write route, and the one comparison every secret goes through (the
// cluster secret in cluster/peerRoutes.ts too).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { apiError } from '../errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Whether a secret a client sent is the expected one. Compared as SHA-256 digests, so the comparison takes the same
 * time whatever the given secret's length or content.
 */
export const sameSecret = (given: string, want: string): boolean => timingSafeEqual(digest(given), digest(want));

export function requireToken(token: string | undefined): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    if (token === undefined) return next();
    const header = req.headers.authorization;
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m?.[1]) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return next(apiError('unauthorized'));
    }
    if (!sameSecret(m[1], token)) return next(apiError('forbidden'));
    next();
  };
}
