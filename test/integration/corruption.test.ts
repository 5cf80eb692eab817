// A blob changed on disk behind the node's back (one flipped bit, bytes appended, truncated) is never served as a
// good one — not on the hot path, the streamed path, a Range or /blobs/sha256 — and is never cached in memory. It is
// quarantined; in a cluster it is healed from a replica, by a read or by the background scrub. Real node processes,
// real Redis, real files.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copies, startCluster, stopCluster, type ClusterNode } from '../helpers/cluster.js';
import { blobFile, corrupt, download, type Corruption } from '../helpers/download.js';
import { metric } from '../helpers/metrics.js';
import { fileUrl, put, sha256 } from '../helpers/http.js';
import { spawnNode, type ChildNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const SMALL = 10 * 1024; // served through the hot cache
const LARGE = 2 * 1024 * 1024; // streamed from disk
const content = (size: number, tag: string): Buffer => {
  const b = Buffer.alloc(size, tag.charCodeAt(0));
  Buffer.from(tag).copy(b);
  return b;
};

describe('standalone: a corrupt copy is refused, quarantined, and replaced by a re-upload', () => {
  let node: ChildNode;
  beforeAll(async () => {
    node = await spawnNode(redis.url, { NODE_ID: 'solo', DEDUP_POLICY: 'link', SCRUB_BYTES_PER_SEC: '0' });
  });
  afterAll(async () => node?.stop());

  const cases: Array<[string, number, Corruption]> = [];
  for (const [label, size] of [['hot', SMALL], ['streamed', LARGE]] as const) {
    for (const how of ['flip', 'append', 'truncate'] as const) cases.push([label, size, how]);
  }

  it.each(cases)('%s path (%d bytes), %s: never a complete response with the wrong bytes', async (label, size, how) => {
    const body = content(size, `${label}-${how}`);
    const sha = sha256(body);
    const name = `c/${label}-${how}`;
    expect((await put(node.url, name, body)).status).toBe(201);
    await corrupt(blobFile(node.dataDir, sha), how);
    const failuresBefore = await metric(node.url, 'kubecdn_integrity_failures_total', { where: 'read' });

    // whole file, a Range, the blob by digest: each either refused (503 blob_corrupt) or cut, never complete+wrong
    const first = await download(fileUrl(node.url, name));
    expect(first.complete && first.status === 200).toBe(false);
    for (const d of [
      await download(fileUrl(node.url, name)),
      await download(fileUrl(node.url, name), { Range: 'bytes=0-99' }),
      await download(`${node.url}/blobs/sha256/${sha}`),
    ]) {
      expect(d.status).toBe(503);
      expect(d.code).toBe('blob_corrupt');
      expect(d.headers.get('retry-after')).not.toBeNull();
    }
    expect(await metric(node.url, 'kubecdn_integrity_failures_total', { where: 'read' })).toBe(failuresBefore + 1);
    const quarantined = await fs.readdir(path.join(node.dataDir, 'quarantine'));
    expect(quarantined.some((f) => f.startsWith(sha))).toBe(true);
    await expect(fs.access(blobFile(node.dataDir, sha))).rejects.toThrow();

    // the same bytes uploaded again (any name) bring the content back for every version that uses it
    expect((await put(node.url, `${name}-again`, body)).status).toBe(201);
    const healed = await download(fileUrl(node.url, name));
    expect([healed.status, healed.complete, healed.sha256]).toEqual([200, true, sha]);
    const ranged = await download(fileUrl(node.url, name), { Range: 'bytes=100-199' });
    expect([ranged.status, ranged.body.equals(body.subarray(100, 200))]).toEqual([206, true]);
  });

  it('a re-upload of content whose stored copy rotted replaces the rotten copy', async () => {
    const body = content(SMALL, 'rot-then-upload');
    const sha = sha256(body);
    expect((await put(node.url, 'c/rot-a', body)).status).toBe(201);
    await corrupt(blobFile(node.dataDir, sha), 'flip');
    const before = await metric(node.url, 'kubecdn_integrity_failures_total', { where: 'upload' });
    // nobody read it: the node does not know yet; the upload of the same bytes finds the copy bad and replaces it
    expect((await put(node.url, 'c/rot-b', body)).status).toBe(201);
    expect(await metric(node.url, 'kubecdn_integrity_failures_total', { where: 'upload' })).toBe(before + 1);
    expect(sha256(await fs.readFile(blobFile(node.dataDir, sha)))).toBe(sha);
    const d = await download(fileUrl(node.url, 'c/rot-a'));
    expect([d.status, d.sha256]).toEqual([200, sha]);
  });
});

describe('cluster: a corrupt copy is healed from a replica', () => {
  let nodes: ClusterNode[];
  beforeAll(async () => {
    nodes = await startCluster(redis.url, 3, { REPLICATION_FACTOR: '2', SCRUB_BYTES_PER_SEC: '0' });
  });
  afterAll(async () => stopCluster(nodes));

  const homesOf = async (sha: string): Promise<ClusterNode[]> => {
    const ids = await copies(nodes, sha);
    return nodes.filter((n) => ids.includes(n.id));
  };

  it.each([
    ['hot', SMALL, 'flip'],
    ['streamed', LARGE, 'truncate'],
    ['streamed', LARGE, 'append'],
  ] as const)('%s (%d bytes) %s on a home: served right at once from the other replica, and healed', async (label, size, how) => {
    const body = content(size, `cl-${label}-${how}`);
    const sha = sha256(body);
    expect((await put(nodes[0]!.url, `cl/${label}-${how}`, body)).status).toBe(201);
    const [bad] = await homesOf(sha);
    await corrupt(blobFile(bad!.dataDir, sha), how);
    const d = await download(fileUrl(bad!.url, `cl/${label}-${how}`));
    expect([d.status, d.complete, d.sha256]).toEqual([200, true, sha]);
    // The heal runs in the background after the quarantine: await it (under load it can trail the download).
    const healed = async (): Promise<boolean> => sha256(await fs.readFile(blobFile(bad!.dataDir, sha))) === sha;
    await waitFor(healed, 20_000, 'the healed copy');
    expect(await metric(bad!.url, 'kubecdn_blobs_healed_total')).toBeGreaterThanOrEqual(1);
  });

  it('a bit flipped in a large copy: the transfer is cut (not completed), then the copy is healed', async () => {
    const body = content(LARGE, 'cl-flip-large');
    const sha = sha256(body);
    expect((await put(nodes[0]!.url, 'cl/flip-large', body)).status).toBe(201);
    const [bad] = await homesOf(sha);
    await corrupt(blobFile(bad!.dataDir, sha), 'flip');
    const d = await download(fileUrl(bad!.url, 'cl/flip-large'));
    expect(d.complete && d.sha256 !== sha).toBe(false);
    await waitFor(async () => (await download(fileUrl(bad!.url, 'cl/flip-large'))).sha256 === sha, 15_000, 'healed copy served');
    expect(sha256(await fs.readFile(blobFile(bad!.dataDir, sha)))).toBe(sha);
  });
});

describe('the background scrub finds rot nobody read, and heals it', () => {
  let nodes: ClusterNode[];
  beforeAll(async () => {
    // Nothing but the scrub may come across the rot: no periodic repair, and members that do not drop out (and so
    // start a repair pass, whose HEAD would find it) when a loaded machine delays a heartbeat.
    nodes = await startCluster(redis.url, 2, {
      REPLICATION_FACTOR: '2',
      SCRUB_BYTES_PER_SEC: String(64 * 1024 * 1024),
      SCRUB_INTERVAL_MS: '200',
      REPAIR_INTERVAL_MS: '0',
      MEMBER_TTL_MS: '15000',
    });
  });
  afterAll(async () => stopCluster(nodes));

  it('a flipped bit in an unread copy is quarantined and replaced by a verified one', async () => {
    const body = content(LARGE, 'scrub-me');
    const sha = sha256(body);
    const written = await put(nodes[0]!.url, 'sc/file', body);
    expect(written.status, await written.clone().text()).toBe(201);
    // The repair passes the cluster's forming set off (each 200 ms after a membership change) must be over, none
    // still due: one running after the rot would probe node-b's copy (a HEAD verifies it) and find the rot first,
    // and one begun while the write's push was on its way could push a second copy over ours.
    const repairQuiet = async (n: ClusterNode): Promise<boolean> =>
      (await metric(n.url, 'kubecdn_repair_passes_running')) === 0 && (await metric(n.url, 'kubecdn_repair_passes_pending')) === 0;
    await waitFor(async () => (await Promise.all(nodes.map(repairQuiet))).every(Boolean), 20_000, 'repair passes done, none due');
    const bad = nodes[1]!;
    await corrupt(blobFile(bad.dataDir, sha), 'flip');
    await waitFor(async () => (await metric(bad.url, 'kubecdn_integrity_failures_total', { where: 'scrub' })) >= 1, 20_000, 'scrub found it');
    await waitFor(async () => (await metric(bad.url, 'kubecdn_blobs_healed_total')) >= 1, 20_000, 'scrub healed it');
    expect(sha256(await fs.readFile(blobFile(bad.dataDir, sha)))).toBe(sha);
    expect(await metric(bad.url, 'kubecdn_scrub_blobs_total')).toBeGreaterThan(0);
    expect((await fs.readdir(path.join(bad.dataDir, 'quarantine'))).some((f) => f.startsWith(sha))).toBe(true);
  });
});
