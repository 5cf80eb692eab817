// Pure HTTP decisions for the read path: ranges, conditional requests, content types, route classification.

export type RangeResult =
  | { readonly kind: 'full' }
  | { readonly kind: 'unsatisfiable' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number };

/**
 * One byte range (RFC 9110 14.1.2). Syntax we do not serve (several ranges, other units, garbage) falls back to the
 * whole body, which the RFC allows; a well-formed range that starts past the end is unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'full' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return { kind: 'full' };
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return { kind: 'full' };
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== '' && Number(b) < start) return { kind: 'full' }; // invalid range-spec: ignore
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}

/** If-None-Match uses weak comparison: W/"x" matches "x". */
export function noneMatch(header: string, etag: string): boolean {
  for (const raw of header.split(',')) {
    const t = raw.trim();
    if (t === '*' || t === etag || t === `W/${etag}`) return true;
  }
  return false;
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

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  xml: 'application/xml',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/x-icon',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  wasm: 'application/wasm',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mp3: 'audio/mpeg',
  woff: 'font/woff',
  woff2: 'font/woff2',
};

export const DEFAULT_TYPE = 'application/octet-stream';

/** The type a PUT stores: the client's Content-Type, else one guessed from the name's extension. */
export function contentTypeFor(name: string, given: string | undefined): string {
  // curl --data-binary and HTML forms send this by default; it never describes a stored file.
  if (given !== undefined && given !== '' && !given.startsWith('application/x-www-form-urlencoded')) return given;
  const dot = name.lastIndexOf('.');
  const ext = dot > name.lastIndexOf('/') ? name.slice(dot + 1).toLowerCase() : '';
  return TYPES[ext] ?? DEFAULT_TYPE;
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
