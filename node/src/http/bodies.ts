// Request bodies before any handler reads them: a declared length over the limit is refused from the header alone,
// and JSON is parsed for any content type (the original API's clients do not all send application/json).
import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler } from 'express';
import { ApiError, apiError } from '../errors.js';

// Errors thrown by Express's body parser carry a `type`; map them to catalogue codes.
const BODY_ERRORS: Record<string, ApiError['code']> = {
  'entity.parse.failed': 'invalid_json',
  'entity.too.large': 'payload_too_large',
  'encoding.unsupported': 'unsupported_media_type',
  'charset.unsupported': 'unsupported_media_type',
  'request.aborted': 'incomplete_body',
  'request.size.invalid': 'incomplete_body',
};

/** Pure: the body parser's error as a catalogue error, or undefined when `err` is not one of its. */
export function bodyError(err: unknown): ApiError | undefined {
  if (typeof err !== 'object' || err === null || err instanceof ApiError) return undefined;
  const { type } = err as { type?: unknown };
  const code = typeof type === 'string' && Object.hasOwn(BODY_ERRORS, type) ? BODY_ERRORS[type] : undefined;
  return code && new ApiError(code, undefined, undefined, { cause: err });
}

/**
 * Refuses a body whose declared Content-Length is over `maxBytes`, from the header alone. A body parser reads off
 * every declared byte before it answers 413 (to keep the connection), so a client declaring more than it sends
 * would hang until the idle timeout; the error handler answers at once and closes the connection instead.
 */
export function refuseDeclaredOver(maxBytes: number): RequestHandler {
  return (req, _res, next) => next(declaredOver(req, maxBytes) ? tooLarge(maxBytes) : undefined);
}

/**
 * express.json for any content type, behind refuseDeclaredOver(limit). Its errors leave as catalogue errors, so the
 * route's own error handler sees them as such (the original API answers them in its own shape: schemathesis found
 * a malformed body answered there without the old "message" field).
 */
export function jsonBody(limit: number): RequestHandler {
  const parse = express.json({ limit, type: () => true });
  const refuse = refuseDeclaredOver(limit);
  const parsed = (next: (err?: unknown) => void) => (err?: unknown) => next(err === undefined ? undefined : (bodyError(err) ?? err));
  return (req, res, next) => refuse(req, res, (err?: unknown) => (err ? next(err) : parse(req, res, parsed(next))));
}

/** Pure: the request declares more than `maxBytes` (an absent or malformed Content-Length does not: node:http refuses the latter). */
export function declaredOver(req: Pick<IncomingMessage, 'headers'>, maxBytes: number): boolean {
  return (declaredLength(req) ?? 0) > maxBytes;
}

/** A request's Content-Length, when it has a valid one (node:http holds the body to it). Pure. */
export function declaredLength(req: Pick<IncomingMessage, 'headers'>): number | undefined {
  const v = req.headers['content-length'];
  return v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : undefined;
}

export const tooLarge = (maxBytes: number): ApiError => apiError('payload_too_large', `The body is larger than ${maxBytes} bytes.`);
