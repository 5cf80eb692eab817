// The lean read path: GET/HEAD of files and blobs on a bare node:http request, without Express. Per request it
// costs one head-cache lookup (no Redis round trip while nothing changed), headers built once per head, and either a
// Buffer from the hot cache or a file stream. The commonest request of all — a whole file whose head and bytes are
// both in memory — is answered synchronously (`hotHit`): no promise, no listener, headers as a prebuilt list.
import type { IncomingMessage, ServerResponse } from 'node:http';
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
import { classify, DEFAULT_TYPE, isNotModified, parseRange, rangeStillValid } from './httpRules.js';
import { parseVersion } from './params.js';
import { sendError, withDependencyState } from './respond.js';
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
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
const VALIDATORS = ['ETag', 'Last-Modified', 'Cache-Control', 'X-Content-Version'] as const;

interface Target {
  readonly sha256: string;
  readonly size: number;
  readonly headers: Record<string, string>;
}

export type ReadPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Returns a handler that takes GET/HEAD of /files/{name} and /blobs/sha256/{hex}, and declines the rest. */
export function createReadPath(deps: ReadPathDeps): ReadPath {
  // Digests known to be committed, with their size: immutable facts, so caching them is always safe.
  const knownBlobs = new LRUCache<string, number>({ max: 100_000 });
  // Raw URL path -> validated name: decoding, NFC and the name rules cost ~7% of a hot read (profiled).
  const validNames = new LRUCache<string, string>({ max: 10_000 });

  async function fileTarget(rawName: string, query: string | undefined): Promise<Target> {
    let name = validNames.get(rawName);
    if (name === undefined) {
      name = nameFromPath(rawName); // throws invalid_name: never cached
      validNames.set(rawName, name);
    }
    const versionParam = query === undefined ? null : new URLSearchParams(query).get('version');
    if (versionParam !== null) return versionTarget(name, versionParam);
    let entry = deps.heads.get(name);
    if (entry) deps.metrics.headCacheHits.inc();
    else {
      deps.metrics.headCacheMisses.inc();
      const mark = deps.heads.mark();
      entry = { record: await deps.store.head(name) };
      deps.heads.set(name, entry, mark);
    }
    const record = entry.record;
    if (record === undefined) throw apiError('file_not_found');
    if (!isLive(record)) throw apiError('file_deleted');
    entry.headers ??= fileHeaders(record, deps.cacheControlLatest);
    return { sha256: record.sha256, size: record.size, headers: entry.headers };
  }

  async function versionTarget(name: string, param: string): Promise<Target> {
    const n = parseVersion(param);
    const record = await deps.store.version(name, n);
    if (record === undefined) throw apiError('version_not_found', `The file has no version ${n}.`);
    if (!isLive(record)) throw apiError('file_deleted', `Version ${n} is a delete marker.`);
    return { sha256: record.sha256, size: record.size, headers: fileHeaders(record, IMMUTABLE) };
  }

  async function blobTarget(digest: string): Promise<Target> {
    if (!DIGEST_RE.test(digest)) throw apiError('invalid_digest');
    let size = knownBlobs.get(digest);
    if (size === undefined) {
      // the committed size, never the size of whatever file is on disk (which is checked against it)
      size = await deps.store.contentSize(digest);
      if (size === undefined) throw apiError('blob_not_found');
      knownBlobs.set(digest, size);
    }
    return {
      sha256: digest,
      size,
      headers: {
        ETag: etagOf(digest),
        'Content-Type': DEFAULT_TYPE,
        'Content-Length': String(size),
        'Accept-Ranges': 'bytes',
        'Cache-Control': IMMUTABLE,
        'X-Cache': 'HIT',
      },
    };
  }

  /** A whole file with its head and bytes in memory, answered and recorded synchronously; false: take the long way. */
  function hotHit(req: IncomingMessage, res: ServerResponse, rawName: string): boolean {
    if (req.headers.range !== undefined) return false;
    const name = validNames.get(rawName);
    const entry = name === undefined ? undefined : deps.heads.get(name);
    const record = entry?.record;
    if (entry === undefined || !isLive(record)) return false;
    const buf = deps.hot.get(record.sha256);
    if (buf === undefined) return false;
    const start = performance.now();
    const id = deps.observer.id(req);
    deps.metrics.headCacheHits.inc();
    entry.headers ??= fileHeaders(record, deps.cacheControlLatest);
    const raw = (entry.raw ??= {
      full: Object.entries(entry.headers).flat(),
      validators: Object.entries(pick(entry.headers, VALIDATORS)).flat(),
    });
    let status = 200;
    if (isNotModified(req.headers, entry.headers.ETag ?? '', entry.headers['Last-Modified'])) {
      status = 304;
      res.writeHead(304, [...raw.validators, 'X-Request-Id', id]);
      res.end();
    } else {
      res.writeHead(200, [...raw.full, 'X-Request-Id', id]);
      if (req.method === 'HEAD') res.end();
      else {
        deps.metrics.bytesServed.inc(buf.length);
        deps.metrics.cacheHits.inc();
        deps.metrics.hotCacheHits.inc();
        res.end(buf);
      }
    }
    deps.observer.record(req, { route: 'file', status, start, id });
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, target: Promise<Target>): Promise<void> {
    try {
      await send(req, res, await target);
    } catch (err) {
      sendError(res, isNotFound(err) ? apiError('blob_unavailable') : withDependencyState(err, deps.redisReady()));
    }
  }

  async function send(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
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
    deps.metrics.bytesServed.inc(end - start + 1);
    await sendBody(deps.source, res, t, { start, end, status, headers: out });
  }

  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const route = classify(path);
    if (route.route === 'file') {
      if (q === -1 && hotHit(req, res, route.rawName)) return true;
      deps.observer.watch(req, res);
      res.metricsRoute = 'file';
      void handle(req, res, fileTarget(route.rawName, q === -1 ? undefined : url.slice(q + 1)));
      return true;
    }
    if (route.route === 'blob') {
      deps.observer.watch(req, res);
      res.metricsRoute = 'blob';
      void handle(req, res, blobTarget(route.digest));
      return true;
    }
    return false;
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
  };
}

function pick(h: Record<string, string>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) if (h[n] !== undefined) out[n] = h[n];
  return out;
}

export type { HeadEntry };
