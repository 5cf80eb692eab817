// Blob storage: crash leftovers, garbage collection, restart keeps data, store-once on disk.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { put, sha256 } from '../helpers/http.js';
import { spawnNode, tempDir } from '../helpers/node.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const blobPath = (dataDir: string, sha: string): string => path.join(dataDir, 'blobs', sha.slice(0, 2), sha.slice(2, 4), sha);

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
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      expect(metrics).toMatch(/kubecdn_blob_store_blobs\{node="store-1"\} 1\n/);
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
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        try {
          await fs.access(blobPath(dataDir, orphan));
          await new Promise((r) => setTimeout(r, 100));
        } catch {
          break;
        }
      }
      await expect(fs.access(blobPath(dataDir, orphan))).rejects.toThrow();
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
      await put(node.url, 'dup/a', 'the original bytes');
      expect((await put(node.url, 'dup/b', 'the original bytes')).status).toBe(409);
      expect(await (await fetch(`${node.url}/files/dup/a`)).text()).toBe('the original bytes');
    } finally {
      await node.stop();
    }
  });
});
