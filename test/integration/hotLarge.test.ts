// The hot cache's large tier: a big blob is streamed from disk until it is read again, then kept in memory (verified
// the way a download is) and served from there; a bad copy never enters memory; the tier keeps to its budget. A real
// node process, real Redis, real files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobFile, corrupt, download } from '../helpers/download.js';
import { metric } from '../helpers/metrics.js';
import { fileUrl, put, sha256 } from '../helpers/http.js';
import { spawnNode, type ChildNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';

const MiB = 1024 * 1024;
const BUDGET = 8 * MiB;
const SIZE = 3 * MiB; // over the small tier's 1 MiB + 64 KiB, under the large tier's per-object limit

let redis: TestRedis;
let node: ChildNode;
beforeAll(async () => {
  redis = await startRedis();
  node = await spawnNode(redis.url, {
    NODE_ID: 'large-tier',
    HOT_LARGE_MAX_BYTES: String(BUDGET),
    HOT_LARGE_MAX_OBJECT_BYTES: String(4 * MiB),
    SCRUB_BYTES_PER_SEC: '0',
  });
});
afterAll(async () => {
  await node?.stop();
  await redis?.stop();
});

const content = (tag: string): Buffer => {
  const b = Buffer.alloc(SIZE, tag.charCodeAt(0));
  Buffer.from(tag).copy(b);
  return b;
};
const hotBytes = (): Promise<number> => metric(node.url, 'kubecdn_hot_cache_bytes');
const hotHits = (): Promise<number> => metric(node.url, 'kubecdn_hot_cache_hits_total');

async function readWhole(name: string, body: Buffer): Promise<void> {
  const d = await download(fileUrl(node.url, name));
  expect([d.status, d.complete, d.sha256]).toEqual([200, true, sha256(body)]);
}

describe('large tier', () => {
  it('streams a big blob from disk on its first read, keeps it from its second, then serves it from memory', async () => {
    const body = content('kept');
    expect((await put(node.url, 'large/kept', body)).status).toBe(201);
    const bytes0 = await hotBytes();
    const hits0 = await hotHits();
    await readWhole('large/kept', body);
    expect(await hotBytes()).toBe(bytes0); // one read: not kept
    await readWhole('large/kept', body);
    await waitFor(async () => (await hotBytes()) === bytes0 + SIZE, 10_000, 'the blob in memory');
    expect(await hotHits()).toBe(hits0); // both reads came from disk

    await readWhole('large/kept', body);
    const ranged = await download(fileUrl(node.url, 'large/kept'), { Range: 'bytes=1000-1999' });
    expect([ranged.status, ranged.body.equals(body.subarray(1000, 2000))]).toEqual([206, true]);
    expect(await hotHits()).toBe(hits0 + 2);
  });

  it('never keeps a copy that fails its check: the read that would have kept it quarantines it', async () => {
    const body = content('rotten');
    const sha = sha256(body);
    expect((await put(node.url, 'large/rotten', body)).status).toBe(201);
    await readWhole('large/rotten', body);
    const bytes0 = await hotBytes();
    await corrupt(blobFile(node.dataDir, sha), 'flip');
    const second = await download(fileUrl(node.url, 'large/rotten'));
    expect(second.complete && second.status === 200).toBe(false);
    await waitFor(async () => (await download(fileUrl(node.url, 'large/rotten'))).code === 'blob_corrupt', 10_000, 'quarantined');
    expect(await hotBytes()).toBe(bytes0);
  });

  it('keeps to its budget, least recently read out first', async () => {
    const bytes0 = await hotBytes(); // 'large/kept' is in memory from the first test
    const bodies = ['b1', 'b2', 'b3'].map((tag) => ({ name: `large/${tag}`, body: content(tag) }));
    for (const { name, body } of bodies) {
      expect((await put(node.url, name, body)).status).toBe(201);
      await readWhole(name, body);
      await readWhole(name, body);
      // kept once a read of it is a hit in memory
      await waitFor(async () => {
        const before = await hotHits();
        await readWhole(name, body);
        return (await hotHits()) === before + 1;
      }, 10_000, `${name} in memory`);
    }
    // whole blobs of 3 MiB within 8 MiB: two at most, the two read last
    expect(bytes0).toBe(SIZE);
    expect(await hotBytes()).toBe(2 * SIZE);
    for (const [name, hot] of [['large/kept', false], ['large/b1', false], ['large/b2', true], ['large/b3', true]] as const) {
      const before = await hotHits();
      await readWhole(name, name === 'large/kept' ? content('kept') : bodies.find((b) => b.name === name)!.body);
      expect((await hotHits()) - before, name).toBe(hot ? 1 : 0);
    }
  });
});
