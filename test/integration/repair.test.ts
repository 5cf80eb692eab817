// Batched re-replication (cluster/repairPass.ts, cluster/inventory.ts) with real node processes, real Redis and real
// HTTP: the inventory route's answers and refusals; a pass asks each peer once per batch and pushes only what it
// lacks; a peer of the older version (no inventory route: 404) is asked blob by blob with HEADs; a real peer's missing
// or wrong-size copy is restored; and readiness does not wait for the start-up pass. Thousands of blobs are seeded
// straight into data directories and Redis (helpers/seed.ts), as a node would have stored them.
import fs from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signPeerRequest } from '../../node/src/cluster/peerAuth.js';
import { FAST, SECRET, copies, startCluster, stopCluster, type ClusterNode } from '../helpers/cluster.js';
import { blobFile } from '../helpers/download.js';
import { startFakePeer, type FakePeer } from '../helpers/fakePeer.js';
import { put, sha256 } from '../helpers/http.js';
import { metric } from '../helpers/metrics.js';
import { spawnNode, tempDir, type ChildNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';
import { seedBlobs, seedContent } from '../helpers/seed.js';

let redis: TestRedis;
const cleanup: Array<() => Promise<unknown>> = [];
beforeEach(async () => {
  redis = await startRedis(); // one per test: no member of an earlier test lingers in the member list
});
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
  await redis?.stop();
});

const QUIET = { REPAIR_INTERVAL_MS: '0', SCRUB_BYTES_PER_SEC: '0', MEMBER_TTL_MS: '15000' };

async function node(env: Record<string, string>): Promise<ChildNode> {
  const dataDir = env.DATA_DIR ?? (await tempDir());
  const n = await spawnNode(redis.url, { ...FAST, ...QUIET, ...env, DATA_DIR: dataDir });
  cleanup.push(() => fs.rm(dataDir, { recursive: true, force: true }), () => n.stop('SIGKILL'));
  return n;
}

async function fake(opts: Parameters<typeof startFakePeer>[1]): Promise<FakePeer> {
  const f = await startFakePeer(redis.url, opts);
  cleanup.push(() => f.stop());
  return f;
}

/** Until the node has finished at least one repair pass and none runs or is due; the number of passes. */
async function passesSettled(url: string): Promise<number> {
  await waitFor(
    async () =>
      (await metric(url, 'kubecdn_repair_passes_total', { reason: 'repair' })) >= 1 &&
      (await metric(url, 'kubecdn_repair_passes_running')) === 0 &&
      (await metric(url, 'kubecdn_repair_passes_pending')) === 0,
    60_000,
    'a finished repair pass',
  );
  return metric(url, 'kubecdn_repair_passes_total', { reason: 'repair' });
}

const inventoryCalls = (f: FakePeer): number => f.requests.filter((r) => r.method === 'POST' && r.path === '/internal/inventory').length;
const calls = (f: FakePeer, method: string): number => f.requests.filter((r) => r.method === method && r.path.startsWith('/internal/blobs/')).length;

describe('POST /internal/inventory', () => {
  const ask = (url: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${url}/internal/inventory`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
  const signed = (): Record<string, string> => ({ 'X-Cluster-Auth': signPeerRequest(SECRET, 'POST', '/internal/inventory', Date.now(), 'tester') });
  const code = async (res: Response): Promise<[number, string]> => [res.status, ((await res.json()) as { error: { code: string } }).error.code];

  it('names what is missing and what has the wrong size (quarantining it), not what is held', async () => {
    const n = await node({ NODE_ID: 'inv-a' });
    const held = Buffer.alloc(5000, 'h');
    const shortened = Buffer.alloc(7000, 's');
    expect((await put(n.url, 'inv/held', held)).status).toBe(201);
    expect((await put(n.url, 'inv/shortened', shortened)).status).toBe(201);
    await fs.truncate(blobFile(n.dataDir, sha256(shortened)), shortened.length - 1); // lost its tail on this disk
    const absent = sha256('never stored');
    const blobs = [
      { sha256: sha256(held), size: held.length },
      { sha256: sha256(shortened), size: shortened.length },
      { sha256: absent, size: 10 },
    ];
    const res = await ask(n.url, JSON.stringify({ blobs }), signed());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ missing: [absent], bad: [sha256(shortened)] });
    // a copy that differs from the asked (committed) size is refused and quarantined, as a HEAD would
    await waitFor(async () => (await metric(n.url, 'kubecdn_integrity_failures_total', { where: 'peer' })) === 1, 10_000, 'the quarantine');
    await expect(fs.access(blobFile(n.dataDir, sha256(shortened)))).rejects.toThrow();
    expect(sha256(await fs.readFile(blobFile(n.dataDir, sha256(held))))).toBe(sha256(held));
  });

  it('refuses bad input with invalid_request (names are digests, never paths) and strangers with peer_forbidden', async () => {
    const n = await node({ NODE_ID: 'inv-b' });
    const one = (e: unknown): string => JSON.stringify({ blobs: [e] });
    const bad = [
      one({ sha256: '../../../etc/passwd', size: 1 }),
      one({ sha256: 'A'.repeat(64), size: 1 }),
      one({ sha256: 'a'.repeat(64), size: -1 }),
      one({ sha256: 'a'.repeat(64), size: 1.5 }),
      one({ sha256: 'a'.repeat(64), size: 1, path: '/etc/passwd' }),
      JSON.stringify({ blobs: Array.from({ length: 5001 }, () => ({ sha256: 'a'.repeat(64), size: 1 })) }),
      JSON.stringify({}),
      JSON.stringify([]),
    ];
    for (const body of bad) expect(await code(await ask(n.url, body, signed()))).toEqual([400, 'invalid_request']);
    expect(await code(await ask(n.url, '{"blobs":', signed()))).toEqual([400, 'invalid_json']);
    const huge = `{"blobs":[],"pad":"${'x'.repeat(1024 * 1024)}"}`;
    expect(await code(await ask(n.url, huge, signed()))).toEqual([413, 'payload_too_large']);
    const good = JSON.stringify({ blobs: [] });
    expect(await code(await ask(n.url, good))).toEqual([403, 'peer_forbidden']);
    expect(await code(await ask(n.url, good, { 'X-Cluster-Secret': 'wrong' }))).toEqual([403, 'peer_forbidden']);
    const otherSecret = { 'X-Cluster-Auth': signPeerRequest('another', 'POST', '/internal/inventory', Date.now(), 'x') };
    expect(await code(await ask(n.url, good, otherSecret))).toEqual([403, 'peer_forbidden']);
    expect(await (await ask(n.url, good, signed())).json()).toEqual({ missing: [], bad: [] });
  });
});

describe('a repair pass', () => {
  const COUNT = 3000;
  const BATCH = 500;

  it('asks its peer once per batch (3,000 blobs, batches of 500) and pushes only the missing and wrong-size copies', async () => {
    const dataDir = await tempDir();
    const peer = await fake({ id: 'inv-peer', secret: SECRET, inventory: 'answer' });
    // Two members, R=2: the peer is the other home of every blob. It holds all but 10, and 5 of its copies are short.
    const shas = await seedBlobs(redis.url, { count: COUNT, tag: 'batch', dirsFor: () => [dataDir] });
    const missing = shas.slice(0, 10);
    const short = shas.slice(10, 15);
    shas.forEach((s, i) => peer.blobs.set(s, seedContent('batch', i)));
    for (const s of missing) peer.blobs.delete(s);
    for (const s of short) peer.blobs.set(s, peer.blobs.get(s)!.subarray(1));
    const n = await node({ NODE_ID: 'inv-real', DATA_DIR: dataDir, REPAIR_BATCH_BLOBS: String(BATCH) });

    const passes = await passesSettled(n.url);
    expect(inventoryCalls(peer)).toBe(passes * (COUNT / BATCH));
    expect(peer.inventories.every((size) => size <= BATCH)).toBe(true);
    expect(peer.inventories.reduce((a, b) => a + b, 0)).toBe(passes * COUNT);
    expect(calls(peer, 'HEAD')).toBe(0);
    expect(calls(peer, 'PUT')).toBe(missing.length + short.length);
    expect(await metric(n.url, 'kubecdn_replica_pushes_total', { reason: 'repair' })).toBe(missing.length + short.length);
    expect(await metric(n.url, 'kubecdn_repair_inventory_requests_total', { result: 'answered' })).toBe(inventoryCalls(peer));
    for (const [i, s] of shas.entries()) if (!peer.blobs.get(s)?.equals(seedContent('batch', i))) throw new Error(`peer lacks blob ${i}`);
    expect(await metric(n.url, 'kubecdn_under_replicated_blobs')).toBe(0);
  });

  it('asks a peer of the older version (inventory answers 404) blob by blob with HEADs, and pushes what it lacks', async () => {
    const dataDir = await tempDir();
    const old = await fake({ id: 'old-peer', secret: SECRET }); // no inventory route
    const shas = await seedBlobs(redis.url, { count: 300, tag: 'old', dirsFor: () => [dataDir] });
    shas.forEach((s, i) => old.blobs.set(s, seedContent('old', i)));
    const lacking = shas.slice(100, 107);
    for (const s of lacking) old.blobs.delete(s);
    const n = await node({ NODE_ID: 'new-real', DATA_DIR: dataDir, REPAIR_BATCH_BLOBS: '100' });

    const passes = await passesSettled(n.url);
    expect(inventoryCalls(old)).toBe(passes); // tried once a pass, then remembered for the rest of it
    expect(calls(old, 'HEAD')).toBe(passes * shas.length);
    expect(await metric(n.url, 'kubecdn_repair_head_probes_total')).toBe(passes * shas.length);
    expect(await metric(n.url, 'kubecdn_repair_inventory_requests_total', { result: 'unsupported' })).toBe(passes);
    expect(calls(old, 'PUT')).toBe(lacking.length);
    for (const s of lacking) expect(old.blobs.has(s)).toBe(true);
  });

  it('does not hold up readiness: ready and counting its blobs while the start-up pass waits on a peer', async () => {
    const dataDir = await tempDir();
    const stuck = await fake({ id: 'stuck-peer', secret: SECRET, inventory: 'stall' });
    await seedBlobs(redis.url, { count: 2000, tag: 'ready', dirsFor: () => [dataDir] });
    const n = await node({ NODE_ID: 'ready-real', DATA_DIR: dataDir, PEER_TIMEOUT_MS: '120000' });
    await waitFor(() => inventoryCalls(stuck) >= 1, 20_000, 'the pass to ask the stuck peer');
    expect((await fetch(`${n.url}/readyz`)).status).toBe(200);
    await waitFor(async () => (await metric(n.url, 'kubecdn_blob_store_blobs')) === 2000, 30_000, 'the blob count');
    // the pass is still waiting for its first answer all along
    expect(await metric(n.url, 'kubecdn_repair_passes_running')).toBe(1);
    expect(await metric(n.url, 'kubecdn_repair_passes_total', { reason: 'repair' })).toBe(0);
    expect((await fetch(`${n.url}/readyz`)).status).toBe(200);
  });
});

describe('real peers', () => {
  let nodes: ClusterNode[] = [];
  afterEach(async () => stopCluster(nodes));

  it('a missing or wrong-size copy on a real node is restored by the next passes (inventories, no HEADs)', async () => {
    nodes = await startCluster(redis.url, 3, { REPLICATION_FACTOR: '2', SCRUB_BYTES_PER_SEC: '0' });
    const bodies = Array.from({ length: 12 }, (_, i) => Buffer.alloc(3000 + i, `r${i}`));
    for (const [i, b] of bodies.entries()) expect((await put(nodes[i % 3]!.url, `real/${i}`, b)).status).toBe(201);
    const damaged: Array<{ sha: string; at: ClusterNode }> = [];
    for (const [i, b] of bodies.entries()) {
      const sha = sha256(b);
      const [holder] = await copies(nodes, sha);
      const at = nodes.find((c) => c.id === holder)!;
      if (i % 2 === 0) await fs.rm(blobFile(at.dataDir, sha));
      else await fs.truncate(blobFile(at.dataDir, sha), 100);
      damaged.push({ sha, at });
    }
    const sound = async ({ sha, at }: { sha: string; at: ClusterNode }): Promise<boolean> =>
      sha256(await fs.readFile(blobFile(at.dataDir, sha))) === sha;
    await waitFor(async () => (await Promise.all(damaged.map(sound))).every(Boolean), 30_000, 'every copy restored');
    const sum = async (name: string, labels: Record<string, string> = {}): Promise<number> =>
      (await Promise.all(nodes.map((c) => metric(c.url, name, labels)))).reduce((a, b) => a + b, 0);
    expect(await sum('kubecdn_repair_inventory_requests_total', { result: 'answered' })).toBeGreaterThan(0);
    expect(await sum('kubecdn_repair_head_probes_total')).toBe(0);
  });
});
