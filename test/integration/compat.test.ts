// The original clients' routes, driven by a Python client written as the original ones were (test/fixtures).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, ROOT } from '../helpers/node.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let node: Awaited<ReturnType<typeof startNode>>;

beforeAll(async () => {
  redis = await startRedis();
  node = await startNode(redis.url, { READ_COMPAT_MAX_FILES: '3' });
});
afterAll(async () => {
  await node?.close();
  await redis?.stop();
});

interface Call {
  call: string;
  status: number;
  body: Record<string, unknown>;
}

describe('original client routes', () => {
  let calls: Record<string, Call> = {};

  beforeAll(async () => {
    // async: the node under test runs in this process, so a synchronous child would block it
    const { stdout: out } = await promisify(execFile)('python3', [path.join(ROOT, 'test/fixtures/original_client.py'), node.url], {
      encoding: 'utf8',
    });
    calls = Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Call)
        .map((c) => [c.call, c]),
    );
  });

  it('/write answers exactly as the original did', () => {
    expect(calls.write).toEqual({ call: 'write', status: 200, body: { message: 'File written successfully.' } });
    expect(calls.write_again?.body).toEqual({ message: 'File written successfully.' });
    for (const dup of ['write_same', 'write_duplicate']) {
      expect(calls[dup]?.status).toBe(400);
      expect(calls[dup]?.body.message).toBe('Duplicate file detected. Not written.');
    }
  });

  it('/read returns name -> latest text, bounded, with a header when cut', async () => {
    // the client ran /read when two files existed
    expect(calls.read).toEqual({ call: 'read', status: 200, body: { 'orig/notes.txt': 'second draft' } });
    // now there are three files + this one = four, over READ_COMPAT_MAX_FILES=3
    await fetch(`${node.url}/write`, { method: 'POST', body: JSON.stringify({ file_name: 'orig/z.txt', file_content: 'zzz' }) });
    const res = await fetch(`${node.url}/read`);
    expect(res.headers.get('x-kubecdn-truncated')).toBe('true');
    expect(Object.keys((await res.json()) as object)).toHaveLength(3);
  });

  it('/read_version gives version, content and timestamp, or the original 404', () => {
    expect(calls.read_version_1?.status).toBe(200);
    const b = calls.read_version_1!.body;
    expect(Object.keys(b).sort()).toEqual(['content', 'timestamp', 'version']);
    expect(b.version).toBe(1);
    expect(b.content).toBe('first draft');
    expect(Number.isNaN(Date.parse(String(b.timestamp)))).toBe(false);
    expect(calls.read_version_missing?.status).toBe(404);
    expect(calls.read_version_missing?.body.message).toBe('File version not found.');
  });

  it('/get_file and /add_file', async () => {
    expect(calls.get_file).toEqual({ call: 'get_file', status: 200, body: { status: 'success', path: '/files/orig/notes.txt' } });
    expect(calls.get_file_missing?.status).toBe(404);
    expect(calls.get_file_missing?.body).toMatchObject({ status: 'error' });
    expect(calls.add_file?.body).toEqual({ status: 'success' });
    expect(calls.add_file_content?.body).toEqual({ status: 'success' });
    expect((await fetch(`${node.url}/files/orig/empty.txt`)).status).toBe(200);
    expect(await (await fetch(`${node.url}/files/orig/added.txt`)).text()).toBe('added via add_file');
    // the path /get_file returns really serves the file
    expect(await (await fetch(`${node.url}${String(calls.get_file?.body.path)}`)).text()).toBe('second draft');
  });

  // found by schemathesis: the body parser's refusals left in the catalogue's shape alone, without the old fields
  it.each([
    ['/write', '"a string"', { message: 'The request body is not valid JSON.' }],
    ['/write', '{not json', { message: 'The request body is not valid JSON.' }],
    ['/add_file', 'null', { status: 'error', message: 'The request body is not valid JSON.' }],
  ])('POST %s with the body %s: a 400 in the original shape, beside the catalogue error', async (route, body, old) => {
    const res = await fetch(`${node.url}${route}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ ...old, error: { code: 'invalid_json', message: old.message } });
  });
});
