// What the CLI prints, pure: sizes, tables, event lines, write summaries.
import { describe, expect, it } from 'vitest';
import { eventLine, formatBytes, table, writeSummary } from '../../cli/src/format.js';

describe('formatting', () => {
  it('sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(9 * 1024 * 1024)).toBe('9.0 MiB');
  });

  it('tables pad every column but the last', () => {
    expect(table(['A', 'NAME'], [['long cell', 'x'], ['y', 'z']])).toBe('A          NAME\nlong cell  x\ny          z');
  });

  it('event lines show time, event, file, version, size and id; other payloads as they came', () => {
    const ev = { event: 'file_added', filename: 'a/b.txt', version: 2, size: 2048, time: '2030-01-01T00:00:00.000Z', id: '9-0' };
    expect(eventLine(JSON.stringify(ev))).toBe('2030-01-01T00:00:00.000Z  file_added     a/b.txt  v2  2.0 KiB  [9-0]');
    expect(eventLine('not json')).toBe('not json');
    expect(eventLine('{"other":true}')).toBe('{"other":true}');
  });

  it('write summaries tell stored, unchanged, reverted and deleted apart', () => {
    const base = {
      name: 'f',
      version: 3,
      sha256: 'b'.repeat(64),
      size: 10,
      contentType: 'text/plain',
      createdAt: '',
      node: 'n',
      revertedFrom: null,
      deleted: false,
      deduplicated: false,
    };
    expect(writeSummary(base)).toMatch(/^f version 3 stored: 10 B/);
    expect(writeSummary({ ...base, unchanged: true })).toMatch(/unchanged/);
    expect(writeSummary({ ...base, revertedFrom: 1 })).toMatch(/reverted to the content of version 1/);
    expect(writeSummary({ ...base, deleted: true, sha256: null })).toMatch(/^Deleted f/);
  });
});
