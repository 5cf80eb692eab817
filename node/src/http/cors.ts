// CORS for browser pages on other origins (CORS_ORIGINS). Express answers through the `cors` package (preflight 204,
// Vary, Max-Age); the lean read path, where no middleware runs, takes the same decision from header lists built once
// here at startup, so a read pays one Map lookup and allocates nothing for it. test/unit/cors.test.ts runs both on
// one table of origins, so they cannot disagree.
import type { ServerResponse } from 'node:http';
import cors, { type CorsOptions } from 'cors';
import type { RequestHandler } from 'express';

/** CORS_ORIGINS as parsed: any origin, a list of exact origins, or undefined (off: no Access-Control-* headers). */
export type CorsOrigins = '*' | readonly string[] | undefined;

/** Every method of the public API (a preflight names the one it wants). */
export const CORS_METHODS = 'GET, HEAD, PUT, POST, DELETE';
/** Request headers a page may send. Listed, never "*": a wildcard does not cover Authorization (Fetch standard). */
export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'If-Match',
  'If-None-Match',
  'If-Modified-Since',
  'If-Range',
  'Range',
  'Last-Event-ID',
  'X-Content-SHA256',
  'X-Lock-Token',
  'X-Lock-Holder',
  'X-Request-Id',
].join(', ');
/** Response headers a page's script may read, beyond the CORS-safelisted ones (Content-Type, Last-Modified, ...). */
export const CORS_EXPOSED_HEADERS = [
  'ETag',
  'Content-Range',
  'Content-Length',
  'Accept-Ranges',
  'Content-Disposition',
  'X-Content-Version',
  'X-Cache',
  'X-Request-Id',
  'Location',
  'Retry-After',
].join(', ');
/** How long a browser may reuse a preflight's answer (Chromium caps it at 2 hours). */
export const CORS_MAX_AGE_S = 600;

const NONE: readonly string[] = Object.freeze([]);

/** Pure: the Access-Control-Allow-Origin a request from `origin` gets; undefined: none (not allowed, or CORS off). */
export function allowedOrigin(origins: CorsOrigins, origin: string | undefined): string | undefined {
  if (origins === undefined) return undefined;
  if (origins === '*') return '*';
  return origin !== undefined && origins.includes(origin) ? origin : undefined;
}

/**
 * The lean path's CORS headers for a request's Origin, as a flat [name, value, ...] list (what writeHead takes).
 * Each list is built here once and the same frozen array is returned every time. With a list of origins every
 * response varies by Origin (Vary: Origin), allowed or not, so a shared cache never hands one origin's answer to another.
 */
export function leanCors(origins: CorsOrigins): (origin: string | undefined) => readonly string[] {
  if (origins === undefined) return () => NONE;
  const expose = ['Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS];
  if (origins === '*') {
    const any = Object.freeze(['Access-Control-Allow-Origin', '*', ...expose]);
    return () => any;
  }
  const vary = Object.freeze(['Vary', 'Origin']);
  const byOrigin = new Map(origins.map((o) => [o, Object.freeze(['Access-Control-Allow-Origin', o, ...vary, ...expose])]));
  return (origin) => (origin === undefined ? undefined : byOrigin.get(origin)) ?? vary;
}

/** Sets a leanCors list on a response whose head is still to be written (the lean paths' long way, and errors). */
export function setCorsHeaders(res: ServerResponse, list: readonly string[]): void {
  for (let i = 0; i < list.length; i += 2) res.setHeader(list[i] as string, list[i + 1] as string);
}

/**
 * The Express side: none when CORS is off. An allowed origin gets the `cors` package's answer (a preflight: 204 with
 * the methods, headers and max-age); any other gets no Access-Control-* header at all, not even on a preflight, which
 * then goes on to the routes as if CORS were off (`cors` given origin false does nothing).
 */
export function corsMiddleware(origins: CorsOrigins): RequestHandler[] {
  if (origins === undefined) return [];
  const options: CorsOptions = {
    methods: CORS_METHODS,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: CORS_MAX_AGE_S,
    optionsSuccessStatus: 204,
  };
  const answer = cors((req, cb) => {
    const origin = allowedOrigin(origins, req.headers.origin);
    cb(null, origin === undefined ? { origin: false } : { ...options, origin });
  });
  const varies = origins !== '*';
  return [
    (req, res, next) => {
      if (varies) res.vary('Origin');
      if (req.method === 'OPTIONS' && allowedOrigin(origins, req.headers.origin) !== undefined) res.metricsRoute = 'preflight';
      answer(req, res, next);
    },
  ];
}
