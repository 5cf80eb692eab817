// The lean read path: GET/HEAD of files and blobs on a bare node:http request, without Express. Per request it
// costs one head-cache lookup (no Redis round trip while nothing changed), headers built once per head, and either a
// Buffer from the hot cache or a file stream. The commonest request of all — a whole file whose head and bytes are
// both in memory — is answered synchronously (`hotHit`): no promise, no listener, headers as a prebuilt list.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { create as contentDisposition } from 'content-disposition';
import { LRUCache } from 'lru-cache';
import { apiError } from '../errors.js';
import type { HeadCache, HeadEntry } from '../metadata/headCache.js';
import type { MetadataStore } from '../metadata/store.js';
import { isLive, type VersionRecord } from '../metadata/types.js';
import { etagOf } from '../metadata/versionRules.js';
import type { Metrics } from '../metrics.js';
import type { RequestObserver } from './observe.js';
import { nameFromPath } from '../names.js';
import { DIGEST_RE, isNotFound } from '../storage/blobStore.js';
import type { HotCache } from '../storage/hotCache.js';
import { setCorsHeaders } from './cors.js';
import { classify, DEFAULT_TYPE, isNotModified, parseRange, rangeStillValid } from './httpRules.js';
import { parseVersion, wantsDownload } from './params.js';
import { NOSNIFF, sendError, withDependencyState } from './respond.js';
import { sendBody, type BlobSource } from './sendBlob.js';

export interface ReadPathDeps {
  readonly store: MetadataStore;
  readonly heads: HeadCache;
  readonly hot: HotCache;
  readonly metrics: Metrics;
  readonly cacheControlLatest: string;
  /** where the bytes come from (hot cache, disk, peers), checked on the way out */
  readonly source: BlobSource;
  readonly redisReady: () => boolean;
  readonly observer: RequestObserver;
  /** the CORS headers for a request's Origin: a list built at startup (cors.ts leanCors), never per request */
  readonly cors: (origin: string | undefined) => readonly string[];
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
const VALIDATORS = ['ETag', 'Last-Modified', 'Cache-Control', 'X-Content-Version', 'X-Content-Type-Options'] as const;

interface Target {
  readonly sha256: string;
  readonly size: number;
  readonly headers: Record<string, string>;
}

/** A head-cache entry whose record is a live version: what a hot hit answers from. */
type LiveEntry = HeadEntry & { readonly record: VersionRecord & { sha256: string } };

/** Everything the read path keeps between requests, built once: its functions take it as their first argument
 *  instead of closing over it, so a request allocates no closures and the hot hit stays one synchronous call chain. */
interface ReadState {
  readonly deps: ReadPathDeps;
  /** digests known to be committed, with their size: immutable facts, so caching them is always safe */
  readonly knownBlobs: LRUCache<string, number>;
  /** raw URL path -> validated name: decoding, NFC and the name rules cost ~7% of a hot read (profiled) */
  readonly validNames: LRUCache<string, string>;
}

export type ReadPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Returns a handler that takes GET/HEAD of /files/{name} and /blobs/sha256/{hex}, and declines the rest. */
export function createReadPath(deps: ReadPathDeps): ReadPath {
  const s: ReadState = {
    deps,
    knownBlobs: new LRUCache<string, number>({ max: 100_000 }),
    validNames: new LRUCache<string, string>({ max: 10_000 }),
  };
  return (req, res) => route(s, req, res);
}

function route(s: ReadState, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const r = classify(path);
  if (r.route === 'file') {
    if (q === -1 && hotHit(s, req, res, r.rawName)) return true;
    watch(s, req, res);
    res.metricsRoute = 'file';
    void handle(s, req, res, fileTarget(s, r.rawName, q === -1 ? undefined : url.slice(q + 1)));
    return true;
  }
  if (r.route === 'blob') {
    watch(s, req, res);
    res.metricsRoute = 'blob';
    void handle(s, req, res, blobTarget(s, r.digest));
    return true;
  }
  return false;
}

/** The long way: recorded when the response closes, and the CORS headers set now, so that errors carry them too. */
function watch(s: ReadState, req: IncomingMessage, res: ServerResponse): void {
  s.deps.observer.watch(req, res);
  setCorsHeaders(res, s.deps.cors(req.headers.origin));
}

/** A whole file with its head and bytes in memory, answered and recorded synchronously; false: take the long way. */
function hotHit(s: ReadState, req: IncomingMessage, res: ServerResponse, rawName: string): boolean {
  if (req.headers.range !== undefined) return false;
  const entry = liveHead(s, rawName);
  if (entry === undefined) return false;
  const buf = s.deps.hot.get(entry.record.sha256);
  if (buf === undefined) return false;
  answerHot(s, req, res, entry, buf);
  return true;
}

/** The cached head of a name already validated once, when it is a live version; no Redis, no validation. */
function liveHead(s: ReadState, rawName: string): LiveEntry | undefined {
  const name = s.validNames.get(rawName);
  const entry = name === undefined ? undefined : s.deps.heads.get(name);
  return isLiveEntry(entry) ? entry : undefined;
}

const isLiveEntry = (entry: HeadEntry | undefined): entry is LiveEntry => entry !== undefined && isLive(entry.record);

function answerHot(s: ReadState, req: IncomingMessage, res: ServerResponse, entry: LiveEntry, buf: Buffer): void {
  const start = performance.now();
  const id = s.deps.observer.id(req);
  s.deps.metrics.headCacheHits.inc();
  const headers = (entry.headers ??= fileHeaders(entry.record, s.deps.cacheControlLatest));
  const raw = (entry.raw ??= rawHeaders(headers));
  const notModified = isNotModified(req.headers, headers.ETag ?? '', headers['Last-Modified']);
  const cors = s.deps.cors(req.headers.origin);
  if (notModified) {
    res.writeHead(304, [...raw.validators, ...cors, 'X-Request-Id', id]);
    res.end();
  } else {
    res.writeHead(200, [...raw.full, ...cors, 'X-Request-Id', id]);
    writeHotBody(s.deps.metrics, req, res, buf);
  }
  s.deps.observer.record(req, { route: 'file', status: notModified ? 304 : 200, start, id });
}

/** The head's headers as the flat lists writeHead takes, built once per head and kept on its cache entry. */
function rawHeaders(headers: Record<string, string>): NonNullable<HeadEntry['raw']> {
  return { full: Object.entries(headers).flat(), validators: Object.entries(pick(headers, VALIDATORS)).flat() };
}

function writeHotBody(metrics: Metrics, req: IncomingMessage, res: ServerResponse, buf: Buffer): void {
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  metrics.bytesServed.inc(buf.length);
  metrics.cacheHits.inc();
  metrics.hotCacheHits.inc();
  res.end(buf);
}

async function fileTarget(s: ReadState, rawName: string, query: string | undefined): Promise<Target> {
  const name = validName(s, rawName);
  const params = query === undefined ? undefined : new URLSearchParams(query);
  // checked before anything is read: a bad ?download= is a 400 whether or not the file exists
  const download = params !== undefined && wantsDownload(params.getAll('download'));
  const versionParam = params?.get('version') ?? null;
  const target = versionParam === null ? await headTarget(s, name) : await versionTarget(s, name, versionParam);
  // a copy: target.headers may be the head's, shared by every request
  return download ? { ...target, headers: { ...target.headers, 'Content-Disposition': attachment(name) } } : target;
}

async function headTarget(s: ReadState, name: string): Promise<Target> {
  let entry = s.deps.heads.get(name);
  if (entry) s.deps.metrics.headCacheHits.inc();
  else entry = await loadHead(s, name);
  return latestTarget(entry, s.deps.cacheControlLatest);
}

/** Content-Disposition: attachment, named by the last segment of the file's name (RFC 6266; non-ASCII as RFC 8187). */
const attachment = (name: string): string => contentDisposition(name.slice(name.lastIndexOf('/') + 1));

function validName(s: ReadState, rawName: string): string {
  let name = s.validNames.get(rawName);
  if (name === undefined) {
    name = nameFromPath(rawName); // throws invalid_name: never cached
    s.validNames.set(rawName, name);
  }
  return name;
}

async function loadHead(s: ReadState, name: string): Promise<HeadEntry> {
  s.deps.metrics.headCacheMisses.inc();
  const mark = s.deps.heads.mark();
  const entry = { record: await s.deps.store.head(name) };
  s.deps.heads.set(name, entry, mark);
  return entry;
}

function latestTarget(entry: HeadEntry, cacheControl: string): Target {
  const record = entry.record;
  if (record === undefined) throw apiError('file_not_found');
  if (!isLive(record)) throw apiError('file_deleted');
  entry.headers ??= fileHeaders(record, cacheControl);
  return { sha256: record.sha256, size: record.size, headers: entry.headers };
}

async function versionTarget(s: ReadState, name: string, param: string): Promise<Target> {
  const n = parseVersion(param);
  const record = await s.deps.store.version(name, n);
  if (record === undefined) throw apiError('version_not_found', `The file has no version ${n}.`);
  if (!isLive(record)) throw apiError('file_deleted', `Version ${n} is a delete marker.`);
  return { sha256: record.sha256, size: record.size, headers: fileHeaders(record, IMMUTABLE) };
}

async function blobTarget(s: ReadState, digest: string): Promise<Target> {
  if (!DIGEST_RE.test(digest)) throw apiError('invalid_digest');
  let size = s.knownBlobs.get(digest);
  if (size === undefined) {
    // the committed size, never the size of whatever file is on disk (which is checked against it)
    size = await s.deps.store.contentSize(digest);
    if (size === undefined) throw apiError('blob_not_found');
    s.knownBlobs.set(digest, size);
  }
  return { sha256: digest, size, headers: blobHeaders(digest, size) };
}

async function handle(s: ReadState, req: IncomingMessage, res: ServerResponse, target: Promise<Target>): Promise<void> {
  try {
    await send(s, req, res, await target);
  } catch (err) {
    sendError(res, isNotFound(err) ? apiError('blob_unavailable') : withDependencyState(err, s.deps.redisReady()));
  }
}

async function send(s: ReadState, req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
  const { headers } = t;
  const etag = headers.ETag ?? '';
  const lastModified = headers['Last-Modified'];
  if (isNotModified(req.headers, etag, lastModified)) {
    res.writeHead(304, pick(headers, VALIDATORS));
    res.end();
    return;
  }
  const ifRange = req.headers['if-range'] as string | undefined; // a single-valued header in Node
  const rangeHeader = req.headers.range;
  const range = rangeStillValid(ifRange, etag, lastModified) ? parseRange(rangeHeader, t.size) : { kind: 'full' as const };
  if (range.kind === 'unsatisfiable') {
    sendError(res, apiError('invalid_range'), { 'Content-Range': `bytes */${t.size}` });
    return;
  }
  const [status, start, end] = range.kind === 'partial' ? [206, range.start, range.end] : [200, 0, t.size - 1];
  const out =
    status === 206
      ? { ...headers, 'Content-Length': String(end - start + 1), 'Content-Range': `bytes ${start}-${end}/${t.size}` }
      : headers;
  if (req.method === 'HEAD' || t.size === 0) {
    res.writeHead(status, out);
    res.end();
    return;
  }
  s.deps.metrics.bytesServed.inc(end - start + 1);
  await sendBody(s.deps.source, res, t, { start, end, status, headers: out });
}

function blobHeaders(digest: string, size: number): Record<string, string> {
  return {
    ETag: etagOf(digest),
    'Content-Type': DEFAULT_TYPE,
    'Content-Length': String(size),
    'Accept-Ranges': 'bytes',
    'Cache-Control': IMMUTABLE,
    'X-Cache': 'HIT',
    ...NOSNIFF,
  };
}

function fileHeaders(r: VersionRecord, cacheControl: string): Record<string, string> {
  return {
    ETag: etagOf(r.sha256 ?? ''),
    'Last-Modified': new Date(r.createdAt).toUTCString(),
    'Content-Type': r.contentType ?? DEFAULT_TYPE,
    'Content-Length': String(r.size),
    'Accept-Ranges': 'bytes',
    'Cache-Control': cacheControl,
    'X-Content-Version': String(r.version),
    'X-Cache': 'HIT',
    ...NOSNIFF,
  };
}

function pick(h: Record<string, string>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) if (h[n] !== undefined) out[n] = h[n];
  return out;
}

export type { HeadEntry };
