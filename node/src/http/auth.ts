// Write-token check for every write route. Compared as SHA-256 digests so the comparison takes the same time
// whatever the token's length or content.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { apiError } from '../errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export function requireToken(token: string | undefined): (req: Request, res: Response, next: NextFunction) => void {
  const want = token === undefined ? undefined : digest(token);
  return (req, res, next) => {
    if (want === undefined) return next();
    const header = req.headers.authorization;
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m?.[1]) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return next(apiError('unauthorized'));
    }
    if (!timingSafeEqual(digest(m[1]), want)) return next(apiError('forbidden'));
    next();
  };
}
