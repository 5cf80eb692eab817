// The fake peer itself, against a real Redis and over real HTTP: every behaviour as a raw client sees it, its
// registration as the real Membership writes it, and a real node process that lists it and replicates to it.
import { randomBytes } from 'node:crypto';
import { verifyPeerRequest } from '../../node/src/cluster/peerAuth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../node/src/metadata/keys.js';
import { FAST, SECRET } from '../helpers/cluster.js';
import { startFakePeer, type FakePeer } from '../helpers/fakePeer.js';
import { put, sha256 } from '../helpers/http.js';
import { spawnNode, type ChildNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';
import type { Redis } from 'ioredis';

const BLOB = randomBytes(100_000);
const SHA = sha256(BLOB);
const SMALL = randomBytes(20_000);
const UNKNOWN = 'f'.repeat(64);
const AUTH = { 'x-cluster-secret': SECRET };

let redis: TestRedis;
let r: Redis;
let fake: FakePeer;

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));
const blobUrl = (sha: string, base = fake.url): string => `${base}/internal/blobs/${sha}`;
const get = (sha: string, init: RequestInit = {}): Promise<Response> => fetch(blobUrl(sha), { headers: AUTH, ...init });

/** Everything the body delivers, and the error that ended it early (if one did). */
async function drain(res: Response): Promise<{ bytes: Buffer; error?: unknown }> {
  const parts: Uint8Array[] = [];
  const reader = res.body!.getReader();
  try {
    for (let c = await reader.read(); !c.done; c = await reader.read()) parts.push(c.value as Uint8Array);
  } catch (error) {
    return { bytes: Buffer.concat(parts), error };
  }
  return { bytes: Buffer.concat(parts) };
}

/** Bit positions where a and b differ (same length). */
function diffBits(a: Buffer, b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) for (let bit = 0; bit < 8; bit++) if (((a[i]! ^ b[i]!) >> bit) & 1) out.push(i * 8 + bit);
  return out;
}

async function redisNowMs(): Promise<number> {
  const [s, us] = await r.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

async function membersSeenBy(node: ChildNode): Promise<{ id: string; url: string }[]> {
  return ((await (await fetch(`${node.url}/cluster`)).json()) as { members: { id: string; url: string }[] }).members;
}

beforeAll(async () => {
  redis = await startRedis();
  r = redis.client();
  fake = await startFakePeer(redis.url, { id: 'fake-1', secret: SECRET, blobs: new Map([[SHA, BLOB], [sha256(SMALL), SMALL]]) });
});
afterAll(async () => {
  await fake?.stop();
  await redis?.stop();
});

describe('fake peer: HTTP', () => {
  it('requires the cluster secret on /internal, like the real peer, and records every request', async () => {
    const before = fake.requests.length;
    for (const headers of [{}, { 'x-cluster-secret': 'wrong-secret' }] as Record<string, string>[]) {
      const res = await fetch(blobUrl(SHA), { headers });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'peer_forbidden' } });
    }
    expect((await fetch(`${fake.url}/internal/invalidate`, { method: 'POST', body: '{}' })).status).toBe(403);
    expect((await get(SHA + '?x=1')).status).toBe(200);
    const seen = fake.requests.slice(before);
    expect(seen.map((q) => [q.method, q.path, q.headers['x-cluster-secret']])).toEqual([
      ['GET', `/internal/blobs/${SHA}`, undefined],
      ['GET', `/internal/blobs/${SHA}`, 'wrong-secret'],
      ['POST', '/internal/invalidate', undefined],
      ['GET', `/internal/blobs/${SHA}?x=1`, SECRET],
    ]);
  });

  it('ok: the true bytes on GET, the true length on HEAD', async () => {
    fake.setBehaviour('ok');
    const res = await get(SHA);
    expect(res.headers.get('content-length')).toBe(String(BLOB.length));
    expect(Buffer.from(await res.arrayBuffer()).equals(BLOB)).toBe(true);
    const head = await get(SHA, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(BLOB.length)]);
  });

  it('corrupt: same length, exactly one bit flipped (where asked)', async () => {
    fake.setBehaviour('corrupt');
    const body = Buffer.from(await (await get(SHA)).arrayBuffer());
    expect(body.length).toBe(BLOB.length);
    expect(diffBits(body, BLOB)).toEqual([(BLOB.length / 2) * 8]);
    fake.setBehaviour({ kind: 'corrupt', bit: 13 });
    expect(diffBits(Buffer.from(await (await get(SHA)).arrayBuffer()), BLOB)).toEqual([13]);
  });

  it('append: body and Content-Length both longer, the true bytes first', async () => {
    fake.setBehaviour({ kind: 'append', extraBytes: 100 });
    const res = await get(SHA);
    expect(res.headers.get('content-length')).toBe(String(BLOB.length + 100));
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(BLOB.length + 100);
    expect(body.subarray(0, BLOB.length).equals(BLOB)).toBe(true);
  });

  it('truncate: the full Content-Length declared, fewer bytes sent, then the connection ends', async () => {
    fake.setBehaviour({ kind: 'truncate', bytes: 30_000 });
    const res = await get(SHA);
    expect([res.status, res.headers.get('content-length')]).toEqual([200, String(BLOB.length)]);
    const { bytes, error } = await drain(res);
    expect(error).toBeDefined();
    expect(bytes.equals(BLOB.subarray(0, 30_000))).toBe(true);
  });

  it('stall: headers and the first bytes, then silence with the socket open, until stop()', async () => {
    const staller = await startFakePeer(redis.url, { id: 'fake-stall', secret: SECRET, blobs: new Map([[SHA, BLOB]]), behaviour: { kind: 'stall', bytes: 10_000 } });
    const res = await fetch(blobUrl(SHA, staller.url), { headers: AUTH });
    expect(res.headers.get('content-length')).toBe(String(BLOB.length));
    const reader = res.body!.getReader();
    let got = 0;
    while (got < 10_000) got += (await reader.read()).value!.length;
    expect(got).toBe(10_000);
    const next = reader.read().then(
      (c) => (c.done ? 'ended' : 'more bytes'),
      () => 'connection closed',
    );
    expect(await Promise.race([next, sleep(700).then(() => 'silent')])).toBe('silent');
    const t0 = Date.now();
    await staller.stop();
    expect(await next).toBe('connection closed');
    expect(Date.now() - t0).toBeLessThan(3000); // the stall itself would last for ever
  });

  it('slow: the true bytes at the given rate', async () => {
    fake.setBehaviour({ kind: 'slow', bytesPerSec: 40_000 });
    const t0 = Date.now();
    const body = Buffer.from(await (await get(sha256(SMALL))).arrayBuffer());
    const ms = Date.now() - t0;
    expect(body.equals(SMALL)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(450); // 20 000 bytes at 40 000 B/s
    expect(ms).toBeLessThan(5000); // loose: a loaded machine
  });

  it('missing, error, an unknown digest and a bad one answer like the real peer', async () => {
    const code = async (res: Response): Promise<[number, unknown]> => [res.status, ((await res.json()) as { error: { code: string } }).error.code];
    fake.setBehaviour('missing');
    expect(await code(await get(SHA))).toEqual([404, 'blob_not_found']);
    expect((await get(SHA, { method: 'HEAD' })).status).toBe(404);
    fake.setBehaviour('error');
    expect(await code(await get(SHA))).toEqual([500, 'internal']);
    expect((await get(SHA, { method: 'HEAD' })).status).toBe(500);
    fake.setBehaviour('ok');
    expect(await code(await get(UNKNOWN))).toEqual([404, 'blob_not_found']);
    expect(await code(await get('not-a-digest'))).toEqual([400, 'invalid_digest']);
  });

  it('behaviour chosen per call: fail the first GET, then serve', async () => {
    const calls: string[] = [];
    fake.setBehaviour((call) => {
      calls.push(`${call.method} ${call.sha.slice(0, 4)}`);
      return calls.length === 1 ? 'error' : 'ok';
    });
    const statuses = [];
    for (const method of ['GET', 'GET', 'HEAD']) statuses.push((await get(SHA, { method })).status);
    expect(statuses).toEqual([500, 200, 200]);
    expect(calls).toEqual(['GET ' + SHA.slice(0, 4), 'GET ' + SHA.slice(0, 4), 'HEAD ' + SHA.slice(0, 4)]);
    const ns: number[] = [];
    fake.setBehaviour((call) => (ns.push(call.n), 'ok'));
    await get(SHA);
    await get(SHA);
    expect(ns[1]).toBe(ns[0]! + 1); // n counts every blob GET/HEAD
    fake.setBehaviour('ok');
  });

  it('PUT stores verified bytes (201, then 200), refuses a wrong digest; invalidate answers 204', async () => {
    const body = randomBytes(5000);
    const s = sha256(body);
    expect((await fetch(blobUrl(s), { method: 'PUT', headers: AUTH, body })).status).toBe(201);
    expect((await fetch(blobUrl(s), { method: 'PUT', headers: AUTH, body })).status).toBe(200);
    expect(fake.blobs.get(s)?.equals(body)).toBe(true);
    expect(Buffer.from(await (await get(s)).arrayBuffer()).equals(body)).toBe(true);
    expect((await fetch(blobUrl(UNKNOWN), { method: 'PUT', headers: AUTH, body })).status).toBe(422);
    expect(fake.blobs.has(UNKNOWN)).toBe(false);
    const inv = await fetch(`${fake.url}/internal/invalidate`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: '{"names":["a"]}' });
    expect(inv.status).toBe(204);
  });
});

describe('fake peer: membership', () => {
  it('is a member as Membership writes it: expiry in Redis server time, renewed', async () => {
    expect(await r.hget(keys.memberUrls, 'fake-1')).toBe(fake.url);
    const first = Number(await r.zscore(keys.members, 'fake-1'));
    const now = await redisNowMs();
    expect(first).toBeGreaterThan(now);
    expect(first).toBeLessThanOrEqual(now + 1000);
    await waitFor(async () => Number(await r.zscore(keys.members, 'fake-1')) > first, 5000, 'a renewed expiry');
  });

  it('a real node lists it in GET /cluster, replicates to it with the secret, and drops it after stop()', async () => {
    const node = await spawnNode(redis.url, { ...FAST, NODE_ID: 'real-a' });
    const other = await startFakePeer(redis.url, { id: 'fake-2', secret: SECRET });
    try {
      await waitFor(async () => (await membersSeenBy(node)).some((m) => m.id === 'fake-2'), 10_000, 'real-a to see fake-2');
      expect(await membersSeenBy(node)).toEqual(
        expect.arrayContaining([
          { id: 'fake-1', url: fake.url },
          { id: 'fake-2', url: other.url },
        ]),
      );
      await other.stop();
      expect([await r.zscore(keys.members, 'fake-2'), await r.hget(keys.memberUrls, 'fake-2')]).toEqual([null, null]);
      await waitFor(async () => !(await membersSeenBy(node)).some((m) => m.id === 'fake-2'), 10_000, 'real-a to drop fake-2');

      // Two members and R=2: fake-1 is a home of everything, so the write pushes the blob to it.
      const body = randomBytes(50_000);
      expect((await put(node.url, 'fake/replicated.bin', body)).status).toBe(201);
      expect(fake.blobs.get(sha256(body))?.equals(body)).toBe(true);
      const push = fake.requests.find((q) => q.method === 'PUT' && q.path === `/internal/blobs/${sha256(body)}`);
      // signed, and the secret itself never sent (a member URL in Redis is not trusted with it)
      expect(push?.headers['x-cluster-secret']).toBeUndefined();
      expect(verifyPeerRequest(SECRET, push?.headers['x-cluster-auth'], 'PUT', push!.path, push!.at)).toEqual({ ok: true, id: 'real-a' });
    } finally {
      await other.stop();
      await node.stop('SIGKILL');
    }
  });

  it('crash(): stops renewing without leaving; the entry expires after its TTL', async () => {
    const gone = await startFakePeer(redis.url, { id: 'fake-crash', secret: SECRET });
    await gone.crash();
    expect(await r.hget(keys.memberUrls, 'fake-crash')).toBe(gone.url);
    const expiry = Number(await r.zscore(keys.members, 'fake-crash'));
    // Until the next heartbeat of any member (fake-1's) sweeps it, the entry keeps its last expiry: never renewed.
    const seen = new Set<string | null>();
    await waitFor(async () => {
      const score = await r.zscore(keys.members, 'fake-crash');
      seen.add(score);
      return score === null;
    }, 5000, 'the sweep');
    expect([...seen]).toEqual([String(expiry), null]);
    expect(await redisNowMs()).toBeGreaterThan(expiry);
    expect(await r.hget(keys.memberUrls, 'fake-crash')).toBeNull();
  });
});
