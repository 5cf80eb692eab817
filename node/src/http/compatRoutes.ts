// The original mini-CDN routes, with their exact response shapes, so its client scripts work unchanged. They use
// the same store, version rules and dedupe as the rest of the API; errors carry the old fields ("message" or
// "status") and our {"error":{code,message}} beside them.
import { Readable } from 'node:stream';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { ApiError, apiError } from '../errors.js';
import { isLive, type VersionRecord } from '../metadata/types.js';
import { filePath, parseName } from '../names.js';
import { requireToken } from './auth.js';
import { jsonBody, runChain } from './filesRoutes.js';
import { contentTypeFor, DEFAULT_TYPE } from './httpRules.js';
import { parseVersion } from './readPath.js';
import { smallBytes } from './sendBlob.js';

const DUPLICATE = 'Duplicate file detected. Not written.';

type Shape = 'message' | 'status';

/** Answers an error in the old shape ("message" or "status"+"message") plus the catalogue error. */
function compatError(res: Response, err: unknown, shape: Shape, next: NextFunction, message?: string): void {
  if (!(err instanceof ApiError) || err.status >= 500) return next(err);
  const text = message ?? err.message;
  const old = shape === 'message' ? { message: text } : { status: 'error', message: text };
  res.status(err.status).json({ ...old, ...err.toBody() });
}

const writeBody = z.object({ file_name: z.string(), file_content: z.string() });
const addBody = z.object({ filename: z.string(), content: z.string().optional() });

export function compatRouter(deps: Deps): Router {
  const router = express.Router();
  const auth = requireToken(deps.cfg.writeToken);
  const json = jsonBody(deps.cfg.jsonBodyMaxBytes); // a declared length over the limit is refused before waiting for it
  const route =
    (name: string, shape: Shape, fn: (req: Request, res: Response) => Promise<void>, writes = false) =>
    (req: Request, res: Response, next: NextFunction): void => {
      res.metricsRoute = name;
      const fail = (err: unknown): void => compatError(res, err, shape, next);
      runChain(req, res, fail, writes ? [auth, json] : [], () => fn(req, res).catch(fail));
    };

  router.post(
    '/write',
    route(
      'compat_write',
      'message',
      async (req, res) => {
        const body = writeBody.safeParse(req.body);
        if (!body.success) throw apiError('invalid_request', 'The body must be {"file_name": "...", "file_content": "..."}.');
        const name = parseName(body.data.file_name);
        try {
          const outcome = await writeText(deps, name, body.data.file_content);
          if (outcome === 'unchanged') throw apiError('duplicate_content', DUPLICATE);
          res.status(200).json({ message: 'File written successfully.' });
        } catch (err) {
          if (err instanceof ApiError && err.code === 'duplicate_content') {
            res.status(400).json({ message: DUPLICATE, ...err.toBody() });
            return;
          }
          throw err;
        }
      },
      true,
    ),
  );

  router.post(
    '/add_file',
    route(
      'compat_add_file',
      'status',
      async (req, res) => {
        const body = addBody.safeParse(req.body);
        if (!body.success) throw apiError('invalid_request', 'The body must be {"filename": "...", "content"?: "..."}.');
        await writeText(deps, parseName(body.data.filename), body.data.content ?? '');
        res.json({ status: 'success' });
      },
      true,
    ),
  );

  router.get(
    '/get_file',
    route('compat_get_file', 'status', async (req, res) => {
      const name = parseName(single(req.query.filename, 'filename'));
      const head = await deps.store.head(name);
      if (!isLive(head)) throw apiError('file_not_found', 'File not found.');
      res.json({ status: 'success', path: filePath(name) });
    }),
  );

  router.get(
    '/read_version',
    route('compat_read_version', 'message', async (req, res) => {
      const name = parseName(single(req.query.file_name, 'file_name'));
      const n = parseVersion(single(req.query.version, 'version'));
      const record = await deps.store.version(name, n);
      if (!isLive(record)) {
        throw apiError('version_not_found', 'File version not found.');
      }
      const content = await readText(deps, record, deps.cfg.jsonBodyMaxBytes);
      res.json({ version: record.version, content, timestamp: record.createdAt });
    }),
  );

  router.get('/read', route('compat_read', 'message', (req, res) => readAll(deps, res)));
  return router;
}

async function writeText(deps: Deps, name: string, text: string): Promise<'committed' | 'unchanged'> {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > deps.cfg.maxUploadBytes) throw apiError('payload_too_large');
  const blob = await deps.blobs.ingest(Readable.from([bytes]), { maxBytes: deps.cfg.maxUploadBytes });
  deps.metrics.bytesReceived.inc(blob.size);
  const guessed = contentTypeFor(name, undefined);
  const outcome = await deps.writer.apply(name, {
    kind: 'write',
    sha256: blob.sha256,
    size: blob.size,
    contentType: guessed === DEFAULT_TYPE ? 'text/plain; charset=utf-8' : guessed,
  });
  return outcome.kind;
}

async function readText(deps: Deps, record: VersionRecord, maxBytes: number): Promise<string> {
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
async function readAll(deps: Deps, res: Response): Promise<void> {
  const { readCompatMaxFiles: maxFiles, readCompatMaxBytes: maxBytes } = deps.cfg;
  const { files, more } = await deps.store.list('', undefined, maxFiles);
  const out: Record<string, string> = {};
  let budget = maxBytes;
  let truncated = more;
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

function single(raw: unknown, name: string): string {
  if (typeof raw !== 'string') throw apiError('invalid_request', `The query parameter ${name} is required, once.`);
  return raw;
}
