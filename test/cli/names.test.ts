// File names in CLI URLs, pure: each segment encoded, and a name the node would read as a sub-resource kept a file.
import { describe, expect, it } from 'vitest';
import { CliError } from '../../cli/src/errors.js';
import { encodeName, filePath, lockPath, query, revertPath, versionsPath } from '../../cli/src/names.js';
import { classify } from '../../node/src/http/httpRules.js';

describe('names', () => {
  it('percent-encodes each segment and keeps the slashes', () => {
    expect(filePath('docs/a b/ü?.txt')).toBe('/files/docs/a%20b/%C3%BC%3F.txt');
    expect(query({ version: 3, cursor: undefined, prefix: 'a/b' })).toBe('?version=3&prefix=a%2Fb');
    expect(query({})).toBe('');
  });

  it('encodes the slash before a last segment named versions or revert, so the node sees a file', () => {
    expect(encodeName('a/versions')).toBe('a%2Fversions');
    expect(encodeName('x/y/revert')).toBe('x/y%2Frevert');
    expect(encodeName('versions')).toBe('versions');
    expect(classify(filePath('a/versions'))).toEqual({ route: 'file', rawName: 'a%2Fversions' });
    expect(classify(versionsPath('a/versions'))).toEqual({ route: 'versions', rawName: 'a%2Fversions' });
    expect(classify(revertPath('a/revert'))).toEqual({ route: 'revert', rawName: 'a%2Frevert' });
    expect(classify(filePath('a/b.txt'))).toEqual({ route: 'file', rawName: 'a/b.txt' });
    expect(lockPath('a/b')).toBe('/locks/a/b');
    expect(lockPath('a/refresh')).toBe('/locks/a%2Frefresh');
    expect(lockPath('a/versions')).toBe('/locks/a/versions');
  });

  it('refuses names a URL would change', () => {
    for (const bad of ['', '/a', 'a/', 'a//b', 'a/./b', '../a', 'a/..']) {
      expect(() => encodeName(bad), bad).toThrow(CliError);
    }
  });
});
