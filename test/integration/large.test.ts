// A 1 GiB upload and download through a real node process: streamed both ways, the node's peak RSS stays under
// 200 MB (read from /proc/<pid>/status VmHWM, the kernel's high-water mark, so no sample can miss a peak).
// Then a large upload into a real 3-node cluster: the replica push streams with backpressure and is timed on
// progress, not as a whole (found by `npm run bench`: a 1 GiB push failed PEER_TIMEOUT_MS and the uploader's RSS
// reached 500 MB while fetch read the file ahead of the peer).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copies, startCluster, stopCluster, type ClusterNode } from '../helpers/cluster.js';
import { spawnNode, type ChildNode } from '../helpers/node.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const GiB = 1024 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const RSS_LIMIT_KB = 200 * 1024;

let redis: TestRedis;
let node: ChildNode;

beforeAll(async () => {
  redis = await startRedis();
  node = await spawnNode(redis.url, { NODE_ID: 'large' });
});
afterAll(async () => {
  await node?.stop();
  await fs.rm(node?.dataDir ?? '/nonexistent', { recursive: true, force: true });
  await redis?.stop();
});

async function peakRssKb(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
}

/** `size` bytes (1 GiB) of distinct chunks (a counter stamped into each), hashed as it is produced. */
function body(hash: ReturnType<typeof createHash>, size = GiB): ReadableStream<Uint8Array> {
  const base = Buffer.alloc(CHUNK, 'kubecdn large body ');
  let i = 0;
  return new ReadableStream({
    pull(ctrl) {
      if (i === size / CHUNK) return ctrl.close();
      const chunk = Buffer.from(base);
      chunk.writeUInt32BE(i++, 0);
      hash.update(chunk);
      ctrl.enqueue(chunk);
    },
  });
}

describe('large files', () => {
  it('a 1 GiB upload and download stream, with the node under 200 MB RSS', async () => {
    const pid = node.proc.pid!;
    const up = createHash('sha256');
    const res = await fetch(`${node.url}/files/large/one-gib.bin`, {
      method: 'PUT',
      body: body(up),
      duplex: 'half',
    });
    expect(res.status).toBe(201);
    const digest = up.digest('hex');
    expect(await res.json()).toMatchObject({ size: GiB, sha256: digest });
    const afterUpload = await peakRssKb(pid);

    const down = createHash('sha256');
    let bytes = 0;
    const get = await fetch(`${node.url}/files/large/one-gib.bin`);
    expect(get.headers.get('content-length')).toBe(String(GiB));
    for await (const chunk of get.body as unknown as AsyncIterable<Uint8Array>) {
      down.update(chunk);
      bytes += chunk.length;
    }
    expect(bytes).toBe(GiB);
    expect(down.digest('hex')).toBe(digest);
    const afterDownload = await peakRssKb(pid);
    console.log(`peak RSS of the node: ${Math.round(afterUpload / 1024)} MB after the upload, ${Math.round(afterDownload / 1024)} MB after the download`);
    expect(afterUpload).toBeLessThan(RSS_LIMIT_KB);
    expect(afterDownload).toBeLessThan(RSS_LIMIT_KB);
  }, 300_000);
});

describe('large files in a cluster', () => {
  let nodes: ClusterNode[] = [];
  afterAll(async () => stopCluster(nodes));

  it('a 256 MiB upload reaches R=2 copies although each push takes far longer than PEER_TIMEOUT_MS', async () => {
    // 100 ms bounds silence, not the transfer: moving and fsyncing 256 MiB takes seconds here.
    nodes = await startCluster(redis.url, 3, { PEER_TIMEOUT_MS: '100', REPLICATION_FACTOR: '2' });
    const size = 256 * CHUNK;
    const up = createHash('sha256');
    const chunks = body(up, size);
    const res = await fetch(`${nodes[0]!.url}/files/large/cluster.bin`, { method: 'PUT', body: chunks, duplex: 'half' });
    const answer = (await res.json()) as { sha256?: string };
    expect(res.status, JSON.stringify(answer)).toBe(201);
    expect(answer.sha256).toBe(up.digest('hex'));
    expect((await copies(nodes, answer.sha256!)).length).toBeGreaterThanOrEqual(2);
    for (const n of nodes) expect(await peakRssKb(n.node!.proc.pid!)).toBeLessThan(RSS_LIMIT_KB);
  }, 300_000);
});
