// Concurrent writers to one name: versions 1..N in one order, no gap, no duplicate, every body present once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, put, sha256 } from '../helpers/http.js';
import { startNode } from '../helpers/node.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let a: Awaited<ReturnType<typeof startNode>>;
let b: Awaited<ReturnType<typeof startNode>>;

beforeAll(async () => {
  redis = await startRedis();
  a = await startNode(redis.url, { NODE_ID: 'a' });
  // a second node on the same Redis: its writers do not share a's in-process lock, so the commit's
  // compare-and-set is what keeps the numbering straight between them
  b = await startNode(redis.url, { NODE_ID: 'b' });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.stop();
});

async function history(base: string, name: string): Promise<{ version: number; sha256: string }[]> {
  const h = await json<{ versions: { version: number; sha256: string }[] }>(await fetch(`${base}/files/${name}/versions?limit=1000`));
  return h.versions;
}

describe('concurrent writers', () => {
  it('one node: 40 writers to one name give versions 1..40, each told its own version', async () => {
    const bodies = Array.from({ length: 40 }, (_, i) => `writer ${i} body`);
    const results = await Promise.all(bodies.map((body) => put(a.url, 'race/one-node', body).then((r) => json<{ version: number; sha256: string }>(r))));
    const told = results.map((r) => r.version).sort((x, y) => x - y);
    expect(told).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const hist = await history(a.url, 'race/one-node');
    expect(hist.map((v) => v.version)).toEqual(Array.from({ length: 40 }, (_, i) => 40 - i));
    expect(new Set(hist.map((v) => v.sha256)).size).toBe(40);
    // every writer was told its own commit: the version it was told holds the body it sent, with that body's digest
    for (const [i, r] of results.entries()) {
      expect(r.sha256, `writer ${i}`).toBe(sha256(bodies[i]!));
      const stored = await (await fetch(`${a.url}/files/race/one-node?version=${r.version}`)).text();
      expect(stored, `writer ${i}, told version ${r.version}`).toBe(bodies[i]);
    }
  });

  it('two nodes: 2 x 25 writers give versions 1..50 with no gap or duplicate', async () => {
    const jobs = Array.from({ length: 50 }, (_, i) => put(i % 2 ? a.url : b.url, 'race/two-nodes', `two-node body ${i}`));
    const statuses = (await Promise.all(jobs)).map((r) => r.status);
    expect(statuses.every((s) => s === 201)).toBe(true);
    const hist = await history(b.url, 'race/two-nodes');
    expect(hist.map((v) => v.version).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(hist.map((v) => v.sha256)).size).toBe(50);
  });

  it('the same new content raced under two names: exactly one wins, the other is a duplicate', async () => {
    const [r1, r2] = await Promise.all([put(a.url, 'race/x', 'contended content'), put(b.url, 'race/y', 'contended content')]);
    expect([r1.status, r2.status].sort()).toEqual([201, 409]);
  });
});
