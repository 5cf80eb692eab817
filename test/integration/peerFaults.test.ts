// A peer that lies or stalls (test/helpers/fakePeer.ts, a member of the real cluster) never makes a node serve wrong
// bytes as a complete response: a node without a copy forwards a home's bytes only as they check out, cuts the client
// (or answers 503 before any header) when they do not, fails over from a stalled home to the next, and never lets a
// slow client hold up the shared transfer. Real node processes, real Redis, real sockets.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST, SECRET } from '../helpers/cluster.js';
import { blobFile, contentRanked, download } from '../helpers/download.js';
import { startFakePeer, type FakePeer } from '../helpers/fakePeer.js';
import { fileUrl, put, sha256 } from '../helpers/http.js';
import { spawnNode, type ChildNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';
import fs from 'node:fs/promises';

const MiB = 1024 * 1024;
let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const member = (id: string, extra: Record<string, string> = {}): Promise<ChildNode> =>
  spawnNode(redis.url, { ...FAST, NODE_ID: id, PEER_TIMEOUT_MS: '500', CACHE_MAX_BYTES: '0', SCRUB_BYTES_PER_SEC: '0', ...extra });

async function members(url: string, n: number): Promise<void> {
  await waitFor(async () => ((await (await fetch(`${url}/cluster`)).json()) as { members: unknown[] }).members.length === n, 15_000, `${n} members`);
}

describe('the only home lies or fails', () => {
  let a: ChildNode;
  let fake: FakePeer;
  beforeAll(async () => {
    fake = await startFakePeer(redis.url, { id: 'fake-home', secret: SECRET });
    a = await member('node-a', { REPLICATION_FACTOR: '1' });
    await members(a.url, 2);
  });
  afterAll(async () => {
    await a?.stop();
    await fake?.stop();
  });

  it.each([
    ['corrupt', 2 * MiB],
    ['corrupt', 10 * 1024],
    ['truncate', 2 * MiB],
    ['append', 2 * MiB],
    ['stall', 2 * MiB],
  ] as const)('%s (%d bytes): the client never gets a complete 200 of wrong bytes; no bad copy is kept', async (how, size) => {
    const body = contentRanked(['node-a', 'fake-home'], ['fake-home'], size, `${how}-${size}`);
    const sha = sha256(body);
    fake.setBehaviour('ok');
    expect((await put(a.url, `pf/${how}-${size}`, body)).status).toBe(201);
    expect(fake.blobs.has(sha)).toBe(true);
    // not a home, no cache: the upload copy is dropped (in the background: the 201 does not wait for the unlink)
    await waitFor(async () => !(await fs.access(blobFile(a.dataDir, sha)).then(() => true, () => false)), 10_000, 'upload copy dropped');

    fake.setBehaviour(how);
    const d = await download(fileUrl(a.url, `pf/${how}-${size}`));
    expect(d.complete && d.status === 200).toBe(false);
    if (d.complete) expect([d.status, d.code]).toEqual([503, 'blob_unavailable']);
    await expect(fs.access(blobFile(a.dataDir, sha))).rejects.toThrow();

    fake.setBehaviour('ok');
    const good = await download(fileUrl(a.url, `pf/${how}-${size}`));
    expect([good.status, good.complete, good.sha256]).toEqual([200, true, sha]);
  });

  it.each(['error', 'missing'] as const)('every home %s: a clean 503 blob_unavailable, before any header', async (how) => {
    const body = contentRanked(['node-a', 'fake-home'], ['fake-home'], 2 * MiB, `all-fail-${how}`);
    fake.setBehaviour('ok');
    expect((await put(a.url, `pf/all-${how}`, body)).status).toBe(201);
    fake.setBehaviour(how);
    const d = await download(fileUrl(a.url, `pf/all-${how}`));
    expect([d.status, d.complete, d.code]).toEqual([503, true, 'blob_unavailable']);
    expect(d.headers.get('retry-after')).not.toBeNull();
  });

  it('the node tells the home the size it expects', () => {
    const gets = fake.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/internal/blobs/'));
    expect(gets.length).toBeGreaterThan(0);
    expect(gets.every((r) => /^\d+$/.test(String(r.headers['x-expected-size'])))).toBe(true);
    // every request signed; the cluster secret itself never sent to a member URL found in Redis
    expect(fake.requests.every((r) => r.headers['x-cluster-secret'] === undefined && typeof r.headers['x-cluster-auth'] === 'string')).toBe(true);
  });
});

describe('a stalled home fails over; slow clients do not pace the transfer', () => {
  let a: ChildNode;
  let b: ChildNode;
  let fake: FakePeer;
  const ids = ['node-a', 'node-b', 'fake-first'];
  beforeAll(async () => {
    fake = await startFakePeer(redis.url, { id: 'fake-first', secret: SECRET });
    a = await member('node-a', { REPLICATION_FACTOR: '2' });
    b = await member('node-b', { REPLICATION_FACTOR: '2' });
    await members(a.url, 3);
    await members(b.url, 3);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await fake?.stop();
  });

  it('the first home stalls mid-transfer: the first reader and a coalesced one both get every byte right', async () => {
    const body = contentRanked(ids, ['fake-first', 'node-b'], 4 * MiB, 'stall-failover');
    const sha = sha256(body);
    fake.setBehaviour('ok');
    expect((await put(a.url, 'pf/stall', body)).status).toBe(201);
    fake.setBehaviour('stall');
    const [first, second] = await Promise.all([download(fileUrl(a.url, 'pf/stall')), download(fileUrl(a.url, 'pf/stall'))]);
    for (const d of [first, second]) expect([d.status, d.complete, d.sha256]).toEqual([200, true, sha]);
    expect(a.output()).not.toContain('MaxListenersExceededWarning');
  });

  it('a client that never reads does not hold up another reader of the same blob', async () => {
    const body = contentRanked(ids, ['fake-first', 'node-b'], 16 * MiB, 'slow-client');
    const sha = sha256(body);
    fake.setBehaviour('ok');
    expect((await put(a.url, 'pf/slow-client', body)).status).toBe(201);
    const port = Number(new URL(a.url).port);
    const stuck = net.connect(port, '127.0.0.1');
    await new Promise((r) => stuck.once('connect', r));
    stuck.write('GET /files/pf/slow-client HTTP/1.1\r\nHost: x\r\n\r\n');
    stuck.pause(); // never reads: its socket buffers fill and stay full
    try {
      await waitFor(() => fake.requests.some((r) => r.method === 'GET' && r.path.includes(sha)), 10_000, 'transfer started');
      const d = await download(fileUrl(a.url, 'pf/slow-client'));
      expect([d.status, d.complete, d.sha256]).toEqual([200, true, sha]);
    } finally {
      stuck.destroy();
    }
  });
});
