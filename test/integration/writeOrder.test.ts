// The write path overlaps the blob's link into the store (BlobStore.receive's `stored`) with what it can: the pending
// lease is taken while the blob is still being made durable. What must not move: no version references the blob
// before `stored` resolves, and a `stored` that fails commits nothing and leaves no lock behind. An uncontended write
// takes its lease and commits in one Redis step (FAST_COMMIT_LUA), decided on a guess of the state the script checks.
// A real Redis, the real Writer, MetadataStore and Redis lease lock; `stored` is a promise the test settles by hand.
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
let lock: RedisLeaseLock;

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
  lock = new RedisLeaseLock(client, local, { nodeId: 'order', writeTtlMs: 30_000, writeWaitMs: 5_000 }, metrics);
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

  it('an uncontended write is one command to Redis: the lease and the commit in one step', async () => {
    await lazy.apply('order/one', intentFor('warm-up: the scripts are loaded'), {}, Promise.resolve());
    const mon = await monitorWithRedisCli(redis.port);
    try {
      // a new name, then an overwrite of the version this writer committed last: each one command
      for (const [name, text] of [['order/one-new', 'a new name'], ['order/one', 'an overwrite']] as const) {
        const intent = intentFor(text);
        const outcome = await lazy.apply(name, intent, {}, Promise.resolve());
        expect(outcome.kind === 'committed' && outcome.record.sha256).toBe(intent.sha256);
        await client.echo(`after ${name}`);
        await waitFor(() => Promise.resolve(mon.commands().some((c) => c.name === 'echo' && c.args[0] === `after ${name}`)), 5_000, 'the marker');
        const seen = mon.commands();
        const end = seen.findIndex((c) => c.name === 'echo' && c.args[0] === `after ${name}`);
        const start = seen.findIndex((c, i) => i < end && c.name === 'echo') + 1; // after the previous marker, if any
        expect(seen.slice(start, end).filter((c) => c.source !== 'lua').map((c) => c.name)).toEqual(['evalsha']);
      }
      expect((await store.state('order/one')).count).toBe(2);
      expect((await store.state('order/one-new')).count).toBe(1);
      expect(await client.exists(keys.lock('order/one'))).toBe(0);
    } finally {
      mon.stop();
    }
  });

  it('a wrong guess costs no extra command: the same step takes the lease and reads the state, then the commit', async () => {
    await writer.apply('order/two', intentFor('version 1, by another writer'), {}, Promise.resolve());
    const mon = await monitorWithRedisCli(redis.port);
    try {
      // `lazy` never wrote order/two: it guesses no file, and the file has a version
      const intent = intentFor('two commands');
      const outcome = await lazy.apply('order/two', intent, {}, Promise.resolve());
      expect(outcome.kind === 'committed' && outcome.record.version).toBe(2);
      await client.echo('the write is over');
      await waitFor(() => Promise.resolve(mon.commands().some((c) => c.name === 'echo')), 5_000, 'the marker');
      const seen = mon.commands();
      const sent = seen.slice(0, seen.findIndex((c) => c.name === 'echo')).filter((c) => c.source !== 'lua');
      // (the commit script's first use on this connection may go as EVAL)
      expect(sent.map((c) => c.name.replace(/^eval$/, 'evalsha'))).toEqual(['evalsha', 'evalsha']);
      // the first is the one-step commit (6 keys) that took the lease instead, with the file's state and the content's owner read in it
      expect(sent[0]?.args.slice(1, 8)).toEqual(['6', keys.file('order/two'), keys.files, keys.content(intent.sha256), keys.events, keys.lock('order/two'), keys.fence('order/two')]);
      const reads = seen.filter((c) => c.source === 'lua' && c.name === 'hmget').map((c) => c.args[0]);
      expect(reads.slice(0, 2)).toEqual([keys.file('order/two'), keys.content(intent.sha256)]);
      expect((await store.state('order/two')).count).toBe(2);
      expect(await client.exists(keys.lock('order/two'))).toBe(0);
    } finally {
      mon.stop();
    }
  });

  it('never commits under a lease someone holds: a lock-API holder gets the write a 423', async () => {
    const api = await lock.tryAcquire('order/held', 10_000, 'someone', 'api');
    expect('token' in api).toBe(true);
    await expect(writer.apply('order/held', intentFor('while held'), {}, Promise.resolve())).rejects.toMatchObject({ code: 'locked' });
    expect((await store.state('order/held')).count).toBe(0);
  });

  it('content already stored elsewhere is found by the same step (the guess was: unknown): refused under reject', async () => {
    await writer.apply('order/first-owner', intentFor('the same bytes twice'), {}, Promise.resolve());
    await expect(writer.apply('order/second-name', intentFor('the same bytes twice'), {}, Promise.resolve())).rejects.toMatchObject({ code: 'duplicate_content' });
    expect((await store.state('order/second-name')).count).toBe(0);
    await waitFor(async () => (await client.exists(keys.lock('order/second-name'))) === 0, 5_000, 'the lease released');
  });

  it('the one-step commit sent again (its reply lost) answers what it answered, and commits nothing more', async () => {
    const intent = intentFor('sent twice');
    const req = {
      name: 'order/again',
      expectedCount: 0,
      version: { sha256: intent.sha256, size: intent.size, contentType: 'text/plain', createdAt: new Date().toISOString(), node: 'order', revertedFrom: null, deleted: false, deduplicated: false },
      contentMode: 'claim',
      listed: true,
      event: 'file_added',
    } as const;
    const lease = { token: 'a'.repeat(32), ttlMs: 10_000, holder: 'write:order', contentUnknown: true };
    const first = await store.commitUnleased(req, lease);
    const second = await store.commitUnleased(req, lease);
    expect(first.kind === 'commit' && first.result.ok && first.result.record.version).toBe(1);
    expect(second).toEqual(first);
    expect((await store.state('order/again')).count).toBe(1);
    expect(await client.exists(keys.lock('order/again'))).toBe(0);
  });

  it('a write still waiting after the delay takes it, and commits', async () => {
    const intent = intentFor('slow');
    const stored = deferred();
    const applied = lazy.apply('order/lazy-slow', intent, {}, stored.promise);
    expect(await client.exists(keys.pending(intent.sha256))).toBe(0);
    await waitFor(async () => (await client.exists(keys.pending(intent.sha256))) === 1, 5_000, 'the pending lease');
    stored.resolve();
    expect((await applied).kind).toBe('committed');
  });
});

describe('a write whose blob is still being stored', () => {
  it('takes the pending lease meanwhile, and sends the commit only once the blob is stored', async () => {
    const intent = intentFor('overlapped');
    const stored = deferred();
    const mon = await monitorWithRedisCli(redis.port);
    try {
      const applied = writer.apply('order/a', intent, {}, stored.promise);
      // the pending lease is taken while the blob is not yet in the store...
      await waitFor(async () => (await client.exists(keys.pending(intent.sha256))) === 1, 5_000, 'the pending lease');
      // ...but nothing references it: no commit was sent, no version
      expect(mon.commands().some((c) => c.name === 'evalsha' && c.args.includes(keys.file('order/a')))).toBe(false);
      expect((await store.state('order/a')).count).toBe(0);
      stored.resolve();
      const outcome = await applied;
      expect(outcome.kind).toBe('committed');
      expect((await store.state('order/a')).count).toBe(1);
      expect(await client.exists(keys.lock('order/a'))).toBe(0);
    } finally {
      mon.stop();
    }
  });

  it('commits nothing and leaves no lock when storing the blob fails', async () => {
    const intent = intentFor('failed to store');
    const stored = deferred();
    const applied = writer.apply('order/b', intent, {}, stored.promise);
    await waitFor(async () => (await client.exists(keys.pending(intent.sha256))) === 1, 5_000, 'the pending lease');
    stored.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC', syscall: 'link' }));
    await expect(applied).rejects.toThrow(/ENOSPC/);
    expect((await store.state('order/b')).count).toBe(0);
    expect(await client.exists(keys.lock('order/b'))).toBe(0);
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
