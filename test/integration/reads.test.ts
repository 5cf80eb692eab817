// Reads against a real node and Redis: ETag, Range, conditionals, content type, blobs by digest, encoded names.
import { beforeAll, describe, expect, it } from 'vitest';
import { fileUrl, json, put, sha256 } from '../helpers/http.js';
import { auth, nodeFixture } from '../helpers/nodeFixture.js';

const fx = nodeFixture();

describe('reads: ETag, Range, conditionals, content type', () => {
  // one file every test here reads and none writes
  const body = Buffer.from('0123456789abcdefghij');
  const etag = `"${sha256(body)}"`;
  beforeAll(async () => {
    expect((await put(fx.node.url, 'r/data.json', body, { ...auth, 'Content-Type': 'application/json' })).status).toBe(201);
  });

  it('serves strong ETag, Last-Modified, type, length, Accept-Ranges', async () => {
    const res = await fetch(fileUrl(fx.node.url, 'r/data.json'));
    expect(res.headers.get('etag')).toBe(etag);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('content-length')).toBe('20');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('x-cache')).toBe('HIT');
    expect(Date.parse(res.headers.get('last-modified') ?? '')).not.toBeNaN();
    const head = await fetch(fileUrl(fx.node.url, 'r/data.json'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('20');
    expect(await head.text()).toBe('');
  });

  it('Range gives 206 with the bytes asked for, 416 when unsatisfiable', async () => {
    const r = await fetch(fileUrl(fx.node.url, 'r/data.json'), { headers: { Range: 'bytes=2-5' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('bytes 2-5/20');
    expect(await r.text()).toBe('2345');
    const suffix = await fetch(fileUrl(fx.node.url, 'r/data.json'), { headers: { Range: 'bytes=-3' } });
    expect(await suffix.text()).toBe('hij');
    const bad = await fetch(fileUrl(fx.node.url, 'r/data.json'), { headers: { Range: 'bytes=50-' } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe('bytes */20');
    const stale = await fetch(fileUrl(fx.node.url, 'r/data.json'), { headers: { Range: 'bytes=0-1', 'If-Range': '"other"' } });
    expect(stale.status).toBe(200);
  });

  it('If-None-Match and If-Modified-Since give 304', async () => {
    const inm = await fetch(fileUrl(fx.node.url, 'r/data.json'), { headers: { 'If-None-Match': etag } });
    expect(inm.status).toBe(304);
    expect(inm.headers.get('etag')).toBe(etag);
    const lm = (await fetch(fileUrl(fx.node.url, 'r/data.json'))).headers.get('last-modified')!;
    expect((await fetch(fileUrl(fx.node.url, 'r/data.json'), { headers: { 'If-Modified-Since': lm } })).status).toBe(304);
    const older = new Date(Date.parse(lm) - 60_000).toUTCString();
    expect((await fetch(fileUrl(fx.node.url, 'r/data.json'), { headers: { 'If-Modified-Since': older } })).status).toBe(200);
    expect((await fetch(fileUrl(fx.node.url, 'r/data.json'), { headers: { 'If-None-Match': '"nope"' } })).status).toBe(200);
  });

  it('blobs by digest are immutable', async () => {
    const res = await fetch(`${fx.node.url}/blobs/sha256/${sha256(body)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    expect((await fetch(`${fx.node.url}/blobs/sha256/${'0'.repeat(64)}`)).status).toBe(404);
  });
});

describe('reads of other files', () => {
  it('Range on a streamed (not hot-cached) blob', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 'xyz');
    big.write('MARK', 2_000_000);
    expect((await put(fx.node.url, 'r/big.bin', big, auth)).status).toBe(201);
    const r = await fetch(fileUrl(fx.node.url, 'r/big.bin'), { headers: { Range: 'bytes=2000000-2000003' } });
    expect(r.status).toBe(206);
    expect(await r.text()).toBe('MARK');
    const full = Buffer.from(await (await fetch(fileUrl(fx.node.url, 'r/big.bin'))).arrayBuffer());
    expect(sha256(full)).toBe(sha256(big));
  });

  it('a name ending in /versions is reachable with the slash encoded', async () => {
    const created = await fetch(`${fx.node.url}/files/r%2Fversions`, { method: 'PUT', headers: auth, body: 'a file called versions' });
    expect(await created.json()).toMatchObject({ name: 'r/versions', version: 1 });
    // the literal suffix is the sub-resource: PUT there is not allowed
    expect((await put(fx.node.url, 'r/versions', 'x', auth)).status).toBe(405);
    expect(await (await fetch(`${fx.node.url}/files/r%2Fversions`)).text()).toBe('a file called versions');
    expect((await json<{ count: number }>(await fetch(`${fx.node.url}/files/r%2Fversions/versions`))).count).toBe(1);
  });
});
