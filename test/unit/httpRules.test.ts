import rangeParser from 'range-parser';
import { describe, expect, it } from 'vitest';
import {
  classify,
  contentTypeFor,
  isNotModified,
  noneMatch,
  notModifiedSince,
  parseRange,
  rangeStillValid,
  type RangeResult,
} from '../../node/src/http/httpRules.js';

describe('parseRange', () => {
  it.each([
    [undefined, 10, { kind: 'full' }],
    ['bytes=0-3', 10, { kind: 'partial', start: 0, end: 3 }],
    ['bytes=5-', 10, { kind: 'partial', start: 5, end: 9 }],
    ['bytes=-3', 10, { kind: 'partial', start: 7, end: 9 }],
    ['bytes=-30', 10, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=8-100', 10, { kind: 'partial', start: 8, end: 9 }],
    ['bytes=10-', 10, { kind: 'unsatisfiable' }],
    ['bytes=-0', 10, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=5-2', 10, { kind: 'full' }],
    ['bytes=0-1,3-4', 10, { kind: 'full' }],
    ['items=0-1', 10, { kind: 'full' }],
    ['bytes=abc', 10, { kind: 'full' }],
  ] as const)('%s of %d bytes', (h, size, want) => {
    expect(parseRange(h, size)).toEqual(want);
  });
});

describe('conditionals', () => {
  const etag = '"abc"';
  it('If-None-Match compares weakly and understands lists and *', () => {
    expect(noneMatch('"abc"', etag)).toBe(true);
    expect(noneMatch('W/"abc"', etag)).toBe(true);
    expect(noneMatch('"x", "abc"', etag)).toBe(true);
    expect(noneMatch('*', etag)).toBe(true);
    expect(noneMatch('"x"', etag)).toBe(false);
  });
  it('If-Modified-Since has second precision and ignores bad dates', () => {
    const lm = Date.parse('Mon, 23 Nov 2026 10:00:00 GMT') + 400;
    expect(notModifiedSince('Mon, 23 Nov 2026 10:00:00 GMT', lm)).toBe(true);
    expect(notModifiedSince('Mon, 23 Nov 2026 09:59:59 GMT', lm)).toBe(false);
    expect(notModifiedSince('yesterday', lm)).toBe(false);
  });
  it('If-Range needs a strong match', () => {
    expect(rangeStillValid(undefined, etag, undefined)).toBe(true);
    expect(rangeStillValid('"abc"', etag, undefined)).toBe(true);
    expect(rangeStillValid('W/"abc"', etag, undefined)).toBe(false);
    expect(rangeStillValid('"other"', etag, undefined)).toBe(false);
    expect(rangeStillValid('Mon, 23 Nov 2026 10:00:00 GMT', etag, 'Mon, 23 Nov 2026 10:00:00 GMT')).toBe(true);
  });
});

describe('classify', () => {
  it('a literal /versions or /revert suffix is the sub-resource; an encoded slash keeps it in the name', () => {
    expect(classify('/files/a/b.txt')).toEqual({ route: 'file', rawName: 'a/b.txt' });
    expect(classify('/files/a/versions')).toEqual({ route: 'versions', rawName: 'a' });
    expect(classify('/files/a%2Fversions')).toEqual({ route: 'file', rawName: 'a%2Fversions' });
    expect(classify('/files/a/revert')).toEqual({ route: 'revert', rawName: 'a' });
    expect(classify('/blobs/sha256/ab')).toEqual({ route: 'blob', digest: 'ab' });
    expect(classify('/files')).toEqual({ route: 'other' });
  });
});

describe('contentTypeFor', () => {
  it('keeps the client type, ignores form encoding, guesses by extension', () => {
    expect(contentTypeFor('a.bin', 'image/png')).toBe('image/png');
    expect(contentTypeFor('a.html', 'application/x-www-form-urlencoded')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('dir.d/file', undefined)).toBe('application/octet-stream');
    expect(contentTypeFor('A.PNG', undefined)).toBe('image/png');
  });
});

describe('contentTypeFor: the types mime-types registers', () => {
  it('types that used to be served as application/octet-stream', () => {
    expect(contentTypeFor('fonts/a.ttf', undefined)).toBe('font/ttf');
    expect(contentTypeFor('fonts/a.otf', undefined)).toBe('font/otf');
    expect(contentTypeFor('js/app.js.map', undefined)).toBe('application/json');
    expect(contentTypeFor('site.webmanifest', undefined)).toBe('application/manifest+json');
    expect(contentTypeFor('video/index.m3u8', undefined)).toBe('application/vnd.apple.mpegurl');
  });

  it('every type of the old 28-entry table is unchanged but .ico, now the IANA-registered type', () => {
    const before: Record<string, string> = {
      html: 'text/html; charset=utf-8', htm: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8',
      js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8', json: 'application/json',
      txt: 'text/plain; charset=utf-8', md: 'text/markdown; charset=utf-8', csv: 'text/csv; charset=utf-8',
      xml: 'application/xml', svg: 'image/svg+xml', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg',
      gif: 'image/gif', webp: 'image/webp', avif: 'image/avif', ico: 'image/vnd.microsoft.icon',
      pdf: 'application/pdf', zip: 'application/zip', gz: 'application/gzip', tar: 'application/x-tar',
      wasm: 'application/wasm', mp4: 'video/mp4', webm: 'video/webm', mp3: 'audio/mpeg', woff: 'font/woff',
      woff2: 'font/woff2',
    };
    for (const [ext, type] of Object.entries(before)) expect(contentTypeFor(`d/f.${ext}`, undefined), ext).toBe(type);
  });

  it('only a real extension counts: no dot, a dot in a folder, a trailing dot, an unknown one', () => {
    expect(contentTypeFor('png', undefined)).toBe('application/octet-stream');
    expect(contentTypeFor('a.png/readme', undefined)).toBe('application/octet-stream');
    expect(contentTypeFor('a.', undefined)).toBe('application/octet-stream');
    expect(contentTypeFor('a.nosuchext', undefined)).toBe('application/octet-stream');
    expect(contentTypeFor('a.YAML', undefined)).toBe('text/yaml; charset=utf-8');
  });
});

describe('parseRange: edge cases, and where range-parser (what Express uses) answers otherwise', () => {
  it.each([
    ['bytes=0-0', 1, { kind: 'partial', start: 0, end: 0 }],
    ['bytes=9-9', 10, { kind: 'partial', start: 9, end: 9 }],
    ['bytes=-10', 10, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=0-99999999999999999999', 10, { kind: 'partial', start: 0, end: 9 }],
    [' bytes=2-3 ', 10, { kind: 'partial', start: 2, end: 3 }],
    ['bytes=-1', 0, { kind: 'unsatisfiable' }],
    ['bytes=0-0', 0, { kind: 'unsatisfiable' }],
    ['bytes=0-1,-1', 10, { kind: 'full' }], // several ranges: the whole body, never multipart
    ['bytes=0-0,0-0', 10, { kind: 'full' }],
    ['bytes=', 10, { kind: 'full' }],
    ['bytes=-', 10, { kind: 'full' }],
    ['bytes=0-3,', 10, { kind: 'full' }],
    ['bytes=1e2-', 1000, { kind: 'full' }],
  ] as const)('%s of %d bytes', (h, size, want) => {
    expect(parseRange(h, size)).toEqual(want);
  });

  // range-parser's answer in our terms: -2 or several ranges or another unit -> full, -1 -> 416, one range -> 206
  const asOurs = (r: ReturnType<typeof rangeParser>): RangeResult => {
    if (r === -1) return { kind: 'unsatisfiable' };
    if (r === -2 || r.type !== 'bytes' || r.length !== 1 || r[0] === undefined) return { kind: 'full' };
    return { kind: 'partial', start: r[0].start, end: r[0].end };
  };
  const specs = ['0-0', '0-3', '5-', '-3', '-10', '-11', '9-9', '9-', '10-', '10-20', '-0', '0-', '3-2', 'x', '-', '1-2,3-4'];

  it('agrees with range-parser but for three kinds of header, each answered as RFC 9110 says or allows', () => {
    const differ: string[] = [];
    for (const size of [0, 1, 10]) {
      for (const spec of specs) {
        const h = `bytes=${spec}`;
        if (JSON.stringify(parseRange(h, size)) !== JSON.stringify(asOurs(rangeParser(size, h)))) differ.push(`${h} of ${size}`);
      }
    }
    // range-parser answers all of these -1 (416)
    expect(differ.sort()).toEqual(
      [
        // a suffix longer than the body: the whole body, 206 (14.1.2); jshttp/range-parser#66 fixes it after 1.3.0
        ...['bytes=-3 of 1', 'bytes=-10 of 1', 'bytes=-11 of 1', 'bytes=-11 of 10'],
        // an invalid range (last < first): ignored, 200 (14.2 lets a server ignore Range)
        ...['bytes=3-2 of 0', 'bytes=3-2 of 1', 'bytes=3-2 of 10'],
        // several ranges, none satisfiable: ignored like any several ranges, 200
        ...['bytes=1-2,3-4 of 0', 'bytes=1-2,3-4 of 1'],
      ].sort(),
    );
  });
});

describe('isNotModified', () => {
  const etag = '"abc"';
  const lm = 'Mon, 23 Nov 2026 10:00:00 GMT';
  it('If-None-Match wins over If-Modified-Since, and no header means no 304', () => {
    expect(isNotModified({}, etag, lm)).toBe(false);
    expect(isNotModified({ 'if-modified-since': lm }, etag, lm)).toBe(true);
    expect(isNotModified({ 'if-modified-since': lm }, etag, undefined)).toBe(false);
    expect(isNotModified({ 'if-none-match': '"other"', 'if-modified-since': lm }, etag, lm)).toBe(false);
    expect(isNotModified({ 'if-none-match': ' "x" ,\tW/"abc"', 'if-modified-since': 'bad' }, etag, lm)).toBe(true);
  });
  it('a request Cache-Control: no-cache is still answered 304 (unlike `fresh`): the 304 is the revalidation', () => {
    expect(isNotModified({ 'if-none-match': etag, 'cache-control': 'no-cache' }, etag, lm)).toBe(true);
  });
});
