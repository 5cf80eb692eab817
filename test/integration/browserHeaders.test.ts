// The headers browsers act on, over real HTTP against a real node and Redis: X-Content-Type-Options on every answer
// of both paths (the lean read path and Express, errors and parser errors too), CORS the same on both, preflights,
// Retry-After on 423 and 503, and Content-Disposition on ?download=1. The browser itself: browser.test.ts.
import net from 'node:net';
import { parse as parseDisposition } from 'content-disposition';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUrl, json, put, sha256 } from '../helpers/http.js';
import { auth, nodeFixture } from '../helpers/nodeFixture.js';
import { waitFor } from '../helpers/redis.js';

const PAGE = 'http://page.test:3000';
const fx = nodeFixture({ CORS_ORIGINS: `${PAGE},https://other.test` });
const BODY = 'hello, browser';

/** The CORS part of a response (Access-Control-* and Vary). */
const corsPart = (res: Response): Record<string, string> =>
  Object.fromEntries([...res.headers].filter(([k]) => k.startsWith('access-control-') || k === 'vary'));

/** Bytes written straight on a socket (what Node's parser refuses never becomes a request); the raw answer. */
async function rawExchange(port: number, bytes: string): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (b: Buffer) => (answer += b.toString()));
  socket.write(bytes);
  await new Promise((r) => socket.once('close', r));
  return answer;
}

describe('browser-facing headers', () => {
  let v1 = '';
  beforeAll(async () => {
    expect((await put(fx.node.url, 'b/hello.txt', BODY, auth)).status).toBe(201);
    v1 = `/blobs/sha256/${sha256(BODY)}`;
    // a second read is answered from memory (the hot hit): that path must carry the headers too
    await (await fetch(fileUrl(fx.node.url, 'b/hello.txt'))).arrayBuffer();
  });

  it('X-Content-Type-Options: nosniff on every answer: lean path, hot hit, 304, Express, errors, SSE, parser errors', async () => {
    const u = fx.node.url;
    const etag = `"${sha256(BODY)}"`;
    const answers: [string, Promise<Response>][] = [
      ['hot hit', fetch(fileUrl(u, 'b/hello.txt'))],
      ['hot 304', fetch(fileUrl(u, 'b/hello.txt'), { headers: { 'If-None-Match': etag } })],
      ['version', fetch(`${fileUrl(u, 'b/hello.txt')}?version=1`)],
      ['range', fetch(fileUrl(u, 'b/hello.txt'), { headers: { Range: 'bytes=0-3' } })],
      ['blob', fetch(`${u}${v1}`)],
      ['lean 404', fetch(fileUrl(u, 'b/missing'))],
      ['lean 400', fetch(`${fileUrl(u, 'b/hello.txt')}?version=x`)],
      ['listing', fetch(`${u}/files`)],
      ['express 404', fetch(`${u}/nowhere`)],
      ['express 401', put(u, 'b/x', 'x')],
      ['express 405', fetch(fileUrl(u, 'b/hello.txt'), { method: 'POST' })],
      ['healthz', fetch(`${u}/healthz`)],
    ];
    for (const [what, pending] of answers) {
      const res = await pending;
      await res.arrayBuffer();
      expect([what, res.headers.get('x-content-type-options')]).toEqual([what, 'nosniff']);
    }
    const ctrl = new AbortController();
    const sse = await fetch(`${u}/events`, { signal: ctrl.signal });
    expect(sse.headers.get('x-content-type-options')).toBe('nosniff');
    ctrl.abort();
    const raw = await rawExchange(Number(new URL(u).port), 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1.1 400 /);
    expect(raw).toMatch(/\r\nX-Content-Type-Options: nosniff\r\n/i);
  });

  it.each([PAGE, 'http://evil.test', undefined])('CORS for Origin %s is the same on the lean path and on Express', async (origin) => {
    const headers: Record<string, string> = origin === undefined ? {} : { Origin: origin };
    const u = fx.node.url;
    const [hot, slow, missing, listing, notFound] = await Promise.all([
      fetch(fileUrl(u, 'b/hello.txt'), { headers }),
      fetch(`${fileUrl(u, 'b/hello.txt')}?version=1`, { headers }),
      fetch(fileUrl(u, 'b/missing'), { headers }),
      fetch(`${u}/files`, { headers }),
      fetch(`${u}/nowhere`, { headers }),
    ]);
    const want = corsPart(listing);
    expect(want.vary).toBe('Origin');
    expect(want['access-control-allow-origin']).toBe(origin === PAGE ? PAGE : undefined);
    if (origin === PAGE) expect(want['access-control-expose-headers']).toMatch(/ETag.*Content-Range.*X-Content-Version/);
    for (const res of [hot, slow, missing, notFound]) expect(corsPart(res)).toEqual(want);
    expect(hot.headers.get('x-cache')).toBe('HIT');
  });

  it.each(['/files/b/hello.txt', '/files', '/events', '/locks/b/hello.txt', '/files/b/hello.txt/revert'])(
    'a preflight to %s: 204 with methods, headers and max-age for the page; no CORS header for another origin',
    async (path) => {
      const ask = { 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'authorization, x-lock-token' };
      const ok = await fetch(`${fx.node.url}${path}`, { method: 'OPTIONS', headers: { Origin: PAGE, ...ask } });
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe(PAGE);
      expect(ok.headers.get('access-control-allow-methods')).toMatch(/PUT/);
      expect(ok.headers.get('access-control-allow-headers')).toMatch(/Authorization.*X-Lock-Token/);
      expect(ok.headers.get('access-control-max-age')).toBe('600');
      expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
      const denied = await fetch(`${fx.node.url}${path}`, { method: 'OPTIONS', headers: { Origin: 'http://evil.test', ...ask } });
      await denied.arrayBuffer();
      expect(denied.status).not.toBe(204);
      expect(Object.keys(corsPart(denied))).toEqual(['vary']);
    },
  );

  it('?download=1 answers Content-Disposition: attachment with the last segment, non-ASCII per RFC 8187', async () => {
    const name = 'b/dir/naïve résumé €.txt';
    expect((await put(fx.node.url, name, 'cv', auth)).status).toBe(201);
    const url = fileUrl(fx.node.url, name);
    const inline = await fetch(url);
    expect([inline.status, inline.headers.get('content-disposition')]).toEqual([200, null]);
    for (const [query, method] of [['?download=1', 'GET'], ['?version=1&download=1', 'GET'], ['?download=1', 'HEAD']]) {
      const res = await fetch(`${url}${query}`, { method });
      expect(res.status).toBe(200);
      const header = res.headers.get('content-disposition') ?? '';
      expect(header).toBe(`attachment; filename="na?ve r?sum? ?.txt"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9%20%E2%82%AC.txt`);
      expect(parseDisposition(header)).toEqual({ type: 'attachment', parameters: { filename: 'naïve résumé €.txt' } });
      if (method === 'GET') expect(await res.text()).toBe('cv');
    }
  });

  it.each(['download=0', 'download=', 'download=yes', 'download=1&download=1'])('?%s is 400 invalid_request', async (query) => {
    const res = await fetch(`${fileUrl(fx.node.url, 'b/hello.txt')}?${query}`);
    expect(res.status).toBe(400);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('invalid_request');
  });

  it('423 says when to retry: the seconds left on the lease that holds the name', async () => {
    const take = (): Promise<Response> =>
      fetch(`${fx.node.url}/locks/b/locked.txt`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: '{"ttlMs":20000}' });
    expect((await take()).status).toBe(201);
    for (const res of [await put(fx.node.url, 'b/locked.txt', 'x', auth), await take()]) {
      expect(res.status).toBe(423);
      const body = await json<{ error: { expiresAt: string } }>(res);
      const left = Math.ceil((Date.parse(body.error.expiresAt) - Date.now()) / 1000);
      const retry = Number(res.headers.get('retry-after'));
      expect(retry).toBeGreaterThanOrEqual(left);
      expect(retry).toBeLessThanOrEqual(20);
      expect(retry).toBeGreaterThan(1); // the lease's end, not the default second
    }
  });
});

describe('with Redis down', () => {
  afterAll(async () => {
    await fx.redis.start();
    await waitFor(async () => (await fetch(`${fx.node.url}/readyz`)).status === 200, 20_000, 'the node to be ready again');
  });

  it('503 unavailable with Retry-After: 3, on Express and on the lean path, with CORS and nosniff', async () => {
    await fx.redis.kill();
    const headers = { Origin: PAGE };
    await waitFor(async () => (await fetch(`${fx.node.url}/files`, { headers })).status === 503, 10_000, 'a 503');
    for (const url of [`${fx.node.url}/files`, fileUrl(fx.node.url, 'never/cached.txt')]) {
      const res = await fetch(url, { headers });
      expect(res.status).toBe(503);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('unavailable');
      expect(res.headers.get('retry-after')).toBe('3');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('access-control-allow-origin')).toBe(PAGE);
    }
  });
});
