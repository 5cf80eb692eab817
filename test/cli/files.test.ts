// The real CLI against a real node: files, versions, listing, errors and exit codes, --json shapes.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';
import { BIN, cli, hasScript, nodeAt, onTerminal, requireBuiltCli, type FixedNode } from './harness.js';

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

let redis: TestRedis;
let node: FixedNode;
let work: string;
let env: Record<string, string>;

beforeAll(async () => {
  requireBuiltCli();
  redis = await startRedis();
  node = await nodeAt(redis.url);
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'kubecdn-cli-'));
  env = { KUBECDN_URL: node.url };
});

afterAll(async () => {
  await node?.stop();
  await redis?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
  if (node) await fs.rm(node.dataDir, { recursive: true, force: true });
});

async function localFile(name: string, content: string | Buffer): Promise<string> {
  const file = path.join(work, name);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
  return file;
}

describe('put and get', () => {
  it('round-trips a file, to stdout and to -o FILE, with --json shapes', async () => {
    const file = await localFile('hello.txt', 'hello, kubecdn\n');
    const put = await cli(['put', 'rt/hello.txt', file, '--json'], { env });
    expect(put.code).toBe(0);
    const stored = JSON.parse(put.stdout) as Record<string, unknown>;
    expect(stored).toMatchObject({ name: 'rt/hello.txt', event: 'file_added', version: 1, sha256: sha256('hello, kubecdn\n'), size: 15 });
    expect(stored.contentType).toMatch(/^text\/plain/);

    const toStdout = await cli(['get', 'rt/hello.txt'], { env });
    expect(toStdout).toMatchObject({ code: 0, stdout: 'hello, kubecdn\n' });

    const out = path.join(work, 'got/hello.txt');
    await fs.mkdir(path.dirname(out), { recursive: true });
    const toFile = await cli(['get', 'rt/hello.txt', '-o', out, '--json'], { env });
    expect(toFile.code).toBe(0);
    expect(await fs.readFile(out, 'utf8')).toBe('hello, kubecdn\n');
    expect(JSON.parse(toFile.stdout)).toMatchObject({ name: 'rt/hello.txt', version: 1, sha256: sha256('hello, kubecdn\n'), size: 15, output: out });
  });

  it('streams a file larger than 8 MiB both ways, checksums intact, no progress bar when piped', async () => {
    const big = randomBytes(9 * 1024 * 1024 + 123);
    const file = await localFile('big.bin', big);
    const put = await cli(['put', 'rt/big.bin', file], { env });
    expect(put.code).toBe(0);
    expect(put.stdout).toContain('rt/big.bin version 1 stored');
    expect(put.stderr).toBe('');

    const out = path.join(work, 'big.out');
    const get = await cli(['get', 'rt/big.bin', '-o', out], { env });
    expect(get.code).toBe(0);
    expect(get.stderr).toBe(''); // no bar, no escape codes, nothing
    expect(get.stdout).not.toMatch(/ETA|█|░|\r/);
    expect(get.stdout).not.toContain('\u001b');
    const got = await fs.readFile(out);
    expect(got.length).toBe(big.length);
    expect(sha256(got)).toBe(sha256(big));
    expect((await fs.readdir(work)).filter((f) => f.endsWith('.kubecdn-part'))).toEqual([]);

    const piped = await cli(['get', 'rt/big.bin'], { env });
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    expect(sha256(piped.stdoutBytes)).toBe(sha256(big));
  });

  it('uploads stdin with "-"', async () => {
    const put = await cli(['put', 'rt/stdin.txt', '-', '--content-type', 'text/x-custom', '--json'], { env, stdin: 'from stdin' });
    expect(put.code).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ name: 'rt/stdin.txt', sha256: sha256('from stdin'), contentType: 'text/x-custom' });
    expect((await cli(['get', 'rt/stdin.txt'], { env })).stdout).toBe('from stdin');
  });

  it('says unchanged when the content is already the latest version', async () => {
    const file = await localFile('same.txt', 'same content');
    expect((await cli(['put', 'rt/same.txt', file], { env })).code).toBe(0);
    const again = await cli(['put', 'rt/same.txt', file, '--json'], { env });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ unchanged: true, version: 1 });
  });

  it('reaches a file whose name ends in /versions', async () => {
    const file = await localFile('v.txt', 'named versions');
    expect((await cli(['put', 'rt/versions', file], { env })).code).toBe(0);
    expect((await cli(['get', 'rt/versions'], { env })).stdout).toBe('named versions');
    const versions = await cli(['versions', 'rt/versions', '--json'], { env });
    expect(JSON.parse(versions.stdout)).toMatchObject({ name: 'rt/versions', count: 1 });
  });

  it('fails loudly on a checksum mismatch and leaves no output file', async () => {
    // A node never completes a response whose bytes differ from its ETag; a proxy or cache in between might. So the
    // bytes come from a stand-in server here: the right ETag, one byte flipped.
    const content = randomBytes(2 * 1024 * 1024);
    const digest = sha256(content);
    const bad = Buffer.from(content);
    bad[1000] = (bad[1000] ?? 0) ^ 0xff;
    const liar = http.createServer((_req, res) => {
      res.writeHead(200, { ETag: `"${digest}"`, 'Content-Length': String(bad.length), 'X-Content-Version': '1' });
      res.end(bad);
    });
    await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
    const liarEnv = { KUBECDN_URL: `http://127.0.0.1:${(liar.address() as AddressInfo).port}` };
    try {
      const out = path.join(work, 'corrupt.out');
      const get = await cli(['get', 'rt/corrupt.bin', '-o', out], { env: liarEnv });
      expect(get.code).toBe(6);
      expect(get.stderr).toMatch(/CHECKSUM MISMATCH/);
      expect(get.stderr).toContain(digest);
      expect(existsSync(out)).toBe(false);
      expect((await fs.readdir(work)).filter((f) => f.includes('corrupt.out'))).toEqual([]);

      // An existing file is left as it was.
      await fs.writeFile(out, 'previous');
      expect((await cli(['get', 'rt/corrupt.bin', '-o', out], { env: liarEnv })).code).toBe(6);
      expect(await fs.readFile(out, 'utf8')).toBe('previous');
    } finally {
      liar.close();
    }
  });

  it('a copy corrupted on the node: the node refuses it, the CLI fails and writes nothing', async () => {
    const content = randomBytes(2 * 1024 * 1024);
    const digest = sha256(content);
    const file = await localFile('rotten.bin', content);
    expect((await cli(['put', 'rt/rotten.bin', file], { env })).code).toBe(0);
    const blob = path.join(node.dataDir, 'blobs', digest.slice(0, 2), digest.slice(2, 4), digest);
    const bad = Buffer.from(content);
    bad[1000] = (bad[1000] ?? 0) ^ 0xff;
    await fs.writeFile(blob, bad);
    const out = path.join(work, 'rotten.out');
    for (let i = 0; i < 2; i++) {
      // first a cut transfer (found while sending), then 503 blob_corrupt (quarantined)
      const get = await cli(['get', 'rt/rotten.bin', '-o', out], { env });
      expect(get.code).not.toBe(0);
      expect(existsSync(out)).toBe(false);
    }
    const last = await cli(['get', 'rt/rotten.bin', '-o', out], { env });
    expect(last.stderr).toMatch(/integrity check/);
  });
});

describe('versions, revert, rm, ls, stat', () => {
  it('walks a file through its history with --json shapes', async () => {
    const v1 = await localFile('hist1.txt', 'first');
    const v2 = await localFile('hist2.txt', 'second');
    expect((await cli(['put', 'hist/a.txt', v1], { env })).code).toBe(0);
    expect((await cli(['put', 'hist/a.txt', v2], { env })).code).toBe(0);

    const revert = await cli(['revert', 'hist/a.txt', '1', '--json'], { env });
    expect(revert.code).toBe(0);
    expect(JSON.parse(revert.stdout)).toMatchObject({ name: 'hist/a.txt', event: 'file_reverted', version: 3, revertedFrom: 1, sha256: sha256('first') });
    expect((await cli(['get', 'hist/a.txt'], { env })).stdout).toBe('first');

    const stat = await cli(['stat', 'hist/a.txt', '--json'], { env });
    expect(JSON.parse(stat.stdout)).toMatchObject({ name: 'hist/a.txt', count: 3, version: 3, size: 5, deleted: false, revertedFrom: 1 });
    const statV2 = await cli(['stat', 'hist/a.txt', '--version', '2', '--json'], { env });
    expect(JSON.parse(statV2.stdout)).toMatchObject({ version: 2, sha256: sha256('second') });
    const human = await cli(['stat', 'hist/a.txt'], { env });
    expect(human.stdout).toMatch(/version:\s+3 of 3/);
    expect(human.stdout).toContain(sha256('first'));

    const rm = await cli(['rm', 'hist/a.txt', '--json'], { env });
    expect(rm.code).toBe(0);
    expect(JSON.parse(rm.stdout)).toMatchObject({ name: 'hist/a.txt', event: 'file_deleted', version: 4, deleted: true });

    const versions = await cli(['versions', 'hist/a.txt', '--json'], { env });
    const parsed = JSON.parse(versions.stdout) as { name: string; count: number; versions: Array<{ version: number; deleted: boolean }> };
    expect(parsed.name).toBe('hist/a.txt');
    expect(parsed.count).toBe(4);
    expect(parsed.versions.map((v) => [v.version, v.deleted])).toEqual([
      [4, true],
      [3, false],
      [2, false],
      [1, false],
    ]);
    const limited = JSON.parse((await cli(['versions', 'hist/a.txt', '--limit', '2', '--json'], { env })).stdout) as typeof parsed;
    expect(limited.versions.map((v) => v.version)).toEqual([4, 3]);
    const table = await cli(['versions', 'hist/a.txt'], { env });
    expect(table.stdout).toMatch(/^v4\s.*deleted$/m);
    expect(table.stdout).toMatch(/^v3\s.*revert of v1$/m);

    const deleted = await cli(['get', 'hist/a.txt'], { env });
    expect(deleted.code).toBe(2);
    expect(deleted.stderr).toMatch(/has been deleted/);
    expect((await cli(['get', 'hist/a.txt', '--version', '2'], { env })).stdout).toBe('second');
    expect(JSON.parse((await cli(['stat', 'hist/a.txt', '--json'], { env })).stdout)).toMatchObject({ version: 4, deleted: true });
  });

  it('lists live files under a prefix, in order, deleted ones left out', async () => {
    for (const n of ['c', 'a', 'b']) {
      const f = await localFile(`ls-${n}.txt`, `listing ${n}`);
      expect((await cli(['put', `list/${n}.txt`, f], { env })).code).toBe(0);
    }
    const deleted = await localFile('ls-gone.txt', 'gone soon');
    expect((await cli(['put', 'list/gone.txt', deleted], { env })).code).toBe(0);
    expect((await cli(['rm', 'list/gone.txt'], { env })).code).toBe(0);

    const ls = await cli(['ls', 'list/', '--json'], { env });
    expect(ls.code).toBe(0);
    const files = (JSON.parse(ls.stdout) as { files: Array<{ name: string; version: number; size: number; sha256: string }> }).files;
    expect(files.map((f) => f.name)).toEqual(['list/a.txt', 'list/b.txt', 'list/c.txt']);
    expect(files[0]).toMatchObject({ version: 1, size: 9, sha256: sha256('listing a') });

    const limited = JSON.parse((await cli(['ls', 'list/', '--limit', '2', '--json'], { env })).stdout) as { files: unknown[] };
    expect(limited.files).toHaveLength(2);
    const human = await cli(['ls', 'list/'], { env });
    expect(human.stdout.trim().split('\n')).toHaveLength(4); // header + 3
    expect(human.stdout).toMatch(/list\/c\.txt$/m);
    expect((await cli(['ls', 'nothing-here/'], { env })).stdout).toMatch(/No files start with "nothing-here\/"/);
  });
});

describe('errors and exit codes', () => {
  it('a missing file or version exits 2', async () => {
    const missing = await cli(['get', 'no/such/file.txt'], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('"no/such/file.txt"');
    expect(missing.stdout).toBe('');
    const file = await localFile('one.txt', 'one version only');
    expect((await cli(['put', 'err/one.txt', file], { env })).code).toBe(0);
    const noVersion = await cli(['get', 'err/one.txt', '--version', '9'], { env });
    expect(noVersion.code).toBe(2);
    expect(noVersion.stderr).toContain('no version 9');
    expect((await cli(['stat', 'err/one.txt', '--version', '9'], { env })).code).toBe(2);
    expect((await cli(['versions', 'no/such/file.txt'], { env })).code).toBe(2);
    expect((await cli(['rm', 'no/such/file.txt'], { env })).code).toBe(2);
    expect((await cli(['revert', 'err/one.txt', '5'], { env })).code).toBe(2);
  });

  it('duplicate content exits 3 and names the existing file and version', async () => {
    const file = await localFile('dup.txt', 'duplicated bytes');
    expect((await cli(['put', 'dup/original.txt', file], { env })).code).toBe(0);
    const dup = await cli(['put', 'dup/copy.txt', file], { env });
    expect(dup.code).toBe(3);
    expect(dup.stderr).toContain('"dup/original.txt" version 1');

    const json = await cli(['put', 'dup/copy.txt', file, '--json'], { env });
    expect(json.code).toBe(3);
    expect(json.stdout).toBe('');
    const err = JSON.parse(json.stderr) as { error: { code: string; message: string; exitCode: number } };
    expect(err.error).toMatchObject({ code: 'duplicate_content', exitCode: 3 });
    expect(err.error.message).toContain('dup/original.txt');
  });

  it('an unreachable server exits 5 and names the URL tried', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const res = await cli(['ls'], { env: { KUBECDN_URL: url } });
    expect(res.code).toBe(5);
    expect(res.stderr).toContain(url);
    expect(res.stderr).toMatch(/Cannot reach/);
    const flag = await cli(['--server', url, 'get', 'x'], { env });
    expect(flag.code).toBe(5);
    expect(flag.stderr).toContain(url);
  });

  it('cluster, lock and unlock against a node without those routes (an older node) say so (exit 5)', async () => {
    // The answer every node gave before the cluster and locks issues: the catalogue's 404 route_not_found.
    const old = http.createServer((_req, res) => {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'route_not_found', message: 'No such route.' } }));
    });
    await new Promise<void>((r) => old.listen(0, '127.0.0.1', r));
    try {
      const oldEnv = { KUBECDN_URL: `http://127.0.0.1:${(old.address() as AddressInfo).port}` };
      const cluster = await cli(['cluster'], { env: oldEnv });
      expect(cluster.code).toBe(5);
      expect(cluster.stderr).toContain(`The server at ${oldEnv.KUBECDN_URL} does not support cluster yet`);
      const lock = await cli(['lock', 'a.txt'], { env: oldEnv });
      expect(lock.code).toBe(5);
      expect(lock.stderr).toMatch(/does not support locks yet/);
      const unlock = await cli(['unlock', 'a.txt', 'tok', '--json'], { env: oldEnv });
      expect(unlock.code).toBe(5);
      expect(JSON.parse(unlock.stderr)).toMatchObject({ error: { code: 'route_not_found', exitCode: 5 } });
    } finally {
      await new Promise((r) => old.close(r));
    }
  });

  it('cluster on a standalone node reports just that node', async () => {
    const res = await cli(['cluster', '--json'], { env });
    expect(res.code).toBe(0);
    type Member = { id: string; reachable: boolean; underReplicated: number; cache: { bytes: number; entries: number } };
    const report = JSON.parse(res.stdout) as { standalone: boolean; askedNode: string; members: Member[] };
    expect(report.standalone).toBe(true);
    expect(report.members).toHaveLength(1);
    expect(report.members[0]).toMatchObject({ id: report.askedNode, reachable: true, underReplicated: 0 });
    expect([typeof report.members[0]?.cache.bytes, typeof report.members[0]?.cache.entries]).toEqual(['number', 'number']);
    expect((await cli(['cluster'], { env })).stdout).toMatch(/is standalone/);
  });

  it('usage errors exit 1 before any request', async () => {
    const offline = { KUBECDN_URL: `http://127.0.0.1:${await freePort()}` }; // a request would exit 5, not 1
    expect((await cli(['frobnicate'], { env: offline })).code).toBe(1);
    expect((await cli(['get'], { env: offline })).code).toBe(1);
    expect((await cli(['get', 'a', '--version', 'x'], { env: offline })).code).toBe(1);
    expect((await cli(['get', 'a//b'], { env: offline })).code).toBe(1);
    expect((await cli(['lock', 'a', '--ttl', 'soon'], { env: offline })).code).toBe(1);
    expect((await cli(['put', 'a', path.join(work, 'does-not-exist')], { env: offline })).code).toBe(1);
    const badUrl = await cli(['ls'], { env: { KUBECDN_URL: 'ftp://example' } });
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toContain('KUBECDN_URL');
  });
});

describe('locks', () => {
  it('lock, write under the token while others get 423 naming the holder, unlock', async () => {
    const file = await localFile('locked.txt', 'written under the lock');
    const lock = await cli(['lock', 'locks/a.txt', '--ttl', '1m', '--holder', 'deploy-bot', '--json'], { env });
    expect(lock.code).toBe(0);
    const grant = JSON.parse(lock.stdout) as { name: string; token: string; fencingToken: number; expiresAt: string; holder: string };
    expect(grant).toMatchObject({ name: 'locks/a.txt', holder: 'deploy-bot' });
    expect(grant.token).not.toBe('');
    expect(Number.isNaN(Date.parse(grant.expiresAt))).toBe(false);

    const again = await cli(['lock', 'locks/a.txt'], { env });
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('"deploy-bot"');
    expect(again.stderr).toContain(grant.expiresAt);

    const blocked = await cli(['put', 'locks/a.txt', file], { env });
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toMatch(/is locked by "deploy-bot" until/);

    const under = await cli(['put', 'locks/a.txt', file, '--lock-token', grant.token, '--json'], { env });
    expect(under.code).toBe(0);
    expect(JSON.parse(under.stdout)).toMatchObject({ name: 'locks/a.txt', version: 1 });

    const wrong = await cli(['unlock', 'locks/a.txt', 'not-the-token'], { env });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/does not hold the lock on "locks\/a.txt"/);
    const unlock = await cli(['unlock', 'locks/a.txt', grant.token, '--json'], { env });
    expect(unlock.code).toBe(0);
    expect(JSON.parse(unlock.stdout)).toEqual({ name: 'locks/a.txt', released: true });
    expect((await cli(['rm', 'locks/a.txt'], { env })).code).toBe(0); // free again
  });

  it('a name ending in /refresh is lockable', async () => {
    const lock = await cli(['lock', 'locks/refresh', '--json'], { env });
    expect(lock.code).toBe(0);
    const { token } = JSON.parse(lock.stdout) as { token: string };
    expect((await cli(['unlock', 'locks/refresh', token], { env })).code).toBe(0);
  });
});

describe('help', () => {
  const commands = ['get', 'put', 'versions', 'revert', 'rm', 'ls', 'stat', 'watch', 'lock', 'unlock', 'cluster'];

  it('every command has --help with an example, exit 0', async () => {
    for (const c of commands) {
      const res = await cli([c, '--help']);
      expect(res.code, c).toBe(0);
      expect(res.stdout, c).toContain(`Usage: kubecdn ${c}`);
      expect(res.stdout, c).toContain('Examples:');
      expect(res.stdout, c).toContain(`$ kubecdn ${c}`);
      expect(res.stdout, c).toContain('--server'); // global options are shown too
    }
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const c of commands) expect(top.stdout).toContain(`  ${c}`);
    expect(top.stdout).toContain('KUBECDN_URL');
    expect(top.stdout).toContain('Exit codes:');
  });
});

describe('progress bar', () => {
  it.skipIf(!hasScript)('shows on a terminal for a large transfer', async () => {
    const big = randomBytes(6 * 1024 * 1024);
    const file = await localFile('tty.bin', big);
    const out = path.join(work, 'tty.out');
    expect((await cli(['put', 'tty/big.bin', file], { env })).code).toBe(0);
    const res = await onTerminal(`'${process.execPath}' '${BIN}' get tty/big.bin -o '${out}'`, env);
    expect(res.code).toBe(0);
    expect(res.output).toMatch(/get .*100% \| 6\.0 MiB of 6\.0 MiB/);
    expect(sha256(await fs.readFile(out))).toBe(sha256(big));
    // The same command piped (every other test here) prints no bar: see "streams a file larger than 8 MiB".
    const quiet = await onTerminal(`'${process.execPath}' '${BIN}' get tty/big.bin -o '${out}' --no-progress`, env);
    expect(quiet.code).toBe(0);
    expect(quiet.output).not.toMatch(/%/);
  });
});
