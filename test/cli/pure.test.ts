// The CLI's pure decisions: config, names, options, progress, backoff, formatting.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVER, loadCliConfig } from '../../cli/src/config.js';
import { renderCluster } from '../../cli/src/commands/cluster.js';
import { putHeaders } from '../../cli/src/commands/put.js';
import { CliError, EXIT } from '../../cli/src/errors.js';
import { eventLine, formatBytes, table, writeSummary } from '../../cli/src/format.js';
import { encodeName, filePath, lockPath, query, revertPath, versionsPath } from '../../cli/src/names.js';
import { parseCount, parseDuration, parseEventId, parseVersionArg } from '../../cli/src/options.js';
import { collectPages, MAX_PAGE, type Page } from '../../cli/src/pages.js';
import { PROGRESS_MIN_BYTES, shouldShowProgress } from '../../cli/src/progress.js';
import { digestFromEtag, planOutput } from '../../cli/src/transfer.js';
import { backoffMs, retriableStatus } from '../../cli/src/watchEvents.js';
import { redactUrl } from '../../cli/src/watchRedis.js';
import { writeExtras } from '../../cli/src/writeOptions.js';
import { classify } from '../../node/src/http/httpRules.js';

describe('loadCliConfig', () => {
  it('uses flags over the environment over defaults', () => {
    expect(loadCliConfig({}, {})).toEqual({ server: DEFAULT_SERVER, token: undefined, json: false, progress: true });
    const env = { KUBECDN_URL: 'http://env:1/', KUBECDN_TOKEN: 'env-token' };
    expect(loadCliConfig({}, env)).toMatchObject({ server: 'http://env:1', token: 'env-token' });
    expect(loadCliConfig({ server: 'https://flag:2', token: 'flag-token', json: true, progress: false }, env)).toEqual({
      server: 'https://flag:2',
      token: 'flag-token',
      json: true,
      progress: false,
    });
  });

  it('treats empty environment values as unset', () => {
    expect(loadCliConfig({}, { KUBECDN_URL: '', KUBECDN_TOKEN: '' })).toMatchObject({ server: DEFAULT_SERVER, token: undefined });
  });

  it('reports every problem at once as a usage error', () => {
    let err: unknown;
    try {
      loadCliConfig({ server: 'ftp://x', token: 'has space' }, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT.usage);
    expect((err as CliError).message).toContain('KUBECDN_URL');
    expect((err as CliError).message).toContain('KUBECDN_TOKEN');
  });

  it('returns a frozen config', () => {
    expect(Object.isFrozen(loadCliConfig({}, {}))).toBe(true);
  });
});

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

describe('option parsers', () => {
  it('versions and counts are whole numbers of at least 1', () => {
    expect(parseVersionArg('12')).toBe(12);
    expect(parseCount('3')).toBe(3);
    for (const bad of ['0', '-1', '1.5', 'x', '', '01']) {
      expect(() => parseVersionArg(bad), bad).toThrow();
      expect(() => parseCount(bad), bad).toThrow();
    }
  });

  it('durations have units; a bare number is seconds', () => {
    expect(parseDuration('1500ms')).toBe(1500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('10')).toBe(10_000);
    for (const bad of ['0', '0s', 's', '1d', '-5s', '1.5s']) expect(() => parseDuration(bad), bad).toThrow();
  });

  it('event ids are stream ids or 0', () => {
    expect(parseEventId('1700000000000-0')).toBe('1700000000000-0');
    expect(parseEventId('0')).toBe('0');
    expect(() => parseEventId('latest')).toThrow();
  });
});

describe('collectPages', () => {
  // A fake listing of 2500 numbers, served like the node: at most `want` per page, cursor = last item, sometimes a
  // page shorter than asked (the node drops deleted names from a page).
  const all = Array.from({ length: 2500 }, (_, i) => i + 1);
  const calls: Array<[string | undefined, number]> = [];
  const fetchPage = (cursor: string | undefined, want: number): Promise<Page<number>> => {
    calls.push([cursor, want]);
    const start = cursor === undefined ? 0 : Number(cursor);
    const items = all.slice(start, start + want).filter((n) => n !== 1500);
    const end = start + want;
    return Promise.resolve({ items, next: end < all.length ? String(end) : null });
  };

  it('follows the cursor to the end', async () => {
    calls.length = 0;
    const items = await collectPages(fetchPage, undefined);
    expect(items).toHaveLength(2499);
    expect(items.at(-1)).toBe(2500);
    expect(calls).toEqual([
      [undefined, MAX_PAGE],
      ['1000', MAX_PAGE],
      ['2000', MAX_PAGE],
    ]);
  });

  it('stops at the limit, asking only for what is still wanted', async () => {
    calls.length = 0;
    expect(await collectPages(fetchPage, 1200)).toEqual(all.slice(0, 1201).filter((n) => n !== 1500).slice(0, 1200));
    expect(calls).toEqual([
      [undefined, 1000],
      ['1000', 200],
    ]);
  });
});

describe('shouldShowProgress', () => {
  const tty = { enabled: true, json: false, stdoutIsTTY: true, stderrIsTTY: true, totalBytes: PROGRESS_MIN_BYTES + 1 };

  it('shows a bar for a large transfer at a terminal', () => {
    expect(shouldShowProgress(tty)).toBe(true);
  });

  it('never when output is piped or redirected, with --json or --no-progress, or for small or unknown sizes', () => {
    expect(shouldShowProgress({ ...tty, stdoutIsTTY: false })).toBe(false);
    expect(shouldShowProgress({ ...tty, stderrIsTTY: false })).toBe(false);
    expect(shouldShowProgress({ ...tty, json: true })).toBe(false);
    expect(shouldShowProgress({ ...tty, enabled: false })).toBe(false);
    expect(shouldShowProgress({ ...tty, totalBytes: PROGRESS_MIN_BYTES })).toBe(false);
    expect(shouldShowProgress({ ...tty, totalBytes: undefined })).toBe(false);
  });
});

describe('watch decisions', () => {
  it('backs off exponentially up to a cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map(backoffMs)).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('retries an unwell node but not a refusal of the request', () => {
    expect(retriableStatus(503)).toBe(true);
    expect(retriableStatus(500)).toBe(true);
    expect(retriableStatus(400)).toBe(false);
    expect(retriableStatus(401)).toBe(false);
  });

  it('hides a Redis password in messages', () => {
    expect(redactUrl('redis://:s3cret@host:6379/0')).toBe('redis://:***@host:6379/0');
    expect(redactUrl('redis://host:6379')).toBe('redis://host:6379');
  });
});

describe('transfer decisions', () => {
  it('reads the digest from a strong SHA-256 ETag only', () => {
    const hex = 'a'.repeat(64);
    expect(digestFromEtag(`"${hex}"`)).toBe(hex);
    expect(digestFromEtag(`W/"${hex}"`)).toBeUndefined();
    expect(digestFromEtag('"abc"')).toBeUndefined();
    expect(digestFromEtag(null)).toBeUndefined();
  });

  it('writes regular and new files beside the target and renames; devices in place', () => {
    expect(planOutput('/tmp/out/x.bin', undefined, 'r1')).toEqual({
      writePath: '/tmp/out/.x.bin.r1.kubecdn-part',
      finalPath: '/tmp/out/x.bin',
    });
    expect(planOutput('/tmp/x', { isFile: () => true }, 'r2').finalPath).toBe('/tmp/x');
    expect(planOutput('/dev/null', { isFile: () => false }, 'r3')).toEqual({ writePath: '/dev/null', finalPath: undefined });
  });
});

describe('write options', () => {
  it('a lock token becomes X-Lock-Token, a wait becomes ?waitMs', () => {
    expect(writeExtras({})).toEqual({ headers: {}, query: {} });
    expect(writeExtras({ lockToken: 't0k', wait: 1500 })).toEqual({ headers: { 'X-Lock-Token': 't0k' }, query: { waitMs: 1500 } });
  });
});

describe('put headers', () => {
  it('a file sends its length and digest; stdin neither; the type only when given', () => {
    const sha = 'c'.repeat(64);
    expect(putHeaders({ size: 12, sha256: sha }, undefined)).toEqual({ 'Content-Length': '12', 'X-Content-SHA256': sha });
    expect(putHeaders({ size: undefined, sha256: undefined }, 'text/plain')).toEqual({ 'Content-Type': 'text/plain' });
    expect(putHeaders({ size: 0, sha256: sha }, undefined)['Content-Length']).toBe('0');
  });
});

describe('renderCluster', () => {
  it('one row per member: the asked one starred, cache stats, under-replicated count, or why it was not reached', () => {
    const text = renderCluster({
      askedNode: 'node-a',
      askedUrl: 'http://cdn:8080',
      standalone: false,
      replicationFactor: 2,
      members: [
        { id: 'node-a', url: 'http://10.0.0.1:8080', reachable: true, cache: { bytes: 2048, maxBytes: 1024 ** 3, entries: 3 }, underReplicated: 0 },
        { id: 'node-b', url: 'http://10.0.0.2:8080', reachable: false, error: 'ECONNREFUSED' },
      ],
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('Cluster seen from node-a at http://cdn:8080: 2 members, replication factor 2');
    expect(lines[1]).toMatch(/^NODE\s+URL\s+CACHE\s+ENTRIES\s+UNDER-REPLICATED$/);
    expect(lines[2]).toMatch(/^node-a\*\s+http:\/\/10\.0\.0\.1:8080\s+2\.0 KiB of 1\.0 GiB\s+3\s+0$/);
    expect(lines[3]).toMatch(/^node-b\s+http:\/\/10\.0\.0\.2:8080\s+unreachable \(ECONNREFUSED\)/);
  });
});

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
