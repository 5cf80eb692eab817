// The lean write path on its own: a real node:http server whose only handler is createWritePath (no Express behind
// it), a real BlobStore in a temporary directory, and a writer that records what it was asked to commit. A plain PUT
// is answered here, whole (the integration test compares these answers with Express's; this one shows they come
// from the lean path); anything it declines finds no one.
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leanCors } from '../../node/src/http/cors.js';
import type { FilesRouteDeps } from '../../node/src/http/filesRoutes.js';
import { RequestObserver } from '../../node/src/http/observe.js';
import { createWritePath } from '../../node/src/http/writePath.js';
import { accessLog, createLogger } from '../../node/src/log.js';
import type { WriteOutcome } from '../../node/src/metadata/writer.js';
import { createMetrics } from '../../node/src/metrics.js';
import { BlobStore } from '../../node/src/storage/blobStore.js';
import { sha256 } from '../helpers/http.js';

const TOKEN = 'a-write-token';
let dir: string;
let server: http.Server;
let url: string;
const asked: Array<{ name: string; sha256: string; size: number }> = [];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubecdn-writepath-'));
  const blobs = new BlobStore(dir);
  await blobs.init();
  const metrics = createMetrics('w');
  const log = createLogger('silent', 'w');
  const writer: FilesRouteDeps['writer'] = {
    apply: async (name, intent, _lock, stored) => {
      await stored;
      if (intent.kind !== 'write') throw new Error('only writes here');
      asked.push({ name, sha256: intent.sha256, size: intent.size });
      const record = { version: asked.length, sha256: intent.sha256, size: intent.size, contentType: intent.contentType, createdAt: new Date().toISOString(), node: 'w', revertedFrom: null, deleted: false, deduplicated: false };
      return { kind: 'committed', record, event: 'file_added', eventId: '1-0' } satisfies WriteOutcome;
    },
  };
  const files: FilesRouteDeps = {
    writer,
    blobs,
    metrics,
    store: { state: () => Promise.reject(new Error('not asked without a precondition')), version: () => Promise.reject(new Error('unused')), versions: () => Promise.reject(new Error('unused')), list: () => Promise.reject(new Error('unused')) },
    writeToken: TOKEN,
    maxUploadBytes: 1024,
    jsonBodyMaxBytes: 1024,
    maxWaitMs: 1000,
  };
  const writePath = createWritePath({ files, observer: new RequestObserver(metrics, log, accessLog(log)), cors: leanCors(undefined), redisReady: () => true });
  server = http.createServer((req, res) => {
    if (!writePath(req, res)) res.writeHead(404, { 'X-Declined': '1' }).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await fs.rm(dir, { recursive: true, force: true });
});

const put = (p: string, body: string, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }): Promise<Response> => fetch(`${url}${p}`, { method: 'PUT', body, headers });

describe('the lean write path alone', () => {
  it('stores the body and answers 201 with the version, with no Express behind it', async () => {
    const res = await put('/files/docs/a%20b.txt', 'hello lean');
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/files/docs/a%20b.txt?version=1');
    expect(res.headers.get('etag')).toBe(`"${sha256('hello lean')}"`);
    expect(res.headers.get('x-request-id')).not.toBeNull();
    expect(await res.json()).toMatchObject({ name: 'docs/a b.txt', version: 1, sha256: sha256('hello lean'), size: 10, contentType: 'text/plain;charset=UTF-8', event: 'file_added' });
    expect(asked).toEqual([{ name: 'docs/a b.txt', sha256: sha256('hello lean'), size: 10 }]);
    expect(await fs.readFile(path.join(dir, 'blobs', sha256('hello lean').slice(0, 2), sha256('hello lean').slice(2, 4), sha256('hello lean')), 'utf8')).toBe('hello lean');
  });

  it('refuses in the catalogue, and stores nothing', async () => {
    const before = asked.length;
    expect((await put('/files/x', 'x', {})).status).toBe(401);
    expect((await put('/files/x', 'y'.repeat(2000))).status).toBe(413);
    const bad = await put('/files/%ZZ', 'x');
    expect([bad.status, ((await bad.json()) as { error: { code: string } }).error.code]).toEqual([400, 'invalid_name']);
    expect(asked.length).toBe(before);
  });

  it('declines what is not a plain PUT of a file (Express takes it in the node)', async () => {
    for (const [method, p] of [['PUT', '/files/x?waitMs=10'], ['PUT', '/files/x/versions'], ['POST', '/files/x'], ['DELETE', '/files/x']] as const) {
      const res = await fetch(`${url}${p}`, { method, body: method === 'DELETE' ? undefined : 'x', headers: { Authorization: `Bearer ${TOKEN}` } });
      expect([method, p, res.headers.get('x-declined')]).toEqual([method, p, '1']);
    }
  });
});
