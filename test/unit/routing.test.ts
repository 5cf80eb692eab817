// The Express routes for names see the raw path exactly as the read path's classify() does, so one URL names one
// file (and one sub-resource) whether a read or a write takes it.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../node/src/errors.js';
import { classify } from '../../node/src/http/httpRules.js';
import { FILE, FILE_REVERT, FILE_VERSIONS, nameOf, type NamedRoute } from '../../node/src/http/routing.js';

// in the order filesRouter mounts them
const ROUTES: [string, NamedRoute][] = [
  ['versions', FILE_VERSIONS],
  ['revert', FILE_REVERT],
  ['file', FILE],
];

/** The route Express takes for `path`, and its name decoded by it, as classify() would put it. */
function express(path: string): { route: string; rawName?: string } {
  const hit = ROUTES.find(([, r]) => r.path.test(path));
  if (!hit) return { route: 'other' };
  const [route, r] = hit;
  return { route, rawName: path.slice(r.prefix.length, path.length - r.suffix.length) };
}

const PATHS = [
  '/files/a.txt',
  '/files/a/b/c.txt',
  '/files/a/versions',
  '/files/a%2Fversions',
  '/files/a/revert',
  '/files/a%2Frevert',
  '/files/a/versions/revert',
  '/files/a/revert/versions',
  '/files/versions',
  '/files//versions',
  '/files/a/versions/',
  '/files/a/VERSIONS',
  '/files/',
  '/files',
  '/FILES/a',
  '/filesx/a',
  '/files/%ZZ',
  '/blobs/sha256/ab',
];

describe('Express routes and classify() agree', () => {
  it.each(PATHS)('%s', (path) => {
    const c = classify(path);
    expect(express(path)).toEqual(c.route === 'blob' ? { route: 'other' } : c);
  });

  it('the name is decoded once: an encoded slash stays in it, an encoded percent stays a percent', () => {
    expect(nameOf(FILE, { path: '/files/a%2Fversions' })).toBe('a/versions');
    expect(nameOf(FILE_VERSIONS, { path: '/files/a%2541/versions' })).toBe('a%41');
    expect(nameOf(FILE_REVERT, { path: '/files/caf%C3%A9/revert' })).toBe('café');
  });

  it('a bad escape is invalid_name (not the bad_request Express gives a capture it cannot decode)', () => {
    expect(() => nameOf(FILE, { path: '/files/%ZZ' })).toThrow(ApiError);
    try {
      nameOf(FILE, { path: '/files/%ZZ' });
    } catch (err) {
      expect((err as ApiError).code).toBe('invalid_name');
    }
  });
});
