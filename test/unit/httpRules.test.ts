import { describe, expect, it } from 'vitest';
import {
  classify,
  contentTypeFor,
  noneMatch,
  notModifiedSince,
  parseRange,
  rangeStillValid,
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
