// /files routes that change or list things: PUT, DELETE, versions, revert, listing. (GET/HEAD of a file's content
// never reaches Express: see readPath.ts; nor does a plain PUT: see writePath.ts, which shares upload and
// writeResponse with the route here.)
import type { IncomingMessage } from 'node:http';
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
import { declaredLength, jsonBody } from './bodies.js';
import { contentTypeFor } from './httpRules.js';
import { listQuery, lockOptions, putParams, revertTarget, versionsQuery, type PutParams } from './params.js';
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
  respondWrite(res, name, await upload(deps, name, putParams(req, deps.maxWaitMs), req));
}

/** PUT /files/{name} once the name and parameters are checked: the body stored and committed as the new version. */
export async function upload(deps: FilesRouteDeps, name: string, p: PutParams, body: IncomingMessage): Promise<WriteOutcome> {
  if (p.ifMatch !== undefined || p.ifNoneMatch !== undefined) {
    // Fail fast before reading a possibly large body; the commit checks again under the lock.
    const failed = checkPreconditions((await deps.store.state(name)).head, p.ifMatch, p.ifNoneMatch);
    if (failed) throw failed;
  }
  const { sha256, size, stored } = await deps.blobs.receive(body, {
    maxBytes: deps.maxUploadBytes,
    expectedSha256: p.expectedSha256,
    declaredBytes: declaredLength(body),
  });
  deps.metrics.bytesReceived.inc(size);
  const contentType = contentTypeFor(name, p.contentType);
  const intent = { kind: 'write', sha256, size, contentType, ifMatch: p.ifMatch, ifNoneMatch: p.ifNoneMatch } as const;
  return deps.writer.apply(name, intent, p.lock, stored);
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
  const a = writeResponse(name, outcome);
  res.status(a.status).set(a.headers).json(a.body);
}

/** Pure: what a write answers — status, headers and JSON body — whichever path took it. */
export function writeResponse(name: string, outcome: WriteOutcome): { status: number; headers: Record<string, string>; body: UnchangedAnswer | WriteAnswer } {
  if (outcome.kind === 'unchanged') {
    const headers: Record<string, string> = outcome.head.sha256 ? { ETag: etagOf(outcome.head.sha256) } : {};
    return { status: 200, headers, body: { unchanged: true, name, ...outcome.head } };
  }
  const r = outcome.record;
  const headers: Record<string, string> = {
    ...(r.sha256 ? { ETag: etagOf(r.sha256) } : {}),
    'X-Content-Version': String(r.version),
    Location: `${filePath(name)}?version=${r.version}`,
  };
  return { status: r.deleted ? 200 : 201, headers, body: { name, event: outcome.event, ...r } };
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
