// The original mini-CDN routes, with their exact response shapes, so its client scripts work unchanged. They use
// the same store, version rules and dedupe as the rest of the API; errors carry the old fields ("message" or
// "status") and our {"error":{code,message}} beside them.
import { Readable } from 'node:stream';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from 'express';
import { ApiError, apiError } from '../errors.js';
import type { CompatMessage, CompatPath, CompatReadAll, CompatSuccess, CompatVersion } from './answers.js';
import type { MetadataStore } from '../metadata/store.js';
import { isLive, type VersionRecord } from '../metadata/types.js';
import { filePath, parseName } from '../names.js';
import { requireToken } from './auth.js';
import { jsonBody } from './bodies.js';
import type { UploadDeps } from './filesRoutes.js';
import { contentTypeFor, DEFAULT_TYPE } from './httpRules.js';
import { compatAdd, compatQuery, compatWrite, parseVersion } from './params.js';
import { mountFixed } from './routing.js';
import { smallBytes, type BlobSource } from './sendBlob.js';

const DUPLICATE = 'Duplicate file detected. Not written.';

type Shape = 'message' | 'status';

export interface CompatRouteDeps extends UploadDeps {
  readonly store: Pick<MetadataStore, 'head' | 'version' | 'list'>;
  /** verified bytes, from a home when this node has no copy (the same as GET /files serves) */
  readonly source: BlobSource;
  /** GET /read's bounds */
  readonly readCompatMaxFiles: number;
  readonly readCompatMaxBytes: number;
}

/** Answers a catalogue 4xx in the old shape ("message", or "status"+"message") plus the catalogue error. */
const compatErrors =
  (shape: Shape): ErrorRequestHandler =>
  (err: unknown, _req, res, next) => {
    if (!(err instanceof ApiError) || err.status >= 500) return next(err);
    const old = shape === 'message' ? { message: err.message } : { status: 'error', message: err.message };
    res.status(err.status).json({ ...old, ...err.toBody() });
  };

type Handler = (deps: CompatRouteDeps, req: Request, res: Response) => Promise<void>;

export function compatRouter(deps: CompatRouteDeps): Router {
  const router = express.Router();
  // a declared length over the limit is refused before waiting for it
  const writes = [requireToken(deps.writeToken), jsonBody(deps.jsonBodyMaxBytes)];
  const route = (shape: Shape, fn: Handler, before: RequestHandler[] = []): (RequestHandler | ErrorRequestHandler)[] => {
    const handle: RequestHandler = (req, res) => fn(deps, req, res);
    return [...before, handle, compatErrors(shape)];
  };

  mountFixed(router, '/write', 'compat_write', { post: route('message', write, writes) });
  mountFixed(router, '/add_file', 'compat_add_file', { post: route('status', addFile, writes) });
  mountFixed(router, '/get_file', 'compat_get_file', { get: route('status', getFile) });
  mountFixed(router, '/read_version', 'compat_read_version', { get: route('message', readVersion) });
  mountFixed(router, '/read', 'compat_read', { get: route('message', (d, _req, res) => readAll(d, res)) });
  return router;
}

async function write(deps: CompatRouteDeps, req: Request, res: Response): Promise<void> {
  const body = compatWrite(req.body);
  const name = parseName(body.file_name);
  const duplicate = await writeText(deps, name, body.file_content).then(
    (outcome) => (outcome === 'unchanged' ? apiError('duplicate_content', DUPLICATE) : undefined),
    (err: unknown) => {
      if (err instanceof ApiError && err.code === 'duplicate_content') return err;
      throw err;
    },
  );
  // the original said so with a 400, not the catalogue's 409
  if (duplicate) res.status(400).json({ message: DUPLICATE, ...duplicate.toBody() });
  else res.status(200).json({ message: 'File written successfully.' } satisfies CompatMessage);
}

async function addFile(deps: CompatRouteDeps, req: Request, res: Response): Promise<void> {
  const body = compatAdd(req.body);
  await writeText(deps, parseName(body.filename), body.content);
  res.json({ status: 'success' } satisfies CompatSuccess);
}

async function getFile(deps: CompatRouteDeps, req: Request, res: Response): Promise<void> {
  const name = parseName(compatQuery(req, 'filename'));
  const head = await deps.store.head(name);
  if (!isLive(head)) throw apiError('file_not_found', 'File not found.');
  res.json({ status: 'success', path: filePath(name) } satisfies CompatPath);
}

async function readVersion(deps: CompatRouteDeps, req: Request, res: Response): Promise<void> {
  const name = parseName(compatQuery(req, 'file_name'));
  const n = parseVersion(compatQuery(req, 'version'));
  const record = await deps.store.version(name, n);
  if (!isLive(record)) throw apiError('version_not_found', 'File version not found.');
  const content = await readText(deps, record, deps.jsonBodyMaxBytes);
  res.json({ version: record.version, content, timestamp: record.createdAt } satisfies CompatVersion);
}

async function writeText(deps: CompatRouteDeps, name: string, text: string): Promise<'committed' | 'unchanged'> {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > deps.maxUploadBytes) throw apiError('payload_too_large');
  const { sha256, size, stored } = await deps.blobs.receive(Readable.from([bytes]), { maxBytes: deps.maxUploadBytes, declaredBytes: bytes.length });
  deps.metrics.bytesReceived.inc(size);
  const guessed = contentTypeFor(name, undefined);
  const contentType = guessed === DEFAULT_TYPE ? 'text/plain; charset=utf-8' : guessed;
  const outcome = await deps.writer.apply(name, { kind: 'write', sha256, size, contentType }, {}, stored);
  return outcome.kind;
}

async function readText(deps: CompatRouteDeps, record: VersionRecord, maxBytes: number): Promise<string> {
  if (record.size > maxBytes) {
    throw apiError('payload_too_large', `The content is over ${maxBytes} bytes; use GET /files/{name}?version=N.`);
  }
  if (record.size === 0 || record.sha256 === null) return '';
  // verified, and fetched from a home when this node has no copy (a cluster): the same bytes GET /files serves
  return (await smallBytes(deps.source, { sha256: record.sha256, size: record.size })).toString('utf8');
}

/**
 * The original returned every file. Ours is bounded: at most READ_COMPAT_MAX_FILES files and READ_COMPAT_MAX_BYTES
 * of content, in name order; when cut, X-Kubecdn-Truncated: true says so (use GET /files to page through all).
 */
async function readAll(deps: CompatRouteDeps, res: Response): Promise<void> {
  const { readCompatMaxFiles: maxFiles, readCompatMaxBytes: maxBytes } = deps;
  const { files, next } = await deps.store.list('', undefined, maxFiles);
  const out: CompatReadAll = {};
  let budget = maxBytes;
  let truncated = next !== undefined;
  for (const f of files) {
    if (f.head.size > budget) {
      truncated = true;
      break;
    }
    budget -= f.head.size;
    out[f.name] = await readText(deps, f.head, maxBytes);
  }
  res.setHeader('X-Kubecdn-Truncated', truncated ? 'true' : 'false');
  res.json(out);
}
