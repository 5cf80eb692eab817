// The write path overlaps the blob's link into the store (BlobStore.receive's `stored`) with its Redis round trips:
// the pending lease and the lock are taken while the blob is still being made durable. What must not move: no version
// references the blob before `stored` resolves, and a `stored` that fails commits nothing and frees the lock. A real
// Redis, the real Writer, MetadataStore and Redis lease lock; `stored` is a promise the test settles by hand.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLock } from '../../node/src/locks/localLock.js';
import { RedisLeaseLock } from '../../node/src/locks/redisLease.js';
import { keys } from '../../node/src/metadata/keys.js';
import { MetadataStore } from '../../node/src/metadata/store.js';
import { pendingLeaseDelayMs, Writer } from '../../node/src/metadata/writer.js';
import { createMetrics } from '../../node/src/metrics.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';
import { monitorWithRedisCli } from '../helpers/redisCli.js';

let redis: TestRedis;
let client: Redis;
let writer: Writer;
let lazy: Writer;
let store: MetadataStore;

function deferred(): { promise: Promise<void>; resolve(): void; reject(err: Error): void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const intentFor = (text: string) => {
  const sha256 = createHash('sha256').update(text).digest('hex');
  return { kind: 'write', sha256, size: text.length, contentType: 'text/plain' } as const;
};

beforeAll(async () => {
  redis = await startRedis();
  client = redis.client();
  const metrics = createMetrics('order');
  const local = new LocalLock(metrics);
  const lock = new RedisLeaseLock(client, local, { nodeId: 'order', writeTtlMs: 30_000, writeWaitMs: 5_000 }, metrics);
  store = new MetadataStore(client, 1000);
  writer = new Writer(store, lock, metrics, { policy: 'reject', nodeId: 'order', onCommitted: () => Promise.resolve() });
  lazy = new Writer(store, lock, metrics, { policy: 'reject', nodeId: 'order', onCommitted: () => Promise.resolve(), pendingAfterMs: 300 });
});

afterAll(async () => {
  await redis?.stop();
});

describe('the pending lease, taken late (pendingAfterMs: GC_GRACE_MS covers a blob until then)', () => {
  it('the grace period decides the delay: a quarter of it, at most one renewal interval, 0 when there is none', () => {
    expect(pendingLeaseDelayMs(3_600_000)).toBe(10_000);
    expect(pendingLeaseDelayMs(20_000)).toBe(5_000);
    expect(pendingLeaseDelayMs(0)).toBe(0);
  });

  it('a write that commits before the delay never takes it', async () => {
    const intent = intentFor('quick');
    expect((await lazy.apply('order/lazy-quick', intent, {}, Promise.resolve())).kind).toBe('committed');
    expect(await client.exists(keys.pending(intent.sha256))).toBe(0);
  });

  it('reads its state with the lease: a write is two commands to Redis, the lease (state read in it) and the commit', async () => {
    await lazy.apply('order/two', intentFor('warm-up: the scripts are loaded'), {}, Promise.resolve());
    const mon = await monitorWithRedisCli(redis.port);
    try {
      const intent = intentFor('two commands');
      expect((await lazy.apply('order/two', intent, {}, Promise.resolve())).kind).toBe('committed');
      await client.echo('the write is over');
      await waitFor(() => Promise.resolve(mon.commands().some((c) => c.name === 'echo')), 5_000, 'the marker');
      const seen = mon.commands();
      const sent = seen.slice(0, seen.findIndex((c) => c.name === 'echo')).filter((c) => c.source !== 'lua');
      expect(sent.map((c) => c.name)).toEqual(['evalsha', 'evalsha']);
      // the first is the lease, with the file's state and the content's owner read in the same script
      expect(sent[0]?.args.slice(1, 6)).toEqual(['4', keys.lock('order/two'), keys.fence('order/two'), keys.file('order/two'), keys.content(intent.sha256)]);
      const reads = seen.filter((c) => c.source === 'lua' && c.name === 'hmget').map((c) => c.args[0]);
      expect(reads.slice(0, 2)).toEqual([keys.file('order/two'), keys.content(intent.sha256)]);
      expect((await store.state('order/two')).count).toBe(2);
    } finally {
      mon.stop();
    }
  });

  it('a write still waiting after the delay takes it, and commits', async () => {
    const intent = intentFor('slow');
    const stored = deferred();
    const applied = lazy.apply('order/lazy-slow', intent, {}, stored.promise);
    await waitFor(async () => (await client.exists(keys.lock('order/lazy-slow'))) === 1, 5_000, 'the lock taken');
    expect(await client.exists(keys.pending(intent.sha256))).toBe(0);
    await waitFor(async () => (await client.exists(keys.pending(intent.sha256))) === 1, 5_000, 'the pending lease');
    stored.resolve();
    expect((await applied).kind).toBe('committed');
  });
});

describe('a write whose blob is still being stored', () => {
  it('takes the lease and the lock meanwhile, and commits only once the blob is stored', async () => {
    const intent = intentFor('overlapped');
    const stored = deferred();
    const applied = writer.apply('order/a', intent, {}, stored.promise);
    // the lock and the pending lease are taken while the blob is not yet in the store...
    await waitFor(async () => (await client.exists(keys.lock('order/a'))) === 1, 5_000, 'the lock taken');
    await waitFor(async () => (await client.exists(keys.pending(intent.sha256))) === 1, 5_000, 'the pending lease');
    // ...but nothing references it: the state read has happened (the lock is held), still no version
    expect((await store.state('order/a')).count).toBe(0);
    stored.resolve();
    const outcome = await applied;
    expect(outcome.kind).toBe('committed');
    expect((await store.state('order/a')).count).toBe(1);
    expect(await client.exists(keys.lock('order/a'))).toBe(0);
  });

  it('commits nothing and frees the lock when storing the blob fails', async () => {
    const stored = deferred();
    const applied = writer.apply('order/b', intentFor('failed to store'), {}, stored.promise);
    await waitFor(async () => (await client.exists(keys.lock('order/b'))) === 1, 5_000, 'the lock taken');
    stored.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC', syscall: 'link' }));
    await expect(applied).rejects.toThrow(/ENOSPC/);
    expect((await store.state('order/b')).count).toBe(0);
    await waitFor(async () => (await client.exists(keys.lock('order/b'))) === 0, 5_000, 'the lock released');
    // and the name is writable at once
    expect((await writer.apply('order/b', intentFor('stored this time'), {}, Promise.resolve())).kind).toBe('committed');
  });

  it('an answer that needs no blob (unchanged) still waits for the store to finish', async () => {
    await writer.apply('order/c', intentFor('same bytes'), {}, Promise.resolve());
    const stored = deferred();
    let answered = false;
    const applied = writer.apply('order/c', intentFor('same bytes'), {}, stored.promise).then((o) => {
      answered = true;
      return o;
    });
    // in this order: the second lease taken (fence 2), then gone (released: the decision is made)
    await waitFor(async () => (await client.get(keys.fence('order/c'))) === '2' && (await client.exists(keys.lock('order/c'))) === 0, 5_000, 'the second lease over');
    expect(answered).toBe(false);
    stored.resolve();
    expect((await applied).kind).toBe('unchanged');
  });
});
