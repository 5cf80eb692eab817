// /files routes that change or list things: PUT, DELETE, versions, revert, listing. (GET/HEAD of a file's content
// never reaches Express: see readPath.ts.)
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { type ApiError, apiError } from '../errors.js';
import type { WriteOutcome } from '../metadata/writer.js';
import { checkPreconditions, etagOf } from '../metadata/versionRules.js';
import { filePath, nameFromPath } from '../names.js';
import { DIGEST_RE } from '../storage/blobStore.js';
import { requireToken } from './auth.js';
import type { AcquireOptions } from '../locks/types.js';
import { classify, contentTypeFor } from './httpRules.js';
import { parseVersion } from './readPath.js';

const MAX_PAGE = 1000;

export function filesRouter(deps: Deps): Router {
  const router = express.Router();
  const auth = requireToken(deps.cfg.writeToken);
  const json = jsonBody(deps.cfg.jsonBodyMaxBytes);

  router.get('/files', (req, res, next) => void listFiles(deps, req, res).catch(next));

  // One handler for everything under /files/: the raw path decides (see classify), so "a%2Fversions" stays a name.
  router.use('/files/', (req: Request, res: Response, next: NextFunction) => {
    const route = classify(req.originalUrl.split('?')[0] ?? '');
    const chain = (handlers: RequestHandler[], fn: () => Promise<void>): void => runChain(req, res, next, handlers, fn);
    const allow = (methods: string): void => {
      res.setHeader('Allow', methods);
      next(apiError('method_not_allowed'));
    };
    if (route.route === 'versions') {
      res.metricsRoute = 'versions';
      return req.method === 'GET' ? chain([], () => listVersions(deps, route.rawName, req, res)) : allow('GET');
    }
    if (route.route === 'revert') {
      res.metricsRoute = 'revert';
      return req.method === 'POST' ? chain([auth, json], () => revert(deps, route.rawName, req, res)) : allow('POST');
    }
    if (route.route !== 'file') return next();
    res.metricsRoute = 'file';
    if (req.method === 'PUT') return chain([auth], () => putFile(deps, route.rawName, req, res));
    if (req.method === 'DELETE') return chain([auth], () => deleteFile(deps, route.rawName, req, res));
    allow('GET, HEAD, PUT, DELETE');
  });
  return router;
}

async function putFile(deps: Deps, rawName: string, req: Request, res: Response): Promise<void> {
  const name = nameFromPath(rawName);
  const { cfg } = deps;
  const expected = header(req, 'x-content-sha256')?.toLowerCase();
  if (expected !== undefined && !DIGEST_RE.test(expected)) {
    throw apiError('invalid_digest', 'X-Content-SHA256 must be 64 hexadecimal characters.');
  }
  const ifMatch = header(req, 'if-match');
  const ifNoneMatch = header(req, 'if-none-match');
  if (ifMatch !== undefined || ifNoneMatch !== undefined) {
    // Fail fast before reading a possibly large body; the commit checks again under the lock.
    const failed = checkPreconditions((await deps.store.state(name)).head, ifMatch, ifNoneMatch);
    if (failed) throw failed;
  }
  const blob = await deps.blobs.ingest(req, { maxBytes: cfg.maxUploadBytes, expectedSha256: expected });
  deps.metrics.bytesReceived.inc(blob.size);
  const outcome = await deps.writer.apply(
    name,
    {
      kind: 'write',
      sha256: blob.sha256,
      size: blob.size,
      contentType: contentTypeFor(name, header(req, 'content-type')),
      ifMatch,
      ifNoneMatch,
    },
    lockOptions(req),
  );
  respondWrite(res, name, outcome);
}

const revertBody = z.object({ version: z.unknown() });

async function revert(deps: Deps, rawName: string, req: Request, res: Response): Promise<void> {
  const name = nameFromPath(rawName);
  const body = revertBody.safeParse(req.body);
  if (!body.success) throw apiError('invalid_request', 'The body must be {"version": N}.');
  const to = parseVersion(body.data.version);
  const target = await deps.store.version(name, to);
  respondWrite(res, name, await deps.writer.apply(name, { kind: 'revert', to, target }, lockOptions(req)));
}

async function deleteFile(deps: Deps, rawName: string, req: Request, res: Response): Promise<void> {
  const name = nameFromPath(rawName);
  respondWrite(res, name, await deps.writer.apply(name, { kind: 'delete' }, lockOptions(req)));
}

function respondWrite(res: Response, name: string, outcome: WriteOutcome): void {
  if (outcome.kind === 'unchanged') {
    if (outcome.head.sha256) res.setHeader('ETag', etagOf(outcome.head.sha256));
    res.status(200).json({ unchanged: true, name, ...outcome.head });
    return;
  }
  const r = outcome.record;
  if (r.sha256) res.setHeader('ETag', etagOf(r.sha256));
  res.setHeader('X-Content-Version', String(r.version));
  res.setHeader('Location', `${filePath(name)}?version=${r.version}`);
  res.status(r.deleted ? 200 : 201).json({ name, event: outcome.event, ...r });
}

async function listVersions(deps: Deps, rawName: string, req: Request, res: Response): Promise<void> {
  const name = nameFromPath(rawName);
  const limit = pageLimit(req.query.limit);
  const cursor = req.query.cursor === undefined ? undefined : parseVersion(req.query.cursor);
  const { count, versions } = await deps.store.versions(name, cursor, limit);
  if (count === 0) throw apiError('file_not_found');
  const last = versions.at(-1);
  res.json({ name, count, versions, nextCursor: last && last.version > 1 ? String(last.version) : null });
}

async function listFiles(deps: Deps, req: Request, res: Response): Promise<void> {
  res.metricsRoute = 'list';
  const prefix = stringParam(req.query.prefix, 'prefix') ?? '';
  const cursor = stringParam(req.query.cursor, 'cursor');
  if (Buffer.byteLength(prefix) > 1024 || /[\u0000-\u001f\u007f]/.test(prefix)) {
    throw apiError('invalid_request', 'prefix must be at most 1024 bytes without control characters.');
  }
  const limit = pageLimit(req.query.limit);
  const { files, more } = await deps.store.list(prefix.normalize('NFC'), cursor, limit);
  const last = files.at(-1);
  res.json({
    files: files.map((f) => ({ name: f.name, ...f.head })),
    nextCursor: more && last ? last.name : null,
  });
}

/**
 * Runs middlewares in order, then the handler; the first error goes to Express's error handler. Each step runs in
 * the previous one's callback (after a body parser, in its stream's 'end'), outside Express's own try/catch, so a
 * synchronous throw there would end the process: every step is started inside a promise, which turns any throw or
 * rejection into next(err).
 */
export function runChain(
  req: Request,
  res: Response,
  next: NextFunction,
  handlers: RequestHandler[],
  fn: () => Promise<void>,
): void {
  const step =
    (i: number) =>
    (err?: unknown): void => {
      if (err) return next(err);
      const h = handlers[i];
      const run = h === undefined ? fn : (): unknown => h(req, res, step(i + 1));
      void Promise.resolve().then(run).catch(next);
    };
  step(0)();
}

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

/** X-Lock-Token (a lock-API token this write works under) and ?waitMs= (how long to wait behind a lock). */
export function lockOptions(req: Request): AcquireOptions {
  const token = header(req, 'x-lock-token');
  return { token: token === '' ? undefined : token, waitMs: waitMsOf(req) };
}

/** ?waitMs= on writes and on POST /locks: how long to wait behind a lock holder. */
export function waitMsOf(req: Request): number | undefined {
  const raw = req.query.waitMs;
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d{1,7}$/.test(raw)) {
    throw apiError('invalid_request', 'waitMs must be a whole number of milliseconds (at most 9999999).');
  }
  return Number(raw);
}

function pageLimit(raw: unknown): number {
  if (raw === undefined) return 100;
  if (typeof raw !== 'string' || !/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PAGE) {
    throw apiError('invalid_request', `limit must be a whole number from 1 to ${MAX_PAGE}.`);
  }
  return Number(raw);
}

function stringParam(raw: unknown, name: string): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw apiError('invalid_request', `${name} must be given once.`);
  return raw;
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  if (Array.isArray(v)) throw apiError('invalid_header', `${name} must be given once.`);
  return v;
}
