// The synchronous hot-hit path (head and bytes in memory) must answer exactly like the long path it short-cuts, and
// still be counted, logged and invalidated. The first GET of a file takes the long path and fills both caches; the
// ones after it take the short path.
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type ChildNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';

const TOKEN = 'hot-path-token';
let redis: TestRedis;
let node: ChildNode;

beforeAll(async () => {
  redis = await startRedis();
  node = await spawnNode(redis.url, { NODE_ID: 'hot', WRITE_TOKEN: TOKEN, LOG_LEVEL: 'info' });
});
afterAll(async () => {
  await node?.stop();
  await fs.rm(node?.dataDir ?? '/nonexistent', { recursive: true, force: true });
  await redis?.stop();
});

async function put(name: string, body: string): Promise<void> {
  const res = await fetch(`${node.url}/files/${name}`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'text/plain' },
    body,
  });
  expect(res.status).toBeLessThan(300);
}

/** Status, body and headers, without the ones that differ per response by design (Node answers undici's HEAD with
 * Connection: close on every path). */
async function answer(path: string, init: RequestInit = {}): Promise<{ status: number; body: string; headers: Record<string, string> }> {
  const res = await fetch(`${node.url}${path}`, init);
  const headers = Object.fromEntries([...res.headers].filter(([k]) => !['date', 'x-request-id', 'keep-alive', 'connection'].includes(k)));
  return { status: res.status, body: await res.text(), headers };
}

describe('hot hits', () => {
  it('answer GET, HEAD, conditional and range requests exactly like the long path', async () => {
    await put('hot/a.txt', 'hello, hot path');
    const cold = await answer('/files/hot/a.txt');
    const hot = await answer('/files/hot/a.txt');
    expect(cold.status).toBe(200);
    expect(hot).toEqual(cold);
    expect(hot.headers['x-cache']).toBe('HIT');

    const head = await answer('/files/hot/a.txt', { method: 'HEAD' });
    expect(head).toEqual({ ...cold, body: '' });

    const etag = cold.headers.etag!;
    const notModified = await answer('/files/hot/a.txt', { headers: { 'If-None-Match': etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBe('');
    expect(notModified.headers.etag).toBe(etag);
    expect(notModified.headers['x-content-version']).toBe('1');
    expect(notModified.headers['content-length']).toBeUndefined();
    const since = await answer('/files/hot/a.txt', { headers: { 'If-Modified-Since': cold.headers['last-modified']! } });
    expect(since.status).toBe(304);
    const changed = await answer('/files/hot/a.txt', { headers: { 'If-None-Match': '"something-else"' } });
    expect(changed).toEqual(cold);

    const range = await answer('/files/hot/a.txt', { headers: { Range: 'bytes=0-4' } });
    expect(range.status).toBe(206);
    expect(range.body).toBe('hello');
  });

  it('carry a request id: the client’s when given, else a new one each time', async () => {
    await put('hot/b.txt', 'ids');
    await fetch(`${node.url}/files/hot/b.txt`).then((r) => r.text());
    const given = await fetch(`${node.url}/files/hot/b.txt`, { headers: { 'X-Request-Id': 'trace-hot-1' } });
    await given.text();
    expect(given.headers.get('x-request-id')).toBe('trace-hot-1');
    const ids = new Set<string | null>();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${node.url}/files/hot/b.txt`);
      await res.text();
      ids.add(res.headers.get('x-request-id'));
    }
    expect(ids.size).toBe(3);
    expect(ids.has(null)).toBe(false);
  });

  it('serve the new version right after an overwrite', async () => {
    await put('hot/c.txt', 'first');
    await fetch(`${node.url}/files/hot/c.txt`).then((r) => r.text());
    expect((await answer('/files/hot/c.txt')).body).toBe('first');
    await put('hot/c.txt', 'second');
    const after = await answer('/files/hot/c.txt');
    expect(after.body).toBe('second');
    expect(after.headers['x-content-version']).toBe('2');
  });

  it('are counted in the request metrics and written to the access log as JSON lines', async () => {
    await put('hot/d.txt', 'counted');
    await fetch(`${node.url}/files/hot/d.txt`).then((r) => r.text());
    const requests = 'kubecdn_http_requests_total{route="file",method="GET",status="200",node="hot"}';
    const before = await scrape(requests);
    const hotBefore = await scrape('kubecdn_hot_cache_hits_total{node="hot"}');
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${node.url}/files/hot/d.txt`, { headers: { 'X-Request-Id': `log-check-${i}` } });
      await res.text();
    }
    expect((await scrape(requests)) - before).toBe(5);
    expect((await scrape('kubecdn_hot_cache_hits_total{node="hot"}')) - hotBefore).toBe(5);
    // Lines are buffered (flushed at least every second), so wait for them.
    await waitFor(() => Promise.resolve(node.output().includes('"req":"log-check-4"')), 5000, 'the access log line');
    const lines = node
      .output()
      .split('\n')
      .filter((l) => l.includes('"req":"log-check-'));
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({ level: 'info', node: 'hot', method: 'GET', url: '/files/hot/d.txt', route: 'file', status: 200, msg: 'request' });
      expect(typeof JSON.parse(line).time).toBe('string');
    }
  });
});

async function scrape(series: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
