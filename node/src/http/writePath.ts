// The lean write path: PUT /files/{name} on a bare node:http request, without Express, as readPath.ts is for reads.
// Express's app and router (middleware chain, route matching, res.status().json()) were ~90 µs of the event loop per
// 1 KiB PUT under 16 writers (node --cpu-prof; ~5% of a write's CPU). The decisions are the ones the Express route
// makes, from the same functions (tokenRefusal, nameFromPath, putParams, upload, writeResponse) in the same order:
// declared size, write token, name, parameters. Anything less common is declined and goes to Express as before: a
// query string (?waitMs=; Express's parser decides repeated keys), a '#' in the path, an absolute-form target.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { nameFromPath } from '../names.js';
import { challengeOf, tokenRefusal } from './auth.js';
import { declaredOver, tooLarge } from './bodies.js';
import { setCorsHeaders } from './cors.js';
import { upload, writeResponse, type FilesRouteDeps } from './filesRoutes.js';
import { classify } from './httpRules.js';
import type { RequestObserver } from './observe.js';
import { putParams } from './params.js';
import { NOSNIFF, sendError, withDependencyState } from './respond.js';

export interface WritePathDeps {
  readonly files: FilesRouteDeps;
  readonly observer: RequestObserver;
  /** the CORS headers for a request's Origin (cors.ts leanCors), as the Express middleware would set them */
  readonly cors: (origin: string | undefined) => readonly string[];
  readonly redisReady: () => boolean;
}

export type WritePath = (req: IncomingMessage, res: ServerResponse) => boolean;

const NO_QUERY = Object.freeze({});

/** Pure: the raw (still encoded) name when this path takes the request; undefined: Express answers it. */
export function leanPutName(method: string | undefined, url: string): string | undefined {
  if (method !== 'PUT' || !url.startsWith('/files/') || url.includes('?') || url.includes('#')) return undefined;
  const r = classify(url);
  return r.route === 'file' ? r.rawName : undefined;
}

/** Returns a handler that takes a plain PUT /files/{name} and declines everything else. */
export function createWritePath(deps: WritePathDeps): WritePath {
  return (req, res) => {
    const rawName = leanPutName(req.method, req.url ?? '');
    if (rawName === undefined) return false;
    deps.observer.watch(req, res);
    res.setHeader('X-Content-Type-Options', NOSNIFF['X-Content-Type-Options']);
    setCorsHeaders(res, deps.cors(req.headers.origin));
    // (put answers every failure itself; this is for a failure in answering one)
    put(deps, req, res, rawName).catch((err: unknown) => res.destroy(err as Error));
    return true;
  };
}

async function put(deps: WritePathDeps, req: IncomingMessage, res: ServerResponse, rawName: string): Promise<void> {
  const { files } = deps;
  try {
    if (declaredOver(req, files.maxUploadBytes)) throw tooLarge(files.maxUploadBytes);
    res.metricsRoute = 'file'; // (as in Express, where a body declared too large is refused before any route)
    const refusal = tokenRefusal(files.writeToken, req.headers.authorization);
    if (refusal) {
      for (const [k, v] of Object.entries(challengeOf(refusal))) res.setHeader(k, v);
      throw refusal;
    }
    const name = nameFromPath(rawName);
    const outcome = await upload(files, name, putParams({ headers: req.headers, query: NO_QUERY }, files.maxWaitMs), req);
    const { status, headers, body } = writeResponse(name, outcome);
    // as Express's res.json: no Cache-Control of its own (an error's answer, sendJson, has no-store)
    const text = JSON.stringify(body);
    res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
    res.end(text);
  } catch (err) {
    // An unread request body cannot be left on a keep-alive connection: close it after answering (as expressApp.ts).
    if (!req.complete && !res.headersSent) res.setHeader('Connection', 'close');
    sendError(res, withDependencyState(err, deps.redisReady()));
  }
}
