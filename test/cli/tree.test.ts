// The pure decisions of sync, put -r and get -r (cli/src/tree/plan.ts, filters.ts).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pathFilter } from '../../cli/src/tree/filters.js';
import { localPathFor, normalizePrefix, planUpload, splitDuplicates, type LocalEntry } from '../../cli/src/tree/plan.js';

const entry = (rel: string, sha: string, size = 1): LocalEntry => ({ rel, path: `/d/${rel}`, sha256: sha.repeat(64), size });

describe('pathFilter', () => {
  it('a pattern without "/" matches the last segment at any depth; one with "/" the whole path; exclude wins', () => {
    const keep = pathFilter(['*.html', 'css/**'], ['**/draft*', '.git/**']);
    expect(['index.html', 'a/b/page.html', 'css/x/y.css'].map(keep)).toEqual([true, true, true]);
    expect(['a/draft.html', 'img/a.png', '.git/config'].map(keep)).toEqual([false, false, false]);
    expect(pathFilter([], ['*.tmp'])('d0/x.tmp')).toBe(false);
    expect(pathFilter([], [])('.hidden/x')).toBe(true);
  });
});

describe('planUpload', () => {
  it('same digest: unchanged; other digest: changed; absent: new; --delete only what the filter keeps', () => {
    const plan = planUpload(
      'site/',
      [entry('a', 'a'), entry('b', 'b'), entry('c', 'c')],
      [
        { name: 'site/a', sha256: 'a'.repeat(64), size: 1 },
        { name: 'site/b', sha256: 'f'.repeat(64), size: 1 },
        { name: 'site/gone', sha256: 'd'.repeat(64), size: 1 },
        { name: 'site/keep.tmp', sha256: 'e'.repeat(64), size: 1 },
      ],
      { remove: true, keep: (rel) => !rel.endsWith('.tmp') },
    );
    expect(plan.unchanged).toEqual(['site/a']);
    expect(plan.upload.map((u) => `${u.name}:${u.reason}`)).toEqual(['site/b:changed', 'site/c:new']);
    expect(plan.remove).toEqual(['site/gone']);
    expect(planUpload('site/', [], [{ name: 'site/x', sha256: null, size: 0 }], { remove: false, keep: () => true }).remove).toEqual([]);
  });

  it('prefixes name folders', () => {
    expect([normalizePrefix('site'), normalizePrefix('site/'), normalizePrefix(''), normalizePrefix('/a/b')]).toEqual(['site/', 'site/', '', 'a/b/']);
    expect(() => normalizePrefix('a//b')).toThrow(/empty segment/);
  });
});

describe('splitDuplicates', () => {
  it('skips content already stored or carried by an earlier upload; never an empty file', () => {
    const uploads = planUpload('', [entry('x', '1'), entry('y', '1'), entry('z', '2'), entry('e1', '0', 0), entry('e2', '0', 0)], [], {
      remove: false,
      keep: () => true,
    }).upload;
    const { upload, skip } = splitDuplicates(uploads, new Map([['2'.repeat(64), 'old/z']]));
    expect(upload.map((u) => u.name)).toEqual(['x', 'e1', 'e2']);
    expect(skip.map((s) => `${s.name}=${s.sameAs}`)).toEqual(['y=x', 'z=old/z']);
  });
});

describe('localPathFor', () => {
  it('maps a name under the prefix into the directory', () => {
    expect(localPathFor('out', 'site/', 'site/a/b.txt')).toBe(path.resolve('out', 'a', 'b.txt'));
  });

  it('refuses names that would write outside the directory', () => {
    for (const bad of ['site/../etc/passwd', 'site/a/../../x', 'site//abs', 'site/', 'other/x', 'site/a\\..\\x', 'site/./x']) {
      expect(() => localPathFor('out', 'site/', bad), bad).toThrow(/outside out/);
    }
    expect(() => localPathFor('out', '', '/etc/passwd')).toThrow(/outside/);
  });
});
