// Bad input is always a clear 4xx with a stable code, never a 500, and never changes stored data.
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { put, sha256 } from '../helpers/http.js';
import { startNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let node: Awaited<ReturnType<typeof startNode>>;
const TOKEN = 'bad-input-token';
const A = { Authorization: `Bearer ${TOKEN}` };
const J = { ...A, 'Content-Type': 'application/json' };

beforeAll(async () => {
  redis = await startRedis();
  // (a body up to 256 bytes, by its Content-Length, is kept in memory for the blob journal; a longer one goes to a file)
  node = await startNode(redis.url, { WRITE_TOKEN: TOKEN, MAX_UPLOAD_BYTES: '1000', JSON_BODY_MAX_BYTES: '2048', BLOB_JOURNAL_MAX_BYTES: '256' });
  await put(node.url, 'good.txt', 'good content', A);
});
afterAll(async () => {
  await node?.close();
  await redis?.stop();
});

interface Case {
  what: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  code: string;
}

const longName = 'n'.repeat(1025);
const cases: Case[] = [
  // names
  { what: 'dot-dot segment', method: 'PUT', path: '/files/a/../b', headers: A, body: 'x', status: 400, code: 'invalid_name' },
  { what: 'encoded traversal', method: 'PUT', path: '/files/..%2F..%2Fetc%2Fpasswd', headers: A, body: 'x', status: 400, code: 'invalid_name' },
  { what: 'dot segment', method: 'GET', path: '/files/a/./b', status: 400, code: 'invalid_name' },
  { what: 'empty segment', method: 'PUT', path: '/files/a//b', headers: A, body: 'x', status: 400, code: 'invalid_name' },
  { what: 'trailing slash', method: 'GET', path: '/files/dir/', status: 400, code: 'invalid_name' },
  { what: 'control char', method: 'PUT', path: '/files/a%01b', headers: A, body: 'x', status: 400, code: 'invalid_name' },
  { what: 'NUL', method: 'GET', path: '/files/a%00', status: 400, code: 'invalid_name' },
  { what: 'bad percent-encoding', method: 'GET', path: '/files/%E0%A4%A', status: 400, code: 'invalid_name' },
  { what: 'invalid UTF-8', method: 'GET', path: '/files/%FF%FE', status: 400, code: 'invalid_name' },
  { what: 'name too long', method: 'PUT', path: `/files/${longName}`, headers: A, body: 'x', status: 400, code: 'invalid_name' },
  { what: 'empty name', method: 'GET', path: '/files/', status: 400, code: 'invalid_name' },
  // versions
  { what: 'version zero', method: 'GET', path: '/files/good.txt?version=0', status: 400, code: 'invalid_version' },
  { what: 'version negative', method: 'GET', path: '/files/good.txt?version=-1', status: 400, code: 'invalid_version' },
  { what: 'version not a number', method: 'GET', path: '/files/good.txt?version=abc', status: 400, code: 'invalid_version' },
  { what: 'version fraction', method: 'GET', path: '/files/good.txt?version=1.5', status: 400, code: 'invalid_version' },
  { what: 'version huge', method: 'GET', path: '/files/good.txt?version=99999999999999999999', status: 400, code: 'invalid_version' },
  { what: 'version missing', method: 'GET', path: '/files/good.txt?version=7', status: 404, code: 'version_not_found' },
  { what: 'versions cursor bad', method: 'GET', path: '/files/good.txt/versions?cursor=x', status: 400, code: 'invalid_version' },
  { what: 'versions limit bad', method: 'GET', path: '/files/good.txt/versions?limit=0', status: 400, code: 'invalid_request' },
  { what: 'list limit too big', method: 'GET', path: '/files?limit=5000', status: 400, code: 'invalid_request' },
  { what: 'list prefix twice', method: 'GET', path: '/files?prefix=a&prefix=b', status: 400, code: 'invalid_request' },
  // bodies and JSON
  { what: 'revert non-JSON', method: 'POST', path: '/files/good.txt/revert', headers: J, body: '{nope', status: 400, code: 'invalid_json' },
  { what: 'revert no version', method: 'POST', path: '/files/good.txt/revert', headers: J, body: '{}', status: 400, code: 'invalid_request' },
  { what: 'revert version string', method: 'POST', path: '/files/good.txt/revert', headers: J, body: '{"version":"one"}', status: 400, code: 'invalid_version' },
  { what: 'revert body array', method: 'POST', path: '/files/good.txt/revert', headers: J, body: '[1]', status: 400, code: 'invalid_request' },
  { what: 'revert missing version', method: 'POST', path: '/files/good.txt/revert', headers: J, body: '{"version":9}', status: 404, code: 'version_not_found' },
  { what: 'revert unknown file', method: 'POST', path: '/files/nope.txt/revert', headers: J, body: '{"version":1}', status: 404, code: 'file_not_found' },
  { what: 'JSON too large', method: 'POST', path: '/write', headers: J, body: JSON.stringify({ file_name: 'x', file_content: 'y'.repeat(5000) }), status: 413, code: 'payload_too_large' },
  { what: 'compat write missing field', method: 'POST', path: '/write', headers: J, body: '{"file_name":"x"}', status: 400, code: 'invalid_request' },
  { what: 'compat write bad name', method: 'POST', path: '/write', headers: J, body: '{"file_name":"../x","file_content":"y"}', status: 400, code: 'invalid_name' },
  { what: 'compat write number content', method: 'POST', path: '/write', headers: J, body: '{"file_name":"x","file_content":5}', status: 400, code: 'invalid_request' },
  { what: 'compat add_file bad JSON', method: 'POST', path: '/add_file', headers: J, body: 'not json', status: 400, code: 'invalid_json' },
  { what: 'compat read_version no params', method: 'GET', path: '/read_version', status: 400, code: 'invalid_request' },
  { what: 'compat read_version bad version', method: 'GET', path: '/read_version?file_name=good.txt&version=x', status: 400, code: 'invalid_version' },
  { what: 'compat read_version missing', method: 'GET', path: '/read_version?file_name=good.txt&version=9', status: 404, code: 'version_not_found' },
  { what: 'compat get_file no param', method: 'GET', path: '/get_file', status: 400, code: 'invalid_request' },
  // headers
  { what: 'bad X-Content-SHA256', method: 'PUT', path: '/files/h1', headers: { ...A, 'X-Content-SHA256': 'xyz' }, body: 'x', status: 400, code: 'invalid_digest' },
  { what: 'declared body too large', method: 'PUT', path: '/files/big', headers: A, body: 'x'.repeat(1001), status: 413, code: 'payload_too_large' },
  { what: 'If-Match mismatch', method: 'PUT', path: '/files/good.txt', headers: { ...A, 'If-Match': '"abc"' }, body: 'z', status: 412, code: 'precondition_failed' },
  { what: 'Range past end', method: 'GET', path: '/files/good.txt', headers: { Range: 'bytes=100-' }, status: 416, code: 'invalid_range' },
  { what: 'malformed bearer', method: 'PUT', path: '/files/h2', headers: { Authorization: 'Basic abc' }, body: 'x', status: 401, code: 'unauthorized' },
  { what: 'Last-Event-ID garbage', method: 'GET', path: '/events', headers: { 'Last-Event-ID': 'garbage' }, status: 400, code: 'invalid_request' },
  // routes and digests
  { what: 'bad digest', method: 'GET', path: '/blobs/sha256/XYZ', status: 400, code: 'invalid_digest' },
  { what: 'unknown digest', method: 'GET', path: `/blobs/sha256/${'a'.repeat(64)}`, status: 404, code: 'blob_not_found' },
  { what: 'unknown route', method: 'GET', path: '/nope', status: 404, code: 'route_not_found' },
  { what: 'POST on a file', method: 'POST', path: '/files/good.txt', headers: A, body: 'x', status: 405, code: 'method_not_allowed' },
  { what: 'DELETE on versions', method: 'DELETE', path: '/files/good.txt/versions', headers: A, status: 405, code: 'method_not_allowed' },
];

describe('bad inputs', () => {
  it('has at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));

  it.each(cases)('$what -> $status $code, and the stored file is unchanged', async (c) => {
    // node:http sends the path exactly as written (fetch would normalize "a/../b" before sending).
    const res = await rawRequest(node.url, c.path, (req) => req.end(c.body), c.method, c.headers);
    expect(res.status).toBe(c.status);
    const body = JSON.parse(res.body) as { error?: { code?: string; message?: string } };
    expect(body.error?.code).toBe(c.code);
    expect(body.error?.message).toBeTruthy();
    const good = await fetch(`${node.url}/files/good.txt`);
    expect(await good.text()).toBe('good content');
    expect(good.headers.get('x-content-version')).toBe('1');
  });

  it.each([
    ['POST', '/files/good.txt', 'GET, HEAD, PUT, DELETE'],
    ['DELETE', '/files/good.txt/versions', 'GET'],
    ['GET', '/files/good.txt/revert', 'POST'],
    ['GET', '/locks/a/refresh', 'POST'],
    // routes at a fixed path too (schemathesis found them answering 404 route_not_found)
    ['POST', '/files', 'GET, HEAD'],
    ['PATCH', '/healthz', 'GET, HEAD'],
    ['DELETE', '/openapi.json', 'GET, HEAD'],
    ['GET', '/write', 'POST'],
    ['PUT', '/read_version', 'GET, HEAD'],
  ])('%s %s -> 405 naming the allowed methods (Allow: %s)', async (method, where, allow) => {
    const res = await fetch(`${node.url}${where}`, { method, headers: A });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(allow);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
  });

  it('PUT /files/ is the file of the empty name, not the listing', async () => {
    const res = await fetch(`${node.url}/files/`, { method: 'PUT', headers: A, body: 'x' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_name');
  });

  it('a chunked body over MAX_UPLOAD_BYTES is cut off with 413 and nothing stored', async () => {
    const { status, body } = await rawRequest(node.url, '/files/chunked.bin', (req) => {
      req.write(Buffer.alloc(600, 1));
      req.write(Buffer.alloc(600, 2));
      req.end();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body).error.code).toBe('payload_too_large');
    expect((await fetch(`${node.url}/files/chunked.bin`)).status).toBe(404);
    expect((await fetch(`${node.url}/blobs/sha256/${sha256(Buffer.alloc(600, 1))}`)).status).toBe(404);
  });

  it('a small body (kept in memory) cut short by the client stores nothing', async () => {
    const aborted = async (): Promise<number> => Number(/kubecdn_http_requests_total\{[^}]*method="PUT",status="499"[^}]*\} (\d+)/.exec(await (await fetch(`${node.url}/metrics`)).text())?.[1] ?? 0);
    const before = await aborted();
    const req = http.request(`${node.url}/files/short-small.bin`, { method: 'PUT', headers: { ...A, 'Content-Length': '200', Expect: '100-continue' } });
    req.on('error', () => undefined);
    // the node has the request (it asks for the body) when the client sends part of it and goes away ...
    await new Promise<void>((resolve) => req.on('continue', resolve));
    req.write(Buffer.alloc(50, 4));
    req.destroy();
    // ... and has given the upload up (answered, to nobody) before we look
    await waitFor(async () => (await aborted()) > before, 5000, 'the upload given up');
    expect((await fetch(`${node.url}/files/short-small.bin`)).status).toBe(404);
    expect((await fetch(`${node.url}/blobs/sha256/${sha256(Buffer.alloc(50, 4))}`)).status).toBe(404);
    expect(await fs.readdir(path.join(node.dataDir, 'tmp'))).toEqual([]);
  });

  it('a body cut short by the client stores nothing', async () => {
    const uploads = (): Promise<string[]> => fs.readdir(path.join(node.dataDir, 'tmp'));
    const req = http.request(`${node.url}/files/short.bin`, { method: 'PUT', headers: { ...A, 'Content-Length': '500' } });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(100, 3));
    // the node is receiving the body (its upload file exists) when the client goes away ...
    await waitFor(async () => (await uploads()).length === 1, 5000, 'the upload under way');
    req.destroy();
    // ... and has given the upload up (its file removed) before we look
    await waitFor(async () => (await uploads()).length === 0, 5000, 'the upload given up');
    expect((await fetch(`${node.url}/files/short.bin`)).status).toBe(404);
    expect((await fetch(`${node.url}/blobs/sha256/${sha256(Buffer.alloc(100, 3))}`)).status).toBe(404);
  });
});

function rawRequest(
  base: string,
  path: string,
  write: (req: http.ClientRequest) => void,
  method = 'PUT',
  headers: Record<string, string> = A,
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    write(req);
  });
}
