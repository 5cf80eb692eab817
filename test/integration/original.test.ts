// The original mini-CDN's test cases, by name, against a real node and a real Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, put, sha256, subscribeWithRedisCli } from '../helpers/http.js';
import { startNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let node: Awaited<ReturnType<typeof startNode>>;

beforeAll(async () => {
  redis = await startRedis();
  node = await startNode(redis.url);
});
afterAll(async () => {
  await node?.close();
  await redis?.stop();
});

describe('original test cases', () => {
  it('test case 1: a single user reads an existing file', async () => {
    expect((await put(node.url, 'case1/hello.txt', 'Hello from the CDN')).status).toBe(201);
    const res = await fetch(`${node.url}/files/case1/hello.txt`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Hello from the CDN');
    // and the original client's route
    const old = await json(await fetch(`${node.url}/read_version?file_name=case1/hello.txt&version=1`));
    expect(old.content).toBe('Hello from the CDN');
  });

  it('test case 2: a user requests a file that does not exist', async () => {
    const res = await fetch(`${node.url}/files/case2/missing.txt`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'file_not_found', message: 'No file has that name.' } });
    const old = await fetch(`${node.url}/get_file?filename=case2/missing.txt`);
    expect(old.status).toBe(404);
    expect(await old.json()).toMatchObject({ status: 'error', message: 'File not found.' });
  });

  it('test case 3: many concurrent requests', async () => {
    const files = Array.from({ length: 8 }, (_, i) => ({
      name: `case3/file-${i}.bin`,
      body: Buffer.alloc(1000 + i * 70_000, `pattern-${i}-`),
    }));
    for (const f of files) expect((await put(node.url, f.name, f.body)).status).toBe(201);
    const reads = Array.from({ length: 240 }, (_, i) => files[i % files.length]!);
    const results = await Promise.all(
      reads.map(async (f) => {
        const res = await fetch(`${node.url}/files/${f.name}`);
        return { f, status: res.status, body: Buffer.from(await res.arrayBuffer()) };
      }),
    );
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(r.f.body.length);
      expect(sha256(r.body)).toBe(sha256(r.f.body));
    }
  });

  it('test case 4: a content provider adds a new file', async () => {
    const sub = await subscribeWithRedisCli(redis.port, 'file_notifications');
    try {
      const add = await fetch(`${node.url}/add_file`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ filename: 'case4/new.txt', content: 'fresh content' }),
      });
      expect(await add.json()).toEqual({ status: 'success' });
      // readable at once
      expect(await (await fetch(`${node.url}/files/case4/new.txt`)).text()).toBe('fresh content');
      await waitFor(() => sub.messages().length > 0, 5000, 'a notification');
      const msg = JSON.parse(sub.messages()[0]!) as Record<string, unknown>;
      expect(msg).toMatchObject({ event: 'file_added', filename: 'case4/new.txt', version: 1, sha256: sha256('fresh content') });
    } finally {
      sub.stop();
    }
  });

  it('test case 5: adding duplicate content is detected and blocked', async () => {
    const first = await fetch(`${node.url}/write`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ file_name: 'case5/a.txt', file_content: 'same bytes' }),
    });
    expect(await first.json()).toEqual({ message: 'File written successfully.' });
    const dup = await fetch(`${node.url}/write`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ file_name: 'case5/b.txt', file_content: 'same bytes' }),
    });
    expect(dup.status).toBe(400);
    expect(await dup.json()).toMatchObject({ message: 'Duplicate file detected. Not written.' });
    expect((await fetch(`${node.url}/files/case5/b.txt`)).status).toBe(404);
    const viaPut = await put(node.url, 'case5/c.txt', 'same bytes');
    expect(viaPut.status).toBe(409);
    expect(await viaPut.json()).toMatchObject({ error: { code: 'duplicate_content', existing: { name: 'case5/a.txt', version: 1 } } });
  });
});
