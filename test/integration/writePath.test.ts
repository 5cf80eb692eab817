// The lean write path (node/src/http/writePath.ts) answers a plain PUT /files/{name} exactly as the Express route
// does. The same requests go both ways against one real node and Redis: without a query string they take the lean
// path, with one (`?via=express`, a parameter nothing reads) Express takes them; status, error code, the headers a
// client sees and the body's fields must agree, case by case: success, unchanged, auth, names, sizes, digests,
// preconditions, lock tokens, CORS.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leanPutName } from '../../node/src/http/writePath.js';
import { TOKEN, auth, nodeFixture } from '../helpers/nodeFixture.js';

const ORIGIN = 'https://app.example';
const fx = nodeFixture({ CORS_ORIGINS: ORIGIN, MAX_UPLOAD_BYTES: '4096' });
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

type Via = 'lean' | 'express';
// (Connection is not compared: Express answers a refusal at a different moment of the body's arrival than the lean
// path, so whether a small body had fully arrived — keep-alive — or not — close — differs by timing, not by rule;
// a body refused while it is still coming closes the connection on both: asserted below)
const SHOWN = ['content-type', 'x-content-type-options', 'www-authenticate', 'cache-control', 'access-control-allow-origin', 'vary', 'access-control-expose-headers', 'x-content-version'];

/** What a client sees of an answer, with what differs by nature (names, digests, times, ids) reduced to its shape. */
async function seen(res: Response, via: Via): Promise<Record<string, unknown>> {
  const headers = Object.fromEntries(SHOWN.map((h) => [h, res.headers.get(h)]));
  const body = (await res.json()) as Record<string, unknown> & { error?: { code: string } };
  const location = res.headers.get('location')?.replace(`-${via}`, '-X');
  return {
    status: res.status,
    headers,
    closes: res.headers.get('connection') === 'close',
    location,
    etag: res.headers.get('etag')?.length,
    requestId: res.headers.get('x-request-id') !== null,
    code: body.error?.code,
    fields: Object.keys(body).sort(),
    name: typeof body.name === 'string' ? body.name.replace(`-${via}`, '-X') : undefined,
  };
}

const putTo = (via: Via, name: string, body: RequestInit['body'], headers: Record<string, string> = {}, init: RequestInit = {}): Promise<Response> =>
  fetch(`${fx.node.url}/files/${name}${via === 'express' ? '?via=express' : ''}`, { method: 'PUT', body, headers, ...init });

/** Each case: the status it must get, and the request, given the path (which also keeps names and bodies apart). */
const CASES: Record<string, [number, (via: Via) => Promise<Response>]> = {
  created: [201, (v) => putTo(v, `wp/new-${v}`, `new ${v}`, { ...auth, 'Content-Type': 'text/plain' })],
  unchanged: [
    200,
    async (v) => {
      await putTo(v, `wp/same-${v}`, `same ${v}`, auth);
      return putTo(v, `wp/same-${v}`, `same ${v}`, auth);
    },
  ],
  'no token': [401, (v) => putTo(v, `wp/t-${v}`, 'x')],
  'wrong token': [403, (v) => putTo(v, `wp/t-${v}`, 'x', { Authorization: `Bearer not-${TOKEN}` })],
  'bad escape in the name': [400, (v) => putTo(v, `wp/%ZZ-${v}`, 'x', auth)],
  'empty name': [400, (v) => fetch(`${fx.node.url}/files/${v === 'express' ? '?via=express' : ''}`, { method: 'PUT', body: 'x', headers: auth })],
  'declared too large': [413, (v) => putTo(v, `wp/big-${v}`, 'b'.repeat(5000), auth)],
  'streamed too large': [
    413,
    (v) => {
      const chunks = [Buffer.alloc(3000, 1), Buffer.alloc(3000, 2)];
      const body = new ReadableStream({ pull: (c) => (chunks.length ? c.enqueue(chunks.shift()) : c.close()) });
      return putTo(v, `wp/stream-${v}`, body, auth, { duplex: 'half' });
    },
  ],
  'malformed X-Content-SHA256': [400, (v) => putTo(v, `wp/sum-${v}`, 'x', { ...auth, 'X-Content-SHA256': 'xyz' })],
  'digest mismatch': [422, (v) => putTo(v, `wp/sum-${v}`, `body ${v}`, { ...auth, 'X-Content-SHA256': sha('another body') })],
  'If-Match stale': [
    412,
    async (v) => {
      await putTo(v, `wp/m-${v}`, `m1 ${v}`, auth);
      return putTo(v, `wp/m-${v}`, `m2 ${v}`, { ...auth, 'If-Match': `"${sha('never')}"` });
    },
  ],
  'If-None-Match on an existing file': [
    412,
    async (v) => {
      await putTo(v, `wp/n-${v}`, `n1 ${v}`, auth);
      return putTo(v, `wp/n-${v}`, `n2 ${v}`, { ...auth, 'If-None-Match': '*' });
    },
  ],
  'lock token not held': [409, (v) => putTo(v, `wp/l2-${v}`, 'x', { ...auth, 'X-Lock-Token': 'a'.repeat(32) })],
  'from an allowed origin': [201, (v) => putTo(v, `wp/o-${v}`, `o ${v}`, { ...auth, Origin: ORIGIN })],
  'from another origin': [201, (v) => putTo(v, `wp/o2-${v}`, `o2 ${v}`, { ...auth, Origin: 'https://elsewhere.example' })],
};

describe('PUT /files/{name}: the lean path and Express answer alike', () => {
  it.each(Object.keys(CASES))('%s', async (label) => {
    const [status, run] = CASES[label]!;
    const lean = await seen(await run('lean'), 'lean');
    const express = await seen(await run('express'), 'express');
    expect(lean.status).toBe(status);
    expect({ ...lean, closes: undefined }).toEqual({ ...express, closes: undefined });
    if (label === 'declared too large') expect([lean.closes, express.closes]).toEqual([true, true]); // refused on its header: the body left unread
  });
});

describe('which requests the lean write path takes', () => {
  it('a plain PUT of a file, nothing else', () => {
    expect(leanPutName('PUT', '/files/a/b.txt')).toBe('a/b.txt');
    expect(leanPutName('PUT', '/files/a%2Fversions')).toBe('a%2Fversions'); // a file whose name ends in /versions
    expect(leanPutName('PUT', '/files/')).toBe(''); // the empty name: refused as invalid_name, as Express does
    for (const [method, url] of [
      ['GET', '/files/a'],
      ['DELETE', '/files/a'],
      ['POST', '/files/a'],
      ['PUT', '/files/a/versions'],
      ['PUT', '/files/a/revert'],
      ['PUT', '/files/a?waitMs=100'],
      ['PUT', '/files/a#b'],
      ['PUT', 'http://host/files/a'],
      ['PUT', '/FILES/a'],
      ['PUT', '/write'],
    ] as const) {
      expect(leanPutName(method, url)).toBeUndefined();
    }
  });
});
