// /files routes that change or list things: PUT, DELETE, versions, revert, listing. (GET/HEAD of a file's content
// never reaches Express: see readPath.ts.)
import express, { type Request, type Response, type Router } from 'express';
import { apiError } from '../errors.js';
import type { FilesPage, UnchangedAnswer, VersionsPage, WriteAnswer } from './answers.js';
import type { MetadataStore } from '../metadata/store.js';
import { checkPreconditions, etagOf } from '../metadata/versionRules.js';
import type { Writer, WriteOutcome } from '../metadata/writer.js';
import type { Metrics } from '../metrics.js';
import { filePath } from '../names.js';
import type { BlobStore } from '../storage/blobStore.js';
import { requireToken } from './auth.js';
import { jsonBody } from './bodies.js';
import { contentTypeFor } from './httpRules.js';
import { listQuery, lockOptions, putParams, revertTarget, versionsQuery } from './params.js';
import { FILE, FILE_REVERT, FILE_VERSIONS, mount, mountFixed, nameOf } from './routing.js';

/** What writing a file takes (these routes, and the original API's). */
export interface UploadDeps {
  readonly writer: Pick<Writer, 'apply'>;
  readonly blobs: Pick<BlobStore, 'receive'>;
  readonly metrics: Pick<Metrics, 'bytesReceived'>;
  /** WRITE_TOKEN; undefined: writes are open */
  readonly writeToken: string | undefined;
  readonly maxUploadBytes: number;
  readonly jsonBodyMaxBytes: number;
  /** the longest a write waits for a lock (longestWaitMs) */
  readonly maxWaitMs: number;
}

export interface FilesRouteDeps extends UploadDeps {
  readonly store: Pick<MetadataStore, 'state' | 'version' | 'versions' | 'list'>;
}

export function filesRouter(deps: FilesRouteDeps): Router {
  const router = express.Router();
  const auth = requireToken(deps.writeToken);
  const json = jsonBody(deps.jsonBodyMaxBytes);

  mountFixed(router, '/files', 'list', { get: [(req: Request, res: Response) => listFiles(deps, req, res)] });
  // In this order: a path under /files/ that is neither a version listing nor a revert is a file.
  mount(router, FILE_VERSIONS, { get: [(req, res) => listVersions(deps, req, res)] });
  mount(router, FILE_REVERT, { post: [auth, json, (req, res) => revert(deps, req, res)] });
  mount(router, FILE, {
    put: [auth, (req, res) => putFile(deps, req, res)],
    delete: [auth, (req, res) => deleteFile(deps, req, res)],
  });
  return router;
}

async function putFile(deps: FilesRouteDeps, req: Request, res: Response): Promise<void> {
  const name = nameOf(FILE, req);
  const p = putParams(req, deps.maxWaitMs);
  if (p.ifMatch !== undefined || p.ifNoneMatch !== undefined) {
    // Fail fast before reading a possibly large body; the commit checks again under the lock.
    const failed = checkPreconditions((await deps.store.state(name)).head, p.ifMatch, p.ifNoneMatch);
    if (failed) throw failed;
  }
  const { sha256, size, stored } = await deps.blobs.receive(req, { maxBytes: deps.maxUploadBytes, expectedSha256: p.expectedSha256 });
  deps.metrics.bytesReceived.inc(size);
  const contentType = contentTypeFor(name, p.contentType);
  const intent = { kind: 'write', sha256, size, contentType, ifMatch: p.ifMatch, ifNoneMatch: p.ifNoneMatch } as const;
  const outcome = await deps.writer.apply(name, intent, p.lock, stored);
  respondWrite(res, name, outcome);
}

async function revert(deps: FilesRouteDeps, req: Request, res: Response): Promise<void> {
  const name = nameOf(FILE_REVERT, req);
  const to = revertTarget(req.body);
  const target = await deps.store.version(name, to);
  respondWrite(res, name, await deps.writer.apply(name, { kind: 'revert', to, target }, lockOptions(req, deps.maxWaitMs)));
}

async function deleteFile(deps: FilesRouteDeps, req: Request, res: Response): Promise<void> {
  const name = nameOf(FILE, req);
  respondWrite(res, name, await deps.writer.apply(name, { kind: 'delete' }, lockOptions(req, deps.maxWaitMs)));
}

function respondWrite(res: Response, name: string, outcome: WriteOutcome): void {
  if (outcome.kind === 'unchanged') {
    if (outcome.head.sha256) res.setHeader('ETag', etagOf(outcome.head.sha256));
    const body: UnchangedAnswer = { unchanged: true, name, ...outcome.head };
    res.status(200).json(body);
    return;
  }
  const r = outcome.record;
  if (r.sha256) res.setHeader('ETag', etagOf(r.sha256));
  res.setHeader('X-Content-Version', String(r.version));
  res.setHeader('Location', `${filePath(name)}?version=${r.version}`);
  const body: WriteAnswer = { name, event: outcome.event, ...r };
  res.status(r.deleted ? 200 : 201).json(body);
}

async function listVersions(deps: FilesRouteDeps, req: Request, res: Response): Promise<void> {
  const name = nameOf(FILE_VERSIONS, req);
  const { cursor, limit } = versionsQuery(req);
  const { count, versions } = await deps.store.versions(name, cursor, limit);
  if (count === 0) throw apiError('file_not_found');
  const last = versions.at(-1);
  const page: VersionsPage = { name, count, versions, nextCursor: last && last.version > 1 ? String(last.version) : null };
  res.json(page);
}

async function listFiles(deps: FilesRouteDeps, req: Request, res: Response): Promise<void> {
  const { prefix, cursor, limit } = listQuery(req);
  const { files, next } = await deps.store.list(prefix, cursor, limit);
  const page: FilesPage = { files: files.map((f) => ({ name: f.name, ...f.head })), nextCursor: next ?? null };
  res.json(page);
}
