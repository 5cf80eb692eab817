// What the scale work relies on in the store, against a real Redis: the bench's direct seeding leaves exactly what
// the product's commit script leaves, and garbage collection's batched lookups (one pipeline per LOOKUP_BATCH blobs)
// still remove only what nothing references.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaleName } from '../../bench/scaleData.js';
import { SEED_NODE, seedRedis, versionsOf, writeBlob } from '../../bench/scaleSeed.js';
import { createLogger } from '../../node/src/log.js';
import { keys } from '../../node/src/metadata/keys.js';
import { MetadataStore } from '../../node/src/metadata/store.js';
import type { VersionRecord } from '../../node/src/metadata/types.js';
import { decide, type Intent } from '../../node/src/metadata/versionRules.js';
import { createMetrics } from '../../node/src/metrics.js';
import { BlobStore } from '../../node/src/storage/blobStore.js';
import { collectGarbage, LOOKUP_BATCH } from '../../node/src/storage/gc.js';
import { tempDir } from '../helpers/node.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** A BlobStore on a fresh temp dir, removed afterwards, and a MetadataStore on the emptied test Redis. */
async function withStores(f: (blobs: BlobStore, store: MetadataStore, dataDir: string) => Promise<void>): Promise<void> {
  const c = redis.client();
  await c.flushall();
  const dataDir = await tempDir();
  try {
    const blobs = new BlobStore(dataDir);
    await blobs.init();
    await f(blobs, new MetadataStore(c, 100), dataDir);
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

const gcDeps = (blobs: BlobStore, store: MetadataStore) => ({ blobs, store, metrics: createMetrics('gc-test'), log: createLogger('silent', 'gc-test') });

const at = (s: string): string => s.replace(/"createdAt":"[^"]+"/g, '"createdAt":"T"');

describe('scale seeding', () => {
  it('leaves the same hash, listing entry and content index as three commits through the script', async () => {
    const c = redis.client();
    await c.flushall();
    await seedRedis(redis.url, 3, 'salt');
    const name = scaleName(1, 3);
    const seeded = await c.hgetall(keys.file(name));
    const sha = (versionsOf(1, 3, 'salt', new Date())[0] as VersionRecord).sha256 as string;
    const seededContent = await c.hgetall(keys.content(sha));
    await c.flushall();
    // the product's path: decide, then the commit script
    const store = new MetadataStore(c, 100);
    const ctx = { policy: 'reject' as const, node: SEED_NODE, now: new Date() };
    let first: VersionRecord | undefined;
    for (const intent of [{ kind: 'write', sha256: sha, size: Number(seededContent.size), contentType: 'application/octet-stream' }, { kind: 'delete' }, { kind: 'revert', to: 1 }] as Intent[]) {
      const state = await store.state(name);
      const d = decide(state, undefined, intent.kind === 'revert' ? { ...intent, target: first } : intent, ctx);
      if (d.action !== 'commit') throw new Error(d.action);
      const r = await store.commit({ name, expectedCount: state.count, version: d.version, contentMode: d.contentMode, listed: d.listed, event: d.event, fence: 0, lockToken: undefined, endLease: false });
      if (!r.ok) throw new Error(JSON.stringify(r));
      first ??= r.record;
    }
    const committed = await c.hgetall(keys.file(name));
    expect(Object.keys(seeded).sort()).toEqual(Object.keys(committed).sort());
    for (const k of Object.keys(committed)) expect(at(seeded[k] as string)).toBe(at(committed[k] as string));
    expect(await c.zscore(keys.files, name)).toBe('0');
    expect(await c.hgetall(keys.content(sha))).toEqual(seededContent);
  });
});

describe('garbage collection in batches', () => {
  it('removes only unreferenced, unpending blobs across several lookup batches', async () => {
    await withStores(async (blobs, store, dataDir) => {
      const c = redis.client();
      const old = new Date(Date.now() - 60_000);
      const n = 2 * LOOKUP_BATCH + 100;
      const shas = Array.from({ length: n }, (_, i) => i.toString(16).padStart(64, '0'));
      for (const sha of shas) await writeBlob(dataDir, sha, Buffer.from('x'), old);
      // every third blob referenced by a version, every fifth (of the rest) pending
      const referenced = shas.filter((_, i) => i % 3 === 0);
      const pending = shas.filter((_, i) => i % 3 !== 0 && i % 5 === 0);
      for (const sha of referenced) await c.hset(keys.content(sha), 'name', 'x', 'version', '1', 'size', '1');
      for (const sha of pending) await c.set(keys.pending(sha), '1', 'PX', 60_000);
      const pass = await collectGarbage(gcDeps(blobs, store), 1000);
      expect(pass).toMatchObject({ blobs: n, looked: n, removed: n - referenced.length - pending.length });
      const left = new Set<string>();
      for await (const b of blobs.walk()) left.add(b.sha256);
      expect([...left].sort()).toEqual([...referenced, ...pending].sort());
    });
  });

  it('leaves blobs younger than the grace period without asking Redis', async () => {
    await withStores(async (blobs, store, dataDir) => {
      await writeBlob(dataDir, 'a'.repeat(64), Buffer.from('young'));
      const pass = await collectGarbage(gcDeps(blobs, store), 60_000);
      expect(pass).toMatchObject({ blobs: 1, looked: 0, removed: 0 });
      await fs.access(path.join(dataDir, 'blobs/aa/aa', 'a'.repeat(64)));
    });
  });
});
