// Blob storage: crash leftovers, garbage collection, restart keeps data, store-once on disk.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { put, sha256 } from '../helpers/http.js';
import { spawnNode, tempDir } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const blobPath = (dataDir: string, sha: string): string => path.join(dataDir, 'blobs', sha.slice(0, 2), sha.slice(2, 4), sha);
const exists = (file: string): Promise<boolean> =>
  fs.access(file).then(
    () => true,
    () => false,
  );

/** Every regular file under dir, relative to it, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('blob storage', () => {
  it('stores identical content once, by digest; a restarted node keeps its data; tmp leftovers are removed', async () => {
    const dataDir = await tempDir();
    let node = await spawnNode(redis.url, { DATA_DIR: dataDir, DEDUP_POLICY: 'link', NODE_ID: 'store-1' });
    await put(node.url, 's/one', 'identical bytes');
    await put(node.url, 's/two', 'identical bytes');
    const blobs = await fs.readdir(path.join(dataDir, 'blobs'), { recursive: true });
    expect(blobs.filter((f) => /[0-9a-f]{64}$/.test(f))).toHaveLength(1);
    await fs.access(blobPath(dataDir, sha256('identical bytes')));
    // a crash mid-upload leaves a temp file behind; simulate one, then kill -9 and restart
    await fs.writeFile(path.join(dataDir, 'tmp', 'crashed-upload'), 'half an upload');
    await node.stop('SIGKILL');
    node = await spawnNode(redis.url, { DATA_DIR: dataDir, NODE_ID: 'store-1' });
    try {
      expect(await (await fetch(`${node.url}/files/s/two`)).text()).toBe('identical bytes');
      expect(await fs.readdir(path.join(dataDir, 'tmp'))).toEqual([]);
      // counted in the background once the node is ready (a million blobs must not hold up readiness)
      const counted = async (): Promise<boolean> =>
        /kubecdn_blob_store_blobs\{node="store-1"\} 1\n/.test(await (await fetch(`${node.url}/metrics`)).text());
      await waitFor(counted, 10_000, 'the stored blob counted');
    } finally {
      await node.stop();
    }
  });

  it('garbage collection removes blobs no version references, after the grace period, and keeps the rest', async () => {
    const dataDir = await tempDir();
    const node = await spawnNode(redis.url, { DATA_DIR: dataDir, GC_INTERVAL_MS: '300', GC_GRACE_MS: '0', NODE_ID: 'gc' });
    try {
      await put(node.url, 'gc/kept', 'kept content');
      // a blob whose upload never committed (as after a crash between rename and commit)
      const orphan = sha256('orphan content');
      await fs.mkdir(path.dirname(blobPath(dataDir, orphan)), { recursive: true });
      await fs.writeFile(blobPath(dataDir, orphan), 'orphan content');
      await waitFor(async () => !(await exists(blobPath(dataDir, orphan))), 10_000, 'the orphan collected');
      await fs.access(blobPath(dataDir, sha256('kept content')));
      expect(await (await fetch(`${node.url}/files/gc/kept`)).text()).toBe('kept content');
    } finally {
      await node.stop();
    }
  });

  it('a refused upload (duplicate) leaves no second copy and the first stays intact', async () => {
    const dataDir = await tempDir();
    const node = await spawnNode(redis.url, { DATA_DIR: dataDir, NODE_ID: 'dup' });
    try {
      const first = blobPath(dataDir, sha256('the original bytes'));
      expect((await put(node.url, 'dup/a', 'the original bytes')).status).toBe(201);
      const before = await fs.stat(first);
      expect((await put(node.url, 'dup/b', 'the original bytes')).status).toBe(409);
      // the only file in the data directory is the first copy: no blob, link or upload left in tmp/ for the second
      // (beside the blob journal's segment, which records the first upload: docs/architecture.md)
      const files = (await filesUnder(dataDir)).filter((f) => !f.startsWith(`journal${path.sep}`));
      expect(files).toEqual([path.relative(dataDir, first)]);
      const after = await fs.stat(first);
      expect({ ino: after.ino, nlink: after.nlink, size: after.size }).toEqual({ ino: before.ino, nlink: 1, size: before.size });
      expect(await (await fetch(`${node.url}/files/dup/a`)).text()).toBe('the original bytes');
      expect((await fetch(`${node.url}/files/dup/b`)).status).toBe(404);
    } finally {
      await node.stop();
    }
  });
});
