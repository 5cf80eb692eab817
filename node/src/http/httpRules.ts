// Pure HTTP decisions for the read path: ranges, conditional requests, content types, route classification.
// Content types come from mime-types; ranges and conditionals stay hand-written, each with its measured reason.
import type { IncomingHttpHeaders } from 'node:http';
import { lookup } from 'mime-types';
import { etagListMatches } from '../metadata/versionRules.js';

export type RangeResult =
  | { readonly kind: 'full' }
  | { readonly kind: 'unsatisfiable' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number };

/**
 * One byte range (RFC 9110 14.1.2). Syntax we do not serve (several ranges, other units, garbage) falls back to the
 * whole body, which the RFC allows (14.2: a server MAY ignore Range); a well-formed range that starts past the end is
 * unsatisfiable (416). Several ranges get the whole body rather than multipart/byteranges or the first range alone.
 *
 * Hand-written, not `range-parser` (1.3.0, installed with Express; test/unit/httpRules.test.ts compares the two). It
 * answers -1 (416) for a suffix longer than the body ("bytes=-30" of 10 bytes), where RFC 9110 14.1.2 says the whole
 * body (fixed upstream by jshttp/range-parser#66, after 1.3.0); it folds an invalid range ("bytes=5-2"), which we
 * ignore, into the same -1 as an unsatisfiable one, so telling them apart means parsing again; and it is slower:
 * 964 ns against 144 ns per call (bench/httpRules.ts, 4 typical headers).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return { kind: 'full' };
  const [, a = '', b = ''] = m;
  if (a === '') return b === '' ? { kind: 'full' } : suffixRange(Number(b), size);
  const start = Number(a);
  if (b !== '' && Number(b) < start) return { kind: 'full' }; // invalid range-spec: ignore
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: b === '' ? size - 1 : Math.min(Number(b), size - 1) };
}

/** The last `suffix` bytes; a suffix longer than the body means the whole body. */
function suffixRange(suffix: number, size: number): RangeResult {
  if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
}

/**
 * Pure: the longest a request may wait for a lock. The node closes a connection that carries no byte for
 * IDLE_TIMEOUT_MS, and a request waiting behind a lock sends none: a longer wait (?waitMs= allows hours) would end
 * in a cut connection instead of an answer (found by schemathesis). A little under the idle timeout leaves time to
 * write the 423.
 */
export function longestWaitMs(idleTimeoutMs: number): number {
  return idleTimeoutMs - Math.min(1000, Math.floor(idleTimeoutMs / 5));
}

/**
 * RFC 9110 13.2.2: If-None-Match wins over If-Modified-Since; true means 304.
 *
 * Hand-written, not `fresh` (2.0.0, behind Express's req.fresh). fresh never answers 304 to a request carrying
 * Cache-Control: no-cache (jshttp/fresh#16), but that directive asks caches to revalidate with the origin (RFC 9111
 * 5.2.1.4) and a 304 is that revalidation: a cache in front of the node that forwards it would get whole bodies back.
 * And fresh is slower on the hot path's 304 check, ns per call (bench/httpRules.ts; fresh given a header object built
 * once per head): If-None-Match hit 43 here / 279 fresh, miss 45 / 83, list of 3 169 / 823; unconditional ~1 both;
 * If-Modified-Since ~750 / ~1000, mostly Date.parse.
 */
export function isNotModified(req: IncomingHttpHeaders, etag: string, lastModified: string | undefined): boolean {
  const inm = req['if-none-match'];
  if (inm !== undefined) return noneMatch(inm, etag);
  const ims = req['if-modified-since'];
  return ims !== undefined && lastModified !== undefined && notModifiedSince(ims, Date.parse(lastModified));
}

/** If-None-Match uses weak comparison: W/"x" matches "x". */
export function noneMatch(header: string, etag: string): boolean {
  return etagListMatches(header, etag, 'weak');
}

/** If-Modified-Since: true when the resource has not changed since the date (HTTP dates have second precision). */
export function notModifiedSince(header: string, lastModifiedMs: number): boolean {
  const since = Date.parse(header);
  if (Number.isNaN(since)) return false;
  return Math.floor(lastModifiedMs / 1000) * 1000 <= since;
}

/** If-Range: the range applies only when the validator still matches (strong ETag or exact date). */
export function rangeStillValid(header: string | undefined, etag: string, lastModified: string | undefined): boolean {
  if (header === undefined) return true;
  const h = header.trim();
  if (h.startsWith('"') || h.startsWith('W/')) return h === etag;
  return lastModified !== undefined && h === lastModified;
}

export const DEFAULT_TYPE = 'application/octet-stream';

/**
 * The type a PUT stores: the client's Content-Type, else the type mime-db registers for the name's extension
 * (`mime-types`), text/* as UTF-8. JSON and the +json types carry no charset (RFC 8259 11 defines none), as before.
 * Called once per write, never per read: the read path serves the stored type from headers built once per head.
 */
export function contentTypeFor(name: string, given: string | undefined): string {
  // curl --data-binary and HTML forms send this by default; it never describes a stored file.
  if (given !== undefined && given !== '' && !given.startsWith('application/x-www-form-urlencoded')) return given;
  const dot = name.lastIndexOf('.');
  // only a real extension: lookup() also takes a bare one, and would type a file named "png" as image/png
  const type = dot > name.lastIndexOf('/') ? lookup(name.slice(dot + 1)) : false;
  if (type === false) return DEFAULT_TYPE;
  return type.startsWith('text/') ? `${type}; charset=utf-8` : type;
}

export type Route =
  | { readonly route: 'file'; readonly rawName: string }
  | { readonly route: 'versions'; readonly rawName: string }
  | { readonly route: 'revert'; readonly rawName: string }
  | { readonly route: 'blob'; readonly digest: string }
  | { readonly route: 'other' };

/**
 * Classifies a raw (still percent-encoded) path. A literal "/versions" or "/revert" suffix names the sub-resource;
 * a file whose name really ends in "/versions" is reached as ".../a%2Fversions" (the slash encoded).
 */
export function classify(rawPath: string): Route {
  if (rawPath.startsWith('/files/')) {
    const tail = rawPath.slice(7);
    if (tail.endsWith('/versions')) return { route: 'versions', rawName: tail.slice(0, -9) };
    if (tail.endsWith('/revert')) return { route: 'revert', rawName: tail.slice(0, -7) };
    return { route: 'file', rawName: tail };
  }
  if (rawPath.startsWith('/blobs/sha256/')) return { route: 'blob', digest: rawPath.slice(14) };
  return { route: 'other' };
}
