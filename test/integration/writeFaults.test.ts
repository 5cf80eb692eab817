// Writes under faults: a write that waits for a lock longer than the GC grace period keeps its content; a blob
// fan-out directory removed behind the node's back does not break writes into it; a small upload whose file a machine
// crash lost is restored from the blob journal at the next start; the original routes /read and
// /read_version serve content that lives on other nodes of a cluster. Real node processes, real Redis.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copies, startCluster, stopCluster, type ClusterNode } from '../helpers/cluster.js';
import { blobFile, download } from '../helpers/download.js';
import { metric } from '../helpers/metrics.js';
import { fileUrl, json, put, sha256 } from '../helpers/http.js';
import { spawnNode, type ChildNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';

const TOKEN = 'write-token-for-tests';
const auth = { Authorization: `Bearer ${TOKEN}` };
let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('garbage collection and writes waiting for a lock', () => {
  let node: ChildNode;
  beforeAll(async () => {
    node = await spawnNode(redis.url, { NODE_ID: 'gc-wait', WRITE_TOKEN: TOKEN, GC_GRACE_MS: '100', GC_INTERVAL_MS: '100' });
  });
  afterAll(async () => node?.stop());

  it('a PUT that waits on a lock longer than GC_GRACE_MS is committed with its content intact', async () => {
    const lock = await fetch(`${node.url}/locks/gc/waited`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: '{"ttlMs":60000}' });
    expect(lock.status).toBe(201);
    const { token } = await json<{ token: string }>(lock);
    const body = 'content uploaded, then kept waiting for the lock';
    const sha = sha256(body);
    const write = fetch(`${fileUrl(node.url, 'gc/waited')}?waitMs=30000`, { method: 'PUT', body, headers: auth });
    // the blob is on disk and older than the grace period, and several collections have run since
    await waitFor(async () => fs.access(blobFile(node.dataDir, sha)).then(() => true, () => false), 10_000, 'blob on disk');
    const runs = await metric(node.url, 'kubecdn_blob_gc_runs_total');
    const gone = (): Promise<boolean> => fs.access(blobFile(node.dataDir, sha)).then(() => false, () => true);
    const ranMore = async (): Promise<boolean> => (await metric(node.url, 'kubecdn_blob_gc_runs_total')) >= runs + 5;
    await waitFor(async () => (await gone()) || (await ranMore()), 20_000, 'five more GC runs (or the blob collected)');
    expect((await fetch(`${node.url}/locks/gc/waited`, { method: 'DELETE', headers: { ...auth, 'X-Lock-Token': token } })).status).toBe(204);
    const res = await write;
    expect([201, 200]).toContain(res.status);
    const d = await download(fileUrl(node.url, 'gc/waited'));
    expect([d.status, d.complete, d.body.toString()]).toEqual([200, true, body]);
    await fs.access(blobFile(node.dataDir, sha));
  });
});

describe('a blob fan-out directory removed behind the node', () => {
  let node: ChildNode;
  beforeAll(async () => {
    node = await spawnNode(redis.url, { NODE_ID: 'fanout', WRITE_TOKEN: TOKEN });
  });
  afterAll(async () => node?.stop());

  it('writes into it work again at once', async () => {
    const first = 'first file into this fan-out directory';
    expect((await put(node.url, 'fan/one', first, auth)).status).toBe(201);
    const sha = sha256(first);
    await fs.rm(path.join(node.dataDir, 'blobs', sha.slice(0, 2)), { recursive: true, force: true });
    // content whose blob goes into the very directory removed (blobs/ab/cd: ~65k tries)
    let other = '';
    for (let i = 0; sha256(other).slice(0, 4) !== sha.slice(0, 4); i++) other = `another file ${i}`;
    const res = await put(node.url, 'fan/two', other, auth);
    expect(res.status).toBe(201);
    const d = await download(fileUrl(node.url, 'fan/two'));
    expect([d.status, d.body.toString()]).toEqual([200, other]);
  });
});

// The blob journal on a real node process: small uploads are acknowledged once their journal record is durable (the
// files themselves are synced later, at a checkpoint). A machine crash can lose a file that was never fsynced; a
// node killed before its checkpoint and restarted on the same disk restores such a blob from the journal, so an
// acknowledged version still reads back with its bytes. kill -9 leaves the page cache intact, so the loss a power
// cut would cause is made by hand: the blob's file removed (or cut short) between the kill and the restart.
describe('the blob journal across a crash', () => {
  it('an acknowledged small upload whose file did not survive is restored at the next start', async () => {
    // no checkpoint during the test: the journal is all that holds the blob durably
    const env = { NODE_ID: 'journal', WRITE_TOKEN: TOKEN, BLOB_JOURNAL_CHECKPOINT_MS: '600000' };
    const node = await spawnNode(redis.url, env);
    const bodies = ['journaled content one', 'journaled content two', 'x'.repeat(60_000)];
    for (const [i, body] of bodies.entries()) expect((await put(node.url, `journal/${i}`, body, auth)).status).toBe(201);
    expect(await metric(node.url, 'kubecdn_blob_journal_records_total')).toBe(bodies.length);
    await node.stop('SIGKILL');
    for (const body of bodies.slice(0, 2)) await fs.rm(blobFile(node.dataDir, sha256(body)));
    await fs.truncate(blobFile(node.dataDir, sha256(bodies[2]!)), 100);
    const again = await spawnNode(redis.url, { ...env, DATA_DIR: node.dataDir });
    try {
      for (const [i, body] of bodies.entries()) {
        const d = await download(fileUrl(again.url, `journal/${i}`));
        expect([d.status, d.complete, d.body.toString() === body]).toEqual([200, true, true]);
      }
    } finally {
      await again.stop();
    }
  });

  it('a body over BLOB_JOURNAL_MAX_BYTES is fsynced as its own file, not journaled', async () => {
    const node = await spawnNode(redis.url, { NODE_ID: 'journal-max', WRITE_TOKEN: TOKEN, BLOB_JOURNAL_MAX_BYTES: '1024' });
    try {
      expect((await put(node.url, 'journal/large', 'y'.repeat(2048), auth)).status).toBe(201);
      expect((await put(node.url, 'journal/small', 'y'.repeat(1024), auth)).status).toBe(201);
      expect(await metric(node.url, 'kubecdn_blob_journal_records_total')).toBe(1);
    } finally {
      await node.stop();
    }
  });
});

describe('the original routes in a cluster', () => {
  let nodes: ClusterNode[];
  let own: TestRedis; // /read lists every file in Redis: only this cluster's
  beforeAll(async () => {
    own = await startRedis();
    nodes = await startCluster(own.url, 3, { REPLICATION_FACTOR: '1', CACHE_MAX_BYTES: '0' });
  });
  afterAll(async () => {
    await stopCluster(nodes);
    await own?.stop();
  });

  it('/read and /read_version answer from every node, with content fetched from its home', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 6; i++) files[`compat-${i}.txt`] = `compat content ${i}`;
    for (const [name, text] of Object.entries(files)) {
      const res = await fetch(`${nodes[0]!.url}/write`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ file_name: name, file_content: text }) });
      expect(res.status).toBe(200);
    }
    // with R=1 each file lives on one node only: every node lacks some of them
    for (const n of nodes) {
      let missing = 0;
      for (const text of Object.values(files)) if (!(await copies([n], sha256(text))).length) missing++;
      expect(missing).toBeGreaterThan(0);
    }
    for (const n of nodes) {
      const all = await fetch(`${n.url}/read`);
      expect(all.status).toBe(200);
      expect(await all.json()).toEqual(files);
      for (const [name, text] of Object.entries(files)) {
        const one = await fetch(`${n.url}/read_version?file_name=${name}&version=1`);
        expect(one.status).toBe(200);
        expect(((await one.json()) as { content: string }).content).toBe(text);
      }
    }
  });
});
