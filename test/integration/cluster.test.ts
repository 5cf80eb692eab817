// Three real node processes and a real Redis (append-only, so it can restart with its data).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homes, rank } from '../../node/src/cluster/placement.js';
import { copies, metric, SECRET, startCluster, startMember, stopCluster, waitForMembers, type ClusterNode } from '../helpers/cluster.js';
import { json, put, sha256 } from '../helpers/http.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';

const CACHE_MAX = 400_000;
let redis: TestRedis;
let nodes: ClusterNode[];
let a: ClusterNode, b: ClusterNode, c: ClusterNode;
const ids = (): string[] => nodes.map((n) => n.id);

/** Content whose homes (R=2 of the three) exclude `notOn`, so reading it there is a cold miss. */
function contentNotHomedOn(notOn: string, tag: string, size: number): Buffer {
  for (let i = 0; ; i++) {
    const buf = Buffer.alloc(size, `${tag}-${i}-`);
    if (!homes(sha256(buf), ids(), 2).includes(notOn)) return buf;
  }
}

beforeAll(async () => {
  redis = await startRedis({ persist: true });
  nodes = await startCluster(redis.url, 3, { CACHE_MAX_BYTES: String(CACHE_MAX) });
  [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
}, 60_000);
afterAll(async () => {
  await stopCluster(nodes ?? []);
  await redis?.stop();
});

describe('cluster', () => {
  it('write on A, read on B and C: identical bytes and ETag; R copies on disk before the PUT returned', async () => {
    const body = Buffer.alloc(200_000, 'replicated ');
    const res = await put(a.url, 'cl/shared.bin', body);
    expect(res.status).toBe(201);
    const want = homes(sha256(body), ids(), 2);
    expect((await copies(nodes, sha256(body))).filter((id) => want.includes(id)).sort()).toEqual([...want].sort());
    for (const n of [b, c]) {
      const r = await fetch(`${n.url}/files/cl/shared.bin`);
      expect(r.status).toBe(200);
      expect(r.headers.get('etag')).toBe(`"${sha256(body)}"`);
      expect(sha256(Buffer.from(await r.arrayBuffer()))).toBe(sha256(body));
    }
  });

  it('test case 6: content written on node A is a duplicate when written again on node C', async () => {
    expect((await put(a.url, 'cl/case6-a.txt', 'written once, anywhere')).status).toBe(201);
    const dup = await put(c.url, 'cl/case6-c.txt', 'written once, anywhere');
    expect(dup.status).toBe(409);
    expect(await dup.json()).toMatchObject({ error: { code: 'duplicate_content', existing: { name: 'cl/case6-a.txt', version: 1 } } });
  });

  it('100 concurrent cold GETs for one blob on one node make exactly one peer transfer', async () => {
    const body = contentNotHomedOn(c.id, 'coalesce', 64_000);
    expect((await put(a.url, 'cl/hot-miss.bin', body)).status).toBe(201);
    const before = await metric(c.url, 'kubecdn_peer_fetches_total');
    const results = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const r = await fetch(`${c.url}/files/cl/hot-miss.bin`);
        return { cache: r.headers.get('x-cache'), sha: sha256(Buffer.from(await r.arrayBuffer())) };
      }),
    );
    expect(results.every((r) => r.sha === sha256(body))).toBe(true);
    expect(results.some((r) => r.cache === 'MISS')).toBe(true);
    expect((await metric(c.url, 'kubecdn_peer_fetches_total')) - before).toBe(1);
    expect((await fetch(`${c.url}/files/cl/hot-miss.bin`)).headers.get('x-cache')).toBe('HIT');
  });

  it('the cache stays under CACHE_MAX_BYTES while reading more than that', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => contentNotHomedOn(c.id, `evict${i}`, 120_000)); // 960 kB > 400 kB
    const evictions = await metric(c.url, 'kubecdn_cache_evictions_total');
    for (const [i, body] of bodies.entries()) expect((await put(a.url, `cl/evict-${i}.bin`, body)).status).toBe(201);
    for (const [i, body] of bodies.entries()) {
      const r = await fetch(`${c.url}/files/cl/evict-${i}.bin`);
      expect(sha256(Buffer.from(await r.arrayBuffer()))).toBe(sha256(body));
      expect(await metric(c.url, 'kubecdn_cache_bytes')).toBeLessThanOrEqual(CACHE_MAX);
    }
    expect(await metric(c.url, 'kubecdn_cache_evictions_total')).toBeGreaterThan(evictions);
    const onDisk = (await copies([c], sha256(bodies[0]!))).length + (await copies([c], sha256(bodies[1]!))).length;
    expect(onDisk).toBe(0); // the oldest were evicted from C's disk; their homes still have them
    expect((await copies(nodes, sha256(bodies[0]!))).length).toBeGreaterThanOrEqual(2);
  });

  it('a write loop on A with reads on B and C never sees a version older than the last acknowledged', async () => {
    for (let i = 0; i < 25; i++) {
      const res = await put(a.url, 'cl/loop.txt', `loop body ${i}`);
      const acked = (await json<{ version: number }>(res)).version;
      for (const n of [b, c]) {
        const r = await fetch(`${n.url}/files/cl/loop.txt`);
        expect(Number(r.headers.get('x-content-version'))).toBeGreaterThanOrEqual(acked);
        await r.arrayBuffer();
      }
    }
  });

  it('peer routes refuse requests without the cluster secret', async () => {
    expect((await put(a.url, 'cl/peer-secret.txt', 'only for peers with the secret')).status).toBe(201);
    const sha = sha256('only for peers with the secret');
    for (const headers of [{}, { 'X-Cluster-Secret': 'wrong-secret' }] as Record<string, string>[]) {
      const r = await fetch(`${b.url}/internal/blobs/${sha}`, { headers });
      expect(r.status).toBe(403);
      expect((await json<{ error: { code: string } }>(r)).error.code).toBe('peer_forbidden');
      expect((await fetch(`${b.url}/internal/invalidate`, { method: 'POST', headers, body: '{"names":[]}' })).status).toBe(403);
      expect((await fetch(`${b.url}/internal/blobs/${sha}`, { method: 'PUT', headers, body: 'x' })).status).toBe(403);
    }
    const holder = nodes.find((n) => homes(sha, ids(), 2).includes(n.id))!;
    expect((await fetch(`${holder.url}/internal/blobs/${sha}`, { headers: { 'X-Cluster-Secret': SECRET } })).status).toBe(200);
  });

  it('a miss fails over to the next home when the first is down (before membership notices)', async () => {
    // content whose rank is [c, b, a]: homes c and b, and a (no copy) asks c first
    let body = Buffer.alloc(0);
    for (let i = 0; ; i++) {
      body = Buffer.alloc(30_000, `failover-${i}-`);
      const r = rank(sha256(body), ids());
      if (r[0] === c.id && r[1] === b.id) break;
    }
    expect((await put(b.url, 'cl/failover.bin', body)).status).toBe(201);
    const before = await metric(a.url, 'kubecdn_peer_fetch_failovers_total');
    await c.node!.stop('SIGKILL');
    c.node = undefined;
    const r = await fetch(`${a.url}/files/cl/failover.bin`);
    expect(r.status).toBe(200);
    expect(sha256(Buffer.from(await r.arrayBuffer()))).toBe(sha256(body));
    expect((await metric(a.url, 'kubecdn_peer_fetch_failovers_total')) - before).toBeGreaterThanOrEqual(1);
    await startMember(redis.url, c);
    await waitForMembers(nodes, 3);
  });

  it('kill -9 a home after an acknowledged write: still readable; when it returns, repair restores R copies', async () => {
    const body = contentNotHomedOn(a.id, 'survive', 50_000); // homes are B and C
    const sha = sha256(body);
    expect((await put(a.url, 'cl/survive.bin', body)).status).toBe(201);
    const [victim] = homes(sha, ids(), 2).map((id) => nodes.find((n) => n.id === id)!);
    await victim!.node!.stop('SIGKILL');
    victim!.node = undefined;
    const rest = nodes.filter((n) => n !== victim);
    await waitForMembers(rest, 2);
    for (const n of rest) {
      const r = await fetch(`${n.url}/files/cl/survive.bin`);
      expect(sha256(Buffer.from(await r.arrayBuffer()))).toBe(sha);
    }
    // with two members left, repair puts the second copy on the other survivor
    await waitFor(async () => (await copies(rest, sha)).length === 2, 15_000, 'repair among the survivors');
    await startMember(redis.url, victim!);
    await waitForMembers(nodes, 3);
    // a restarted node keeps its blobs
    expect((await copies([victim!], sha)).length).toBe(1);
    const want = homes(sha, ids(), 2);
    await waitFor(async () => want.every((id) => nodes.some((n) => n.id === id)) && (await copies(nodes, sha)).length >= 2, 15_000, 'R copies');
    expect((await copies(nodes, sha)).filter((id) => want.includes(id)).sort()).toEqual([...want].sort());
  });

  it('a Redis restart mid-traffic: nodes reconnect and serve correct heads without restarting', async () => {
    await put(a.url, 'cl/redis-restart.txt', 'before');
    expect(await (await fetch(`${b.url}/files/cl/redis-restart.txt`)).text()).toBe('before'); // cached on B
    // traffic on every node through the restart: answers may fail while Redis is down, but nothing may hang
    let traffic = true;
    const statuses = new Set<number>();
    const loop = (async () => {
      while (traffic) {
        for (const n of nodes) {
          const r = await fetch(`${n.url}/files/cl/redis-restart.txt`).catch(() => undefined);
          if (r) statuses.add(r.status);
          await r?.arrayBuffer();
        }
      }
    })();
    await redis.kill();
    // the traffic runs while every node knows Redis is gone
    await waitFor(async () => (await Promise.all(nodes.map(async (n) => (await fetch(`${n.url}/readyz`)).status))).every((s) => s === 503), 10_000, 'every node not ready');
    await redis.start();
    await waitFor(async () => (await fetch(`${a.url}/readyz`)).status === 200 && (await fetch(`${b.url}/readyz`)).status === 200, 20_000, 'ready');
    await waitForMembers(nodes, 3);
    const w = await put(a.url, 'cl/redis-restart.txt', 'after');
    expect(w.status).toBe(201);
    expect((await json<{ version: number }>(w)).version).toBe(2); // the data survived the restart
    for (const n of nodes) expect(await (await fetch(`${n.url}/files/cl/redis-restart.txt`)).text()).toBe('after');
    traffic = false;
    await loop;
    expect(statuses.has(200)).toBe(true);
    expect(statuses.has(500)).toBe(false);
  });

  it('SIGTERM hands blobs off: after a node leaves, every committed blob still has R copies', async () => {
    const shas: string[] = [];
    for (let i = 0; i < 12; i++) {
      const body = `handoff content ${i} `.repeat(50);
      expect((await put(b.url, `cl/handoff-${i}`, body)).status).toBe(201);
      shas.push(sha256(body));
    }
    const leaving = c;
    await leaving.node!.stop('SIGTERM'); // resolves when the process has exited, i.e. after its hand-off
    leaving.node = undefined;
    const rest = nodes.filter((n) => n !== leaving);
    for (const sha of shas) expect((await copies(rest, sha)).length).toBe(2);
    await startMember(redis.url, leaving);
    await waitForMembers(nodes, 3);
  });
});
