// A full or read-only DATA_DIR is the machine's state, not a bug: writes answer 503 with a stable code and a
// Retry-After, readiness says not ready while it lasts, and the node recovers by itself once it is over. Run on a
// real node process whose DATA_DIR is a small tmpfs the test mounts (root only; skipped where mount is refused).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../node/src/errors.js';
import { diskFaultOf, retryAfterOf, toApiError } from '../../node/src/http/respond.js';
import { put } from '../helpers/http.js';
import { spawnNode, tempDir, type ChildNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';

const TOKEN = 'disk-faults-token';
const A = { Authorization: `Bearer ${TOKEN}` };
const errno = (code: string, cause?: unknown): Error => Object.assign(new Error(code, { cause }), { code, syscall: 'write' });

describe('disk fault mapping (pure)', () => {
  it.each([
    ['ENOSPC', 'disk_full'],
    ['EDQUOT', 'disk_full'],
    ['EROFS', 'disk_read_only'],
    ['EIO', 'disk_error'],
  ])('%s is %s, 503, Retry-After 5, also under causes and a generic wrapper', (code, want) => {
    for (const err of [errno(code), new Error('wrapped', { cause: errno(code) }), new ApiError('unavailable', undefined, undefined, { cause: errno(code) })]) {
      const api = toApiError(err);
      expect([api.code, api.status, retryAfterOf(api, Date.now())]).toEqual([want, 503, 5]);
    }
  });

  it('other errors keep their answer; other 503s say when to retry (docs/api.md), other statuses do not', () => {
    expect(diskFaultOf(errno('ENOENT'))).toBeUndefined();
    expect(toApiError(errno('EACCES')).code).toBe('internal');
    expect(toApiError(new ApiError('payload_too_large', undefined, undefined, { cause: errno('ENOSPC') })).code).toBe('payload_too_large');
    expect(retryAfterOf(new ApiError('unavailable'), Date.now())).toBe(3);
    expect(retryAfterOf(new ApiError('write_conflict'), Date.now())).toBe(1);
    expect(retryAfterOf(new ApiError('internal'), Date.now())).toBeUndefined();
    const loop: { code: string; cause?: unknown } = { code: 'x' };
    loop.cause = loop;
    expect(diskFaultOf(loop)).toBeUndefined();
  });
});

const run = (cmd: string, ...args: string[]): void => void execFileSync(cmd, args, { stdio: 'pipe' });

/** True when this process may mount a tmpfs (root with CAP_SYS_ADMIN): found by trying. */
async function canMount(): Promise<boolean> {
  const dir = await tempDir('kubecdn-mount-probe-');
  try {
    run('mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir);
    run('umount', dir);
    return true;
  } catch {
    return false;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const mountable = await canMount();

describe.skipIf(!mountable)('a real node on a small tmpfs DATA_DIR', () => {
  let redis: TestRedis;
  let node: ChildNode;
  let dir: string;
  let mounted = false;

  beforeAll(async () => {
    redis = await startRedis();
    dir = await tempDir('kubecdn-tmpfs-');
    run('mount', '-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir);
    mounted = true;
    node = await spawnNode(redis.url, { NODE_ID: 'disk-faults', DATA_DIR: dir, WRITE_TOKEN: TOKEN, BLOB_JOURNAL_CHECKPOINT_MS: '200' });
  });
  afterAll(async () => {
    await node?.stop();
    if (mounted) run('umount', dir);
    if (dir) await fs.rm(dir, { recursive: true, force: true });
    await redis?.stop();
  });

  const readyz = async (): Promise<{ status: number; body: { checks?: { dataDir?: boolean } } }> => {
    const r = await fetch(`${node.url}/readyz`);
    return { status: r.status, body: (await r.json()) as { checks?: { dataDir?: boolean } } };
  };
  const diskGauge = async (): Promise<string | undefined> =>
    /^kubecdn_disk_writable(?:\{[^}]*\})? (\S+)$/m.exec(await (await fetch(`${node.url}/metrics`)).text())?.[1];
  const putNew = (name: string, bytes = 16 * 1024): Promise<Response> => put(node.url, name, randomBytes(bytes), A);

  /** Asserts a 503 with this code and a Retry-After of 5 s. */
  async function expectFault(res: Response, code: string): Promise<void> {
    expect([res.status, res.headers.get('retry-after'), await res.json()]).toMatchObject([503, '5', { error: { code } }]);
  }

  /**
   * The blob journal holds nothing: its checkpoint (every 200 ms here) synced and removed the segment of the last
   * records and closed it. Until then the segment's space is freed under a "full" disk when the checkpoint comes, and
   * a file open for writing makes `mount -o remount,ro` refuse ("busy"; the kernel's own errors=remount-ro does not
   * wait for that, this simulation of it does).
   */
  const journalEmpty = async (): Promise<boolean> => {
    const journal = path.join(dir, 'journal');
    const fds = `/proc/${node.proc.pid}/fd`;
    const open = await Promise.all((await fs.readdir(fds)).map((fd) => fs.readlink(path.join(fds, fd)).catch(() => '')));
    return (await fs.readdir(journal)).length === 0 && !open.some((file) => file.startsWith(journal));
  };

  /** Fills the tmpfs to the last byte with a file of our own (a short write, then ENOSPC). */
  async function fillUp(file: string): Promise<void> {
    const fh = await fs.open(file, 'w');
    try {
      for (;;) await fh.write(Buffer.alloc(64 * 1024));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      await fh.close();
    }
  }

  it('a full disk: PUT and /write answer 503 disk_full, never 500; readyz not ready; reads still work', async () => {
    expect((await putNew('before-full.bin')).status).toBe(201);
    await fs.writeFile(path.join(dir, 'filler-1'), Buffer.alloc(1024 * 1024));
    let last: Response | undefined;
    for (let i = 0; i < 200; i++) {
      last = await putNew(`fill-${i}.bin`);
      if (last.status !== 201) break;
    }
    await expectFault(last!, 'disk_full');
    await waitFor(journalEmpty, 10_000, 'the blob journal empty');
    await fillUp(path.join(dir, 'filler-2'));
    await expectFault(await putNew('while-full.bin'), 'disk_full');
    // a body still arriving when the disk refuses it: the client gets the answer, not a reset
    await expectFault(await putNew('large-while-full.bin', 1024 * 1024), 'disk_full');
    const write = await fetch(`${node.url}/write`, {
      method: 'POST',
      headers: { ...A, 'Content-Type': 'application/json' },
      body: JSON.stringify({ file_name: 'compat-full.txt', file_content: 'x'.repeat(20_000) }),
    });
    await expectFault(write, 'disk_full');
    const ready = await readyz();
    expect([ready.status, ready.body]).toMatchObject([503, { error: { code: 'unavailable', checks: { dataDir: false } } }]);
    expect(await diskGauge()).toBe('0');
    expect((await fetch(`${node.url}/files/before-full.bin`)).status).toBe(200);
  });

  it('space freed: writes succeed again and readyz is ready, without a restart', async () => {
    await fs.rm(path.join(dir, 'filler-1'), { force: true });
    await fs.rm(path.join(dir, 'filler-2'), { force: true });
    expect((await putNew('after-full.bin')).status).toBe(201);
    expect((await readyz()).status).toBe(200);
    expect(await diskGauge()).toBe('1');
  });

  it('a read-only DATA_DIR: 503 disk_read_only and not ready; remounted read-write, it recovers', async () => {
    await waitFor(journalEmpty, 10_000, 'the blob journal empty');
    run('mount', '-o', 'remount,ro', dir);
    try {
      await expectFault(await putNew('read-only.bin'), 'disk_read_only');
      const ready = await readyz();
      expect([ready.status, ready.body]).toMatchObject([503, { error: { checks: { dataDir: false } } }]);
      expect((await fetch(`${node.url}/files/after-full.bin`)).status).toBe(200);
    } finally {
      run('mount', '-o', 'remount,rw', dir);
    }
    expect((await putNew('after-ro.bin')).status).toBe(201);
    expect((await readyz()).status).toBe(200);
    expect(node.proc.exitCode).toBeNull();
  });
});
