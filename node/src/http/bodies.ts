// Request bodies before any handler reads them: a declared length over the limit is refused from the header alone,
// and JSON is parsed for any content type (the original API's clients do not all send application/json).
import express, { type Request, type RequestHandler } from 'express';
import { type ApiError, apiError } from '../errors.js';

/**
 * Refuses a body whose declared Content-Length is over `maxBytes`, from the header alone. A body parser reads off
 * every declared byte before it answers 413 (to keep the connection), so a client declaring more than it sends
 * would hang until the idle timeout; the error handler answers at once and closes the connection instead.
 */
export function refuseDeclaredOver(maxBytes: number): RequestHandler {
  return (req, _res, next) => next(declaredOver(req, maxBytes) ? tooLarge(maxBytes) : undefined);
}

/** express.json for any content type, behind refuseDeclaredOver(limit). */
export function jsonBody(limit: number): RequestHandler {
  const parse = express.json({ limit, type: () => true });
  const refuse = refuseDeclaredOver(limit);
  return (req, res, next) => refuse(req, res, (err?: unknown) => (err ? next(err) : parse(req, res, next)));
}

function declaredOver(req: Request, maxBytes: number): boolean {
  return Number(req.headers['content-length'] ?? 0) > maxBytes;
}

const tooLarge = (maxBytes: number): ApiError => apiError('payload_too_large', `The body is larger than ${maxBytes} bytes.`);
