import { describe, expect, it } from 'vitest';
import { checkName, filePath, nameFromPath } from '../../node/src/names.js';

describe('file names', () => {
  it.each(['a', 'docs/readme.md', 'ünïcödé/файл.txt', 'a b/c', 'x'.repeat(1024), '.hidden', 'a/.b/..c'])('accepts %j', (n) => {
    expect(checkName(n)).toEqual({ ok: true, name: n.normalize('NFC') });
  });

  it.each([
    ['', 'bytes'],
    ['x'.repeat(1025), 'bytes'],
    ['é'.repeat(513), 'bytes'], // 1026 bytes in UTF-8
    ['/abs', 'empty segment'],
    ['trailing/', 'empty segment'],
    ['a//b', 'empty segment'],
    ['.', '"."'],
    ['..', '"."'],
    ['a/../b', '"."'],
    ['a/./b', '"."'],
    ['tab\there', 'control'],
    ['nul\u0000', 'control'],
    ['del\u007f', 'control'],
    ['c1\u0085', 'control'],
    ['lone\ud800', 'UTF-8'],
  ])('rejects %j (%s)', (n, reason) => {
    const r = checkName(n);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it('normalizes to NFC so both spellings are one name', () => {
    const nfd = 'cafe\u0301';
    const r = checkName(nfd);
    expect(r).toEqual({ ok: true, name: 'caf\u00e9' });
  });

  it('decodes URL paths and refuses malformed escapes', () => {
    expect(nameFromPath('a%2Fb')).toBe('a/b');
    expect(() => nameFromPath('%E0%A4%A')).toThrow(/percent-encoding/);
    expect(() => nameFromPath('..%2Fetc%2Fpasswd')).toThrow(/"\."/);
  });

  it('builds encoded paths', () => {
    expect(filePath('a b/c?d')).toBe('/files/a%20b/c%3Fd');
  });
});
