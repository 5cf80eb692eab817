// Writes against a real node and Redis: conditional writes, integrity, auth, the dedupe policies. Every test writes
// its own names and bodies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUrl, json, put, sha256 } from '../helpers/http.js';
import { startNode } from '../helpers/node.js';
import { TOKEN, auth, nodeFixture } from '../helpers/nodeFixture.js';

const fx = nodeFixture();
let linkNode: Awaited<ReturnType<typeof startNode>>;

beforeAll(async () => {
  linkNode = await startNode(fx.redis.url, { WRITE_TOKEN: TOKEN, DEDUP_POLICY: 'link', NODE_ID: 'linker' });
});
afterAll(async () => {
  await linkNode?.close();
});

describe('conditional writes and integrity', () => {
  it('If-None-Match: * creates only once', async () => {
    expect((await put(fx.node.url, 'c/once.txt', 'first', { ...auth, 'If-None-Match': '*' })).status).toBe(201);
    const again = await put(fx.node.url, 'c/once.txt', 'second', { ...auth, 'If-None-Match': '*' });
    expect(again.status).toBe(412);
    expect(await (await fetch(fileUrl(fx.node.url, 'c/once.txt'))).text()).toBe('first');
  });

  it('If-Match guards against lost updates', async () => {
    expect((await put(fx.node.url, 'c/match.txt', 'match first', auth)).status).toBe(201);
    const etag = `"${sha256('match first')}"`;
    expect((await put(fx.node.url, 'c/match.txt', 'edit-1', { ...auth, 'If-Match': etag })).status).toBe(201);
    expect((await put(fx.node.url, 'c/match.txt', 'edit-2', { ...auth, 'If-Match': etag })).status).toBe(412);
    expect(await (await fetch(fileUrl(fx.node.url, 'c/match.txt'))).text()).toBe('edit-1');
  });

  it('X-Content-SHA256 is verified; a mismatch stores nothing', async () => {
    const ok = await put(fx.node.url, 'c/sum.txt', 'checked', { ...auth, 'X-Content-SHA256': sha256('checked') });
    expect(ok.status).toBe(201);
    const bad = await put(fx.node.url, 'c/sum2.txt', 'tampered', { ...auth, 'X-Content-SHA256': sha256('original') });
    expect(bad.status).toBe(422);
    expect((await json<{ error: { code: string } }>(bad)).error.code).toBe('digest_mismatch');
    expect((await fetch(fileUrl(fx.node.url, 'c/sum2.txt'))).status).toBe(404);
    expect((await fetch(`${fx.node.url}/blobs/sha256/${sha256('tampered')}`)).status).toBe(404);
  });
});

describe('auth', () => {
  it('writes need the token; reads do not', async () => {
    const none = await put(fx.node.url, 'a/x.txt', 'x');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await put(fx.node.url, 'a/x.txt', 'x', { Authorization: 'Bearer wrong-token' })).status).toBe(403);
    expect((await fetch(fileUrl(fx.node.url, 'a/x.txt'), { method: 'DELETE' })).status).toBe(401);
    for (const path of ['/write', '/add_file']) {
      expect((await fetch(`${fx.node.url}${path}`, { method: 'POST', body: '{}' })).status).toBe(401);
    }
    expect((await fetch(`${fx.node.url}/files/a/x.txt/revert`, { method: 'POST', body: '{"version":1}' })).status).toBe(401);
    expect((await put(fx.node.url, 'a/x.txt', 'x', auth)).status).toBe(201);
    expect((await fetch(fileUrl(fx.node.url, 'a/x.txt'))).status).toBe(200);
  });
});

describe('dedupe policy link', () => {
  it('stores the content once and points the new version at it', async () => {
    await put(linkNode.url, 'd/original.txt', 'shared content', auth);
    const res = await put(linkNode.url, 'd/copy.txt', 'shared content', auth);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ deduplicated: true, sha256: sha256('shared content') });
    expect(await (await fetch(fileUrl(linkNode.url, 'd/copy.txt'))).text()).toBe('shared content');
    const metrics = await (await fetch(`${linkNode.url}/metrics`)).text();
    expect(metrics).toMatch(/kubecdn_dedupe_hits_total\{outcome="linked",node="linker"\} 1/);
    expect(metrics).toMatch(/kubecdn_dedupe_saved_bytes_total\{node="linker"\} 14/);
  });

  it('an empty file is never a duplicate', async () => {
    expect((await put(fx.node.url, 'e/empty-1', '', auth)).status).toBe(201);
    expect((await put(fx.node.url, 'e/empty-2', '', auth)).status).toBe(201);
    const res = await fetch(fileUrl(fx.node.url, 'e/empty-2'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});
