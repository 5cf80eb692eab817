// The HTTP API against a real node and Redis: versions, revert, delete markers, ranges, conditionals, integrity,
// auth, listing, blobs, dedupe policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUrl, json, put, sha256 } from '../helpers/http.js';
import { startNode } from '../helpers/node.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let node: Awaited<ReturnType<typeof startNode>>;
let linkNode: Awaited<ReturnType<typeof startNode>>;
const TOKEN = 'test-write-token';
const auth = { Authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  redis = await startRedis();
  node = await startNode(redis.url, { WRITE_TOKEN: TOKEN, CACHE_CONTROL_LATEST: 'public, max-age=7' });
  linkNode = await startNode(redis.url, { WRITE_TOKEN: TOKEN, DEDUP_POLICY: 'link', NODE_ID: 'linker' });
});
afterAll(async () => {
  await node?.close();
  await linkNode?.close();
  await redis?.stop();
});

describe('versions, revert and delete markers', () => {
  it('keeps every version readable, newest first, with timestamps', async () => {
    for (const body of ['one', 'two', 'three']) expect((await put(node.url, 'v/doc.txt', body, auth)).status).toBe(201);
    const latest = await fetch(fileUrl(node.url, 'v/doc.txt'));
    expect(await latest.text()).toBe('three');
    expect(latest.headers.get('x-content-version')).toBe('3');
    expect(latest.headers.get('cache-control')).toBe('public, max-age=7');
    const v1 = await fetch(`${fileUrl(node.url, 'v/doc.txt')}?version=1`);
    expect(await v1.text()).toBe('one');
    expect(v1.headers.get('cache-control')).toContain('immutable');
    const hist = await json<{ count: number; versions: { version: number; createdAt: string }[]; nextCursor: string | null }>(
      await fetch(`${fileUrl(node.url, 'v/doc.txt')}/versions?limit=2`),
    );
    expect(hist.count).toBe(3);
    expect(hist.versions.map((v) => v.version)).toEqual([3, 2]);
    expect(Number.isNaN(Date.parse(hist.versions[0]!.createdAt))).toBe(false);
    expect(hist.nextCursor).toBe('2');
    const page2 = await json<{ versions: { version: number }[]; nextCursor: null }>(
      await fetch(`${fileUrl(node.url, 'v/doc.txt')}/versions?limit=2&cursor=2`),
    );
    expect(page2.versions.map((v) => v.version)).toEqual([1]);
    expect(page2.nextCursor).toBeNull();
  });

  it('revert makes a new version with the old content; history is never rewritten', async () => {
    const res = await fetch(`${fileUrl(node.url, 'v/doc.txt')}/revert`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ version: 1 }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ version: 4, revertedFrom: 1, sha256: sha256('one'), event: 'file_reverted' });
    expect(await (await fetch(fileUrl(node.url, 'v/doc.txt'))).text()).toBe('one');
    expect(await (await fetch(`${fileUrl(node.url, 'v/doc.txt')}?version=3`)).text()).toBe('three');
  });

  it('delete leaves a marker: latest is 404 file_deleted, old versions stay, revert restores', async () => {
    const del = await fetch(fileUrl(node.url, 'v/doc.txt'), { method: 'DELETE', headers: auth });
    expect(del.status).toBe(200);
    expect(await del.json()).toMatchObject({ version: 5, deleted: true });
    const gone = await fetch(fileUrl(node.url, 'v/doc.txt'));
    expect(gone.status).toBe(404);
    expect((await json<{ error: { code: string } }>(gone)).error.code).toBe('file_deleted');
    expect(await (await fetch(`${fileUrl(node.url, 'v/doc.txt')}?version=2`)).text()).toBe('two');
    const marker = await fetch(`${fileUrl(node.url, 'v/doc.txt')}?version=5`);
    expect(marker.status).toBe(404);
    const listing = await json<{ files: { name: string }[] }>(await fetch(`${node.url}/files?prefix=v/`));
    expect(listing.files.map((f) => f.name)).not.toContain('v/doc.txt');
    const again = await fetch(fileUrl(node.url, 'v/doc.txt'), { method: 'DELETE', headers: auth });
    expect(again.status).toBe(404);
    const restore = await fetch(`${fileUrl(node.url, 'v/doc.txt')}/revert`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ version: 2 }),
    });
    expect(restore.status).toBe(201);
    expect(await (await fetch(fileUrl(node.url, 'v/doc.txt'))).text()).toBe('two');
    const toMarker = await fetch(`${fileUrl(node.url, 'v/doc.txt')}/revert`, { method: 'POST', headers: auth, body: '{"version":5}' });
    expect(toMarker.status).toBe(409);
  });

  it('the same bytes as the head change nothing', async () => {
    const res = await put(node.url, 'v/doc.txt', 'two', auth);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ unchanged: true, version: 6 });
  });
});

describe('reads: ETag, Range, conditionals, content type', () => {
  const body = Buffer.from('0123456789abcdefghij');
  let etag = '';
  beforeAll(async () => {
    await put(node.url, 'r/data.json', body, { ...auth, 'Content-Type': 'application/json' });
    etag = `"${sha256(body)}"`;
  });

  it('serves strong ETag, Last-Modified, type, length, Accept-Ranges', async () => {
    const res = await fetch(fileUrl(node.url, 'r/data.json'));
    expect(res.headers.get('etag')).toBe(etag);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('content-length')).toBe('20');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('x-cache')).toBe('HIT');
    expect(Date.parse(res.headers.get('last-modified') ?? '')).not.toBeNaN();
    const head = await fetch(fileUrl(node.url, 'r/data.json'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('20');
    expect(await head.text()).toBe('');
  });

  it('Range gives 206 with the bytes asked for, 416 when unsatisfiable', async () => {
    const r = await fetch(fileUrl(node.url, 'r/data.json'), { headers: { Range: 'bytes=2-5' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('bytes 2-5/20');
    expect(await r.text()).toBe('2345');
    const suffix = await fetch(fileUrl(node.url, 'r/data.json'), { headers: { Range: 'bytes=-3' } });
    expect(await suffix.text()).toBe('hij');
    const bad = await fetch(fileUrl(node.url, 'r/data.json'), { headers: { Range: 'bytes=50-' } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe('bytes */20');
    const stale = await fetch(fileUrl(node.url, 'r/data.json'), { headers: { Range: 'bytes=0-1', 'If-Range': '"other"' } });
    expect(stale.status).toBe(200);
  });

  it('Range on a streamed (not hot-cached) blob', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 'xyz');
    big.write('MARK', 2_000_000);
    await put(node.url, 'r/big.bin', big, auth);
    const r = await fetch(fileUrl(node.url, 'r/big.bin'), { headers: { Range: 'bytes=2000000-2000003' } });
    expect(r.status).toBe(206);
    expect(await r.text()).toBe('MARK');
    const full = Buffer.from(await (await fetch(fileUrl(node.url, 'r/big.bin'))).arrayBuffer());
    expect(sha256(full)).toBe(sha256(big));
  });

  it('If-None-Match and If-Modified-Since give 304', async () => {
    const inm = await fetch(fileUrl(node.url, 'r/data.json'), { headers: { 'If-None-Match': etag } });
    expect(inm.status).toBe(304);
    expect(inm.headers.get('etag')).toBe(etag);
    const lm = (await fetch(fileUrl(node.url, 'r/data.json'))).headers.get('last-modified')!;
    expect((await fetch(fileUrl(node.url, 'r/data.json'), { headers: { 'If-Modified-Since': lm } })).status).toBe(304);
    const older = new Date(Date.parse(lm) - 60_000).toUTCString();
    expect((await fetch(fileUrl(node.url, 'r/data.json'), { headers: { 'If-Modified-Since': older } })).status).toBe(200);
    expect((await fetch(fileUrl(node.url, 'r/data.json'), { headers: { 'If-None-Match': '"nope"' } })).status).toBe(200);
  });

  it('blobs by digest are immutable', async () => {
    const res = await fetch(`${node.url}/blobs/sha256/${sha256(body)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    expect((await fetch(`${node.url}/blobs/sha256/${'0'.repeat(64)}`)).status).toBe(404);
  });

  it('a name ending in /versions is reachable with the slash encoded', async () => {
    const created = await fetch(`${node.url}/files/r%2Fversions`, { method: 'PUT', headers: auth, body: 'a file called versions' });
    expect(await created.json()).toMatchObject({ name: 'r/versions', version: 1 });
    // the literal suffix is the sub-resource: PUT there is not allowed
    expect((await put(node.url, 'r/versions', 'x', auth)).status).toBe(405);
    expect(await (await fetch(`${node.url}/files/r%2Fversions`)).text()).toBe('a file called versions');
    expect((await json<{ count: number }>(await fetch(`${node.url}/files/r%2Fversions/versions`))).count).toBe(1);
  });
});

describe('conditional writes and integrity', () => {
  it('If-None-Match: * creates only once', async () => {
    expect((await put(node.url, 'c/once.txt', 'first', { ...auth, 'If-None-Match': '*' })).status).toBe(201);
    const again = await put(node.url, 'c/once.txt', 'second', { ...auth, 'If-None-Match': '*' });
    expect(again.status).toBe(412);
    expect(await (await fetch(fileUrl(node.url, 'c/once.txt'))).text()).toBe('first');
  });

  it('If-Match guards against lost updates', async () => {
    const etag = `"${sha256('first')}"`;
    expect((await put(node.url, 'c/once.txt', 'edit-1', { ...auth, 'If-Match': etag })).status).toBe(201);
    expect((await put(node.url, 'c/once.txt', 'edit-2', { ...auth, 'If-Match': etag })).status).toBe(412);
    expect(await (await fetch(fileUrl(node.url, 'c/once.txt'))).text()).toBe('edit-1');
  });

  it('X-Content-SHA256 is verified; a mismatch stores nothing', async () => {
    const ok = await put(node.url, 'c/sum.txt', 'checked', { ...auth, 'X-Content-SHA256': sha256('checked') });
    expect(ok.status).toBe(201);
    const bad = await put(node.url, 'c/sum2.txt', 'tampered', { ...auth, 'X-Content-SHA256': sha256('original') });
    expect(bad.status).toBe(422);
    expect((await json<{ error: { code: string } }>(bad)).error.code).toBe('digest_mismatch');
    expect((await fetch(fileUrl(node.url, 'c/sum2.txt'))).status).toBe(404);
    expect((await fetch(`${node.url}/blobs/sha256/${sha256('tampered')}`)).status).toBe(404);
  });
});

describe('auth', () => {
  it('writes need the token; reads do not', async () => {
    const none = await put(node.url, 'a/x.txt', 'x');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await put(node.url, 'a/x.txt', 'x', { Authorization: 'Bearer wrong-token' })).status).toBe(403);
    expect((await fetch(fileUrl(node.url, 'a/x.txt'), { method: 'DELETE' })).status).toBe(401);
    for (const path of ['/write', '/add_file']) {
      expect((await fetch(`${node.url}${path}`, { method: 'POST', body: '{}' })).status).toBe(401);
    }
    expect((await fetch(`${node.url}/files/v/doc.txt/revert`, { method: 'POST', body: '{"version":1}' })).status).toBe(401);
    expect((await put(node.url, 'a/x.txt', 'x', auth)).status).toBe(201);
    expect((await fetch(fileUrl(node.url, 'a/x.txt'))).status).toBe(200);
  });
});

describe('listing', () => {
  it('pages through names in order with a cursor', async () => {
    for (let i = 0; i < 7; i++) await put(node.url, `list/item-${i}`, `item ${i}`, auth);
    await put(node.url, 'listing-other', 'not in the prefix', auth);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `${node.url}/files?prefix=list/&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await json<{ files: { name: string; version: number }[]; nextCursor: string | null }>(await fetch(q));
      expect(page.files.length).toBeLessThanOrEqual(3);
      seen.push(...page.files.map((f) => f.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `list/item-${i}`));
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
    expect((await put(node.url, 'e/empty-1', '', auth)).status).toBe(201);
    expect((await put(node.url, 'e/empty-2', '', auth)).status).toBe(201);
    const res = await fetch(fileUrl(node.url, 'e/empty-2'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});

describe('ops', () => {
  it('healthz, readyz and metrics answer', async () => {
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${node.url}/readyz`)).json()).toMatchObject({ status: 'ready', checks: { redis: true, dataDir: true } });
    const m = await (await fetch(`${node.url}/metrics`)).text();
    expect(m).toContain('kubecdn_http_requests_total');
    expect(m).toMatch(/kubecdn_versions_written_total\{kind="write",node="test-node"\} \d+/);
    expect(m).toMatch(/kubecdn_blob_store_blobs\{node="test-node"\} [1-9]/);
  });

  it('every response carries a request id', async () => {
    const res = await fetch(`${node.url}/healthz`, { headers: { 'X-Request-Id': 'trace-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
  });
});
