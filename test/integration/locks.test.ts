// Cluster-wide write serialization (LOCK_MODE=redis) on three real node processes, observed through the
// critical-section probe (LOCK_PROBE=1), plus the lock API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../node/src/config.js';
import { PROBE_ENTRIES, PROBE_VIOLATIONS } from '../../node/src/locks/probe.js';
import { keys } from '../../node/src/metadata/keys.js';
import { metric, startCluster, startMember, stopCluster, waitForMembers, type ClusterNode } from '../helpers/cluster.js';
import { json, put } from '../helpers/http.js';
import { startNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';
import { subscribeWithRedisCli } from '../helpers/redisCli.js';

const PROBE = { LOCK_PROBE: '1', LOCK_PROBE_HOLD_MS: '5' };

async function history(base: string, name: string): Promise<{ version: number; sha256: string }[]> {
  return (await json<{ versions: { version: number; sha256: string }[] }>(await fetch(`${base}/files/${name}/versions?limit=1000`))).versions;
}

async function writeRace(nodes: ClusterNode[], name: string, perNode: number): Promise<number[]> {
  const jobs = nodes.flatMap((n, i) =>
    Array.from({ length: perNode }, async (_, j) => {
      const res = await put(n.url, name, `node ${i} writer ${j}`);
      const body = await json<{ version: number }>(res);
      if (res.status !== 201) throw new Error(`writer ${j} on ${n.id}: ${res.status} ${JSON.stringify(body)}`);
      return body.version;
    }),
  );
  return Promise.all(jobs);
}

describe.each(['redis', 'ricart-agrawala'])('LOCK_MODE=%s across three nodes', (mode) => {
  let redis: TestRedis;
  let nodes: ClusterNode[];
  beforeAll(async () => {
    redis = await startRedis();
    nodes = await startCluster(redis.url, 3, { ...PROBE, LOCK_MODE: mode });
  }, 60_000);
  afterAll(async () => {
    await stopCluster(nodes ?? []);
    await redis?.stop();
  });

  it('3 nodes x 20 concurrent writers to one name: versions 1..60, each told its own, no overlap in the critical section', async () => {
    const told = await writeRace(nodes, 'lk/race.txt', 20);
    expect([...told].sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const hist = await history(nodes[0]!.url, 'lk/race.txt');
    expect(hist.map((v) => v.version)).toEqual(Array.from({ length: 60 }, (_, i) => 60 - i));
    expect(new Set(hist.map((v) => v.sha256)).size).toBe(60);
    const probe = redis.client();
    expect(Number(await probe.get(PROBE_ENTRIES))).toBeGreaterThanOrEqual(60);
    expect(Number((await probe.get(PROBE_VIOLATIONS)) ?? 0)).toBe(0);
    const metrics = await (await fetch(`${nodes[0]!.url}/metrics`)).text();
    expect(metrics).not.toMatch(/kubecdn_lock_acquisitions_total\{mode="local"/); // the inner queue counts in this mode
    expect(metrics).toMatch(new RegExp(`kubecdn_lock_contended_total\\{mode="${mode}",node="node-a"\\} [1-9]`));
    expect(metrics).toMatch(new RegExp(`kubecdn_lock_acquisitions_total\\{mode="${mode}",node="node-a"\\} [1-9]`));
  });

  it.runIf(mode === 'ricart-agrawala')('Ricart-Agrawala sends 2(N-1) messages per entry', async () => {
    const total = async (): Promise<number> => {
      let sum = 0;
      for (const n of nodes) {
        const text = await (await fetch(`${n.url}/metrics`)).text();
        for (const m of text.matchAll(/^kubecdn_ra_messages_total\{direction="sent",[^}]*\} (\d+)$/gm)) sum += Number(m[1]);
      }
      return sum;
    };
    const before = await total();
    for (let i = 0; i < 5; i++) expect((await put(nodes[i % 3]!.url, 'lk/ra-count.txt', `entry ${i}`)).status).toBe(201);
    expect((await total()) - before).toBe(5 * 2 * (3 - 1));
  });
});

describe('the probe can see a violation (control: LOCK_MODE=local serializes only within a node)', () => {
  let redis: TestRedis;
  let nodes: ClusterNode[];
  beforeAll(async () => {
    redis = await startRedis();
    nodes = await startCluster(redis.url, 3, { LOCK_PROBE: '1', LOCK_PROBE_HOLD_MS: '20', LOCK_MODE: 'local' });
  }, 60_000);
  afterAll(async () => {
    await stopCluster(nodes ?? []);
    await redis?.stop();
  });

  it('records overlapping holders across nodes, while versions stay gap-free through compare-and-set', async () => {
    const told = await writeRace(nodes, 'lk/control.txt', 10);
    expect([...told].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(Number((await redis.client().get(PROBE_VIOLATIONS)) ?? 0)).toBeGreaterThan(0);
  });
});

describe.each(['redis', 'ricart-agrawala'])('LOCK_MODE=%s: a holder killed -9 while holding', (mode) => {
  it('blocks a waiting writer only until its lease expires or it drops out of the members; then the waiter proceeds', async () => {
    const redis = await startRedis();
    // R=1: this test is about the lease; with R=2 a write would (rightly) fail while the dead node is still a member.
    // The lease (3 s) outlives the steps before the kill, so the waiter is still blocked by a live holder at the kill.
    const common = { LOCK_TTL_MS: '3000', LOCK_WAIT_MS: '15000', REPLICATION_FACTOR: '1', LOCK_MODE: mode };
    const [slow, other] = await startCluster(redis.url, 2, { ...common, LOCK_PROBE: '1', LOCK_PROBE_HOLD_MS: '0' });
    try {
      // make the holder linger inside its critical section, then kill it there. Restarted once the other node has
      // dropped it, as on a slow restart: its first REQUEST can then reach the other node before its heartbeat does.
      await slow!.node!.stop('SIGKILL');
      slow!.node = undefined;
      await waitForMembers([other!], 1);
      await startMember(redis.url, slow!, { ...common, LOCK_PROBE: '1', LOCK_PROBE_HOLD_MS: '60000' });
      const doomed = put(slow!.url, 'lk/killed.txt', 'never committed').catch(() => undefined);
      const client = redis.client();
      await waitFor(async () => (await client.get('kubecdn:probe:inside:lk/killed.txt')) === '1', 10_000, 'the holder inside');
      // the waiter: seen blocked by the holder before the holder dies
      const blocked = await blockedSignal(mode, slow!, other!);
      let settled = false;
      const waiter = put(other!.url, 'lk/killed.txt', 'written after the holder died').finally(() => (settled = true));
      await waitFor(async () => (await blocked.count()) > blocked.before, 10_000, 'the waiter blocked by the holder');
      expect(settled).toBe(false);
      await slow!.node!.stop('SIGKILL');
      slow!.node = undefined;
      await doomed;
      const res = await waiter;
      expect(res.status).toBe(201);
      expect((await json<{ version: number }>(res)).version).toBe(1);
    } finally {
      await stopCluster([slow!, other!]);
      await redis.stop();
    }
  });
});

/**
 * What shows a writer on `waiter` blocked by the holder on `holder`: in redis mode the waiter counts a contended
 * acquisition (its lease attempt was refused); in ricart-agrawala mode the holder receives the waiter's REQUEST while
 * inside, so it defers the reply.
 */
async function blockedSignal(mode: string, holder: ClusterNode, waiter: ClusterNode): Promise<{ before: number; count(): Promise<number> }> {
  const count =
    mode === 'redis'
      ? (): Promise<number> => metric(waiter.url, 'kubecdn_lock_contended_total', { mode: 'redis' })
      : (): Promise<number> => metric(holder.url, 'kubecdn_ra_messages_total', { direction: 'received', type: 'request' });
  return { before: await count(), count };
}

describe('fencing and the lock API', () => {
  let redis: TestRedis;
  let node: Awaited<ReturnType<typeof startNode>>;
  const A = { Authorization: 'Bearer lock-api-token' };
  beforeAll(async () => {
    redis = await startRedis();
    node = await startNode(redis.url, { WRITE_TOKEN: 'lock-api-token' });
  });
  afterAll(async () => {
    await node?.close();
    await redis?.stop();
  });

  const lock = (name: string, body: object = {}, query = '', headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${node.url}/locks/${name}${query}`, { method: 'POST', headers: { ...A, ...headers }, body: JSON.stringify(body) });
  const CONTENDED = 'kubecdn_lock_contended_total';
  /** Names a lock-API request or a write on this node is waiting on (between attempts, until a release wakes it). */
  const lockWaiters = (): number => node.deps.leases.wakeups.size;

  it('a stale fencing token is refused at commit', async () => {
    const cfg = loadConfig({ NODE_ID: 'n', REDIS_URL: redis.url });
    expect(cfg.lockMode).toBe('redis');
    const store = node.deps.store;
    const version = { sha256: null, size: 0, contentType: null, createdAt: new Date().toISOString(), node: 'n', revertedFrom: null, deleted: true, deduplicated: false };
    await put(node.url, 'lk/fenced.txt', 'v1', A);
    // a newer holder (fence 1000) commits; then a holder that paused with fence 999 tries to
    const newer = await store.commit({ name: 'lk/fenced.txt', expectedCount: 1, version, contentMode: 'none', listed: false, event: 'file_deleted', fence: 1000, lockToken: undefined, endLease: false });
    expect(newer.ok).toBe(true);
    const stale = await store.commit({ name: 'lk/fenced.txt', expectedCount: 2, version, contentMode: 'none', listed: false, event: 'file_deleted', fence: 999, lockToken: undefined, endLease: false });
    expect(stale).toMatchObject({ ok: false, refused: 'stale_fence' });
    expect((await json<{ count: number }>(await fetch(`${node.url}/files/lk/fenced.txt/versions`))).count).toBe(2);
  });

  it("a write's own lease ends with its commit (one Redis round trip fewer), and only with a commit that succeeded", async () => {
    const { store, leases, redis: r } = node.deps;
    const version = { sha256: null, size: 0, contentType: null, createdAt: new Date().toISOString(), node: 'n', revertedFrom: null, deleted: true, deduplicated: false };
    const commitUnder = (name: string, held: { fence: number; token?: string | undefined }, expectedCount: number) =>
      store.commit({ name, expectedCount, version, contentMode: 'none', listed: false, event: 'file_deleted', fence: held.fence, lockToken: held.token, endLease: true });
    const cli = await subscribeWithRedisCli(redis.port, 'kubecdn:lock-released');
    try {
      const held = await leases.acquire('lk/ends.md');
      expect(held.endsWithCommit).toBe(true);
      // a commit that does not happen (a conflict) leaves the lease held
      expect(await commitUnder('lk/ends.md', held, 7)).toMatchObject({ ok: false, conflict: 'version' });
      expect(await r.exists(keys.lock('lk/ends.md'))).toBe(1);
      // another writer is refused meanwhile (which marks the lease as waited for)
      expect('token' in (await leases.tryAcquire('lk/ends.md', 10_000, 'write:other', 'write'))).toBe(false);
      // the commit ends it and announces it, in the same step
      const first = await commitUnder('lk/ends.md', held, 0);
      expect(first.ok).toBe(true);
      expect(await r.exists(keys.lock('lk/ends.md'))).toBe(0);
      // the same commit sent again (ioredis resends a script whose answer a dropped connection lost) answers the same:
      // not a conflict, which would send the writer round again without its lease; nothing is committed twice
      expect(await commitUnder('lk/ends.md', held, 0)).toEqual(first);
      expect(await r.hget(keys.file('lk/ends.md'), 'count')).toBe('1');
      // another hold's commit with a stale count is still a conflict
      expect(await commitUnder('lk/ends.md', { fence: held.fence, token: 'f'.repeat(32) }, 0)).toMatchObject({ ok: false, conflict: 'version' });
      await waitFor(() => Promise.resolve(cli.messages().includes('lk/ends.md')), 5000, 'the release announced by the commit');
      held.release(true); // lets this node's next writer go; no release of its own
      // release(true) sends nothing to Redis: the lease stays (a PING on the same connection: anything sent before it
      // has been applied)
      const next = await leases.acquire('lk/ends.md');
      next.release(true);
      await r.ping();
      expect(await r.exists(keys.lock('lk/ends.md'))).toBe(1);
      // whereas a hold that did not commit releases its lease itself
      const token = String(await r.hget(keys.lock('lk/ends.md'), 'token'));
      expect(await leases.release('lk/ends.md', token)).toBe(true);
      const third = await leases.acquire('lk/ends.md');
      third.release();
      await r.ping();
      expect(await r.exists(keys.lock('lk/ends.md'))).toBe(0);
    } finally {
      cli.stop();
    }
  });

  it('lock, write under the token, 423 for others, wait, refresh, release, expiry', async () => {
    const r = await lock('lk/doc.md', { ttlMs: 5000 }, '', { 'X-Lock-Holder': 'alice' });
    expect(r.status).toBe(201);
    const held = await json<{ token: string; fencingToken: number; expiresAt: string; holder: string }>(r);
    expect(held).toMatchObject({ holder: 'alice' });
    expect(held.fencingToken).toBeGreaterThan(0);

    const info = await json(await fetch(`${node.url}/locks/lk/doc.md`, { headers: A }));
    expect(info).toMatchObject({ locked: true, holder: 'alice', kind: 'api', fencingToken: held.fencingToken });
    expect(JSON.stringify(info)).not.toContain(held.token);

    const blocked = await put(node.url, 'lk/doc.md', 'by someone else', A);
    expect(blocked.status).toBe(423);
    expect(await blocked.json()).toMatchObject({ error: { code: 'locked', holder: 'alice' } });
    expect((await lock('lk/doc.md')).status).toBe(423);

    const mine = await put(node.url, 'lk/doc.md', 'by alice', { ...A, 'X-Lock-Token': held.token });
    expect(mine.status).toBe(201);
    expect((await put(node.url, 'lk/doc.md', 'alice again', { ...A, 'X-Lock-Token': held.token })).status).toBe(201);

    const refreshed = await fetch(`${node.url}/locks/lk/doc.md/refresh`, {
      method: 'POST',
      headers: { ...A, 'X-Lock-Token': held.token },
      body: JSON.stringify({ ttlMs: 60_000 }),
    });
    expect(refreshed.status).toBe(200);
    expect(Date.parse((await json<{ expiresAt: string }>(refreshed)).expiresAt)).toBeGreaterThan(Date.parse(held.expiresAt));
    expect((await fetch(`${node.url}/locks/lk/doc.md/refresh`, { method: 'POST', headers: { ...A, 'X-Lock-Token': 'nope' }, body: '{}' })).status).toBe(409);

    // a writer that waits: seen blocked behind the lock (its lease attempt refused), released while it waits, so
    // it gets through
    const contended = await metric(node.url, CONTENDED, { mode: 'redis' });
    let settled = false;
    const waiting = fetch(`${node.url}/files/lk/doc.md?waitMs=10000`, { method: 'PUT', headers: A, body: 'bob waited' }).finally(() => (settled = true));
    await waitFor(async () => (await metric(node.url, CONTENDED, { mode: 'redis' })) > contended, 5000, 'the writer blocked behind the lock');
    expect(settled).toBe(false);
    expect((await fetch(`${node.url}/locks/lk/doc.md`, { method: 'DELETE', headers: { ...A, 'X-Lock-Token': 'wrong' } })).status).toBe(409);
    expect((await fetch(`${node.url}/locks/lk/doc.md`, { method: 'DELETE', headers: { ...A, 'X-Lock-Token': held.token } })).status).toBe(204);
    expect((await waiting).status).toBe(201);
    expect(await (await fetch(`${node.url}/files/lk/doc.md`)).text()).toBe('bob waited');
    expect((await put(node.url, 'lk/doc.md', 'stale token', { ...A, 'X-Lock-Token': held.token })).status).toBe(409);

    // an expired lock is free
    expect((await lock('lk/short.md', { ttlMs: 200 })).status).toBe(201);
    await waitFor(async () => (await json<{ locked: boolean }>(await fetch(`${node.url}/locks/lk/short.md`, { headers: A }))).locked === false, 5000, 'expiry');
    expect((await put(node.url, 'lk/short.md', 'after expiry', A)).status).toBe(201);
  });

  it('a release is announced on kubecdn:lock-released, and a waiter takes the lock after it', async () => {
    const cli = await subscribeWithRedisCli(redis.port, 'kubecdn:lock-released');
    try {
      const held = await json<{ token: string }>(await lock('lk/announced.md', { ttlMs: 30_000 }));
      let settled = false;
      const waiter = lock('lk/announced.md', {}, '?waitMs=20000', { 'X-Lock-Holder': 'waiter' }).finally(() => (settled = true));
      await waitFor(() => lockWaiters() > 0, 5000, 'the waiter blocked on the lock');
      expect(settled).toBe(false);
      const released = await fetch(`${node.url}/locks/lk/announced.md`, { method: 'DELETE', headers: { ...A, 'X-Lock-Token': held.token } });
      expect(released.status).toBe(204);
      const second = await waiter;
      expect(second.status).toBe(201);
      expect(await json(second)).toMatchObject({ holder: 'waiter' });
      await waitFor(() => Promise.resolve(cli.messages().includes('lk/announced.md')), 5000, 'the release message');
      // A write nobody waited for announces nothing (every node receives this channel); a lease someone was refused
      // is announced when it ends. One channel delivers in order: once the second name is there, the first would
      // have come before it.
      await put(node.url, 'lk/plain.md', 'x', A);
      const api = await json<{ token: string }>(await lock('lk/contended.md', { ttlMs: 30_000 }));
      expect((await lock('lk/contended.md', {})).status).toBe(423); // refused: the lease is now waited for
      expect((await fetch(`${node.url}/locks/lk/contended.md`, { method: 'DELETE', headers: { ...A, 'X-Lock-Token': api.token } })).status).toBe(204);
      await waitFor(() => Promise.resolve(cli.messages().includes('lk/contended.md')), 5000, 'the contended release');
      expect(cli.messages()).not.toContain('lk/plain.md');
    } finally {
      cli.stop();
    }
  });

  it('the lock API needs the write token and rejects bad bodies', async () => {
    expect((await fetch(`${node.url}/locks/lk/x`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await lock('lk/x', { ttlMs: 5 })).status).toBe(400);
    expect((await lock('lk/x', { ttl: 500 })).status).toBe(400);
    expect((await fetch(`${node.url}/locks/lk/x`, { method: 'DELETE', headers: A })).status).toBe(400);
  });

  it('test case 7: demonstrating mutual exclusion', async () => {
    // two content providers edit the same file in several steps, as the original users did
    const u1 = await json<{ token: string }>(await lock('lk/shared.txt', { ttlMs: 10_000 }, '', { 'X-Lock-Holder': 'user1' }));
    const u2try = await lock('lk/shared.txt', { ttlMs: 10_000 }, '', { 'X-Lock-Holder': 'user2' });
    expect(u2try.status).toBe(423);
    expect(await u2try.json()).toMatchObject({ error: { holder: 'user1' } });
    expect((await put(node.url, 'lk/shared.txt', 'user1 step 1', { ...A, 'X-Lock-Token': u1.token })).status).toBe(201);
    expect((await put(node.url, 'lk/shared.txt', 'user2 sneaks in', A)).status).toBe(423);
    expect((await put(node.url, 'lk/shared.txt', 'user1 step 2', { ...A, 'X-Lock-Token': u1.token })).status).toBe(201);
    let settled = false;
    const u2wait = lock('lk/shared.txt', { ttlMs: 10_000 }, '?waitMs=10000', { 'X-Lock-Holder': 'user2' }).finally(() => (settled = true));
    await waitFor(() => lockWaiters() > 0, 5000, 'user2 waiting for the lock');
    expect(settled).toBe(false);
    await fetch(`${node.url}/locks/lk/shared.txt`, { method: 'DELETE', headers: { ...A, 'X-Lock-Token': u1.token } });
    const u2 = await json<{ token: string; holder: string }>(await u2wait);
    expect(u2.holder).toBe('user2');
    expect((await put(node.url, 'lk/shared.txt', 'user2 edit', { ...A, 'X-Lock-Token': u2.token })).status).toBe(201);
    const hist = await json<{ versions: { version: number }[] }>(await fetch(`${node.url}/files/lk/shared.txt/versions`));
    expect(hist.versions.map((v) => v.version)).toEqual([3, 2, 1]);
  });
});
