// The guarantees a fault run checks, kept by a test: under kill -9 of a node (twice, two different nodes) and of
// Redis (append-only file, fsync always) in the middle of concurrent writes, reverts and deletes on every node, no
// acknowledged version is lost, every name's history is 1..count with no gap or duplicate, and every acknowledged
// version reads back with its bytes from every node. Bounded: WRITERS loops, each at most MAX_OPS operations. A
// killed node's write leases lapse after LOCK_TTL_MS (3 s here), so writers behind them wait that long at most.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, startMember, stopCluster, waitForMembers, type ClusterNode } from '../helpers/cluster.js';
import { download } from '../helpers/download.js';
import { fileUrl } from '../helpers/http.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';

const WRITERS = 6;
const MAX_OPS = 400;
const NAMES = ['d/one', 'd/two', 'd/three'];

interface Ack {
  readonly name: string;
  readonly version: number;
  readonly sha256: string | null;
}

let redis: TestRedis;
let nodes: ClusterNode[];
beforeAll(async () => {
  redis = await startRedis({ persist: true });
  nodes = await startCluster(redis.url, 3, { REPLICATION_FACTOR: '2', DEDUP_POLICY: 'link', LOCK_TTL_MS: '3000' });
});
afterAll(async () => {
  await stopCluster(nodes ?? []);
  await redis?.stop();
});

/** One operation on a random live node; the acknowledgement when the node said it committed. */
async function operate(w: number, i: number): Promise<Ack | undefined> {
  const live = nodes.filter((n) => n.node);
  const node = live[(w + i) % live.length];
  const name = NAMES[(w * 7 + i) % NAMES.length]!;
  if (!node) return undefined;
  const kind = i % 10;
  const init: RequestInit =
    kind === 9
      ? { method: 'DELETE' }
      : kind === 8
        ? { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ version: 1 }) }
        : { method: 'PUT', body: `writer ${w} op ${i} `.repeat(1 + (i % 50)) };
  const url = kind === 8 ? `${fileUrl(node.url, name)}/revert?waitMs=5000` : `${fileUrl(node.url, name)}?waitMs=5000`;
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) }).catch(() => undefined);
  if (!res) return undefined;
  const text = await res.text().catch(() => '');
  if (res.status !== 201 && !(res.status === 200 && init.method === 'DELETE')) return undefined;
  const body = JSON.parse(text) as { version: number; sha256: string | null };
  return { name, version: body.version, sha256: body.sha256 };
}

describe('durability under kill -9', () => {
  it('no acknowledged version is lost and histories stay gapless through node and Redis crashes', async () => {
    const acks: Ack[] = [];
    let stop = false;
    let done = 0;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; i < MAX_OPS && !stop; i++) {
        const ack = await operate(w, i);
        if (ack) acks.push(ack);
        done++;
      }
    });
    const progress = (n: number): Promise<void> => waitFor(() => done >= n, 60_000, `${n} operations`);
    try {
      await progress(100);
      for (const victim of [nodes[2]!, nodes[1]!]) {
        await victim.node!.stop('SIGKILL');
        victim.node = undefined;
        await progress(done + 50);
        await startMember(redis.url, victim);
        await waitForMembers(nodes, 3);
        await progress(done + 50);
      }
      await redis.kill();
      await progress(done + 20); // operations fail fast while Redis is down
      await redis.start();
      await waitFor(async () => (await Promise.all(nodes.map(async (n) => (await fetch(`${n.url}/readyz`)).status))).every((s) => s === 200), 20_000, 'ready');
      await progress(done + 100);
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    expect(acks.length).toBeGreaterThan(200);

    for (const name of NAMES) {
      const history = (await (await fetch(`${fileUrl(nodes[0]!.url, name)}/versions?limit=1000`)).json()) as {
        count: number;
        versions: Array<{ version: number; sha256: string | null }>;
      };
      const numbers = history.versions.map((v) => v.version).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: history.count }, (_, k) => k + 1)); // gapless, no duplicate
      const byVersion = new Map(history.versions.map((v) => [v.version, v.sha256]));
      const mine = acks.filter((a) => a.name === name);
      for (const a of mine) expect(byVersion.get(a.version), `${name} v${a.version}`).toBe(a.sha256);
      expect(new Set(mine.map((a) => a.version)).size).toBe(mine.length); // nobody was told the same version
    }
    console.log(`durability: ${acks.length} acknowledged versions of ${done} operations, all present`);
    // every acknowledged content reads back, from every node
    const sample = acks.filter((a) => a.sha256 !== null).slice(-30);
    for (const a of sample) {
      for (const n of nodes) {
        const d = await download(`${fileUrl(n.url, a.name)}?version=${a.version}`);
        expect([d.status, d.complete, d.sha256]).toEqual([200, true, a.sha256]);
      }
    }
  }, 240_000);
});
