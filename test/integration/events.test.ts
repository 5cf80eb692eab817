// Notifications: Pub/Sub for the original subscriber, a capped stream behind resumable /events, and recovery after
// a Redis restart without restarting the node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../node/src/metadata/keys.js';
import { put } from '../helpers/http.js';
import { startNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';
import { subscribeWithRedisCli } from '../helpers/redisCli.js';
import { readSse } from '../helpers/sse.js';

let redis: TestRedis;
let node: Awaited<ReturnType<typeof startNode>>;

beforeAll(async () => {
  redis = await startRedis();
  node = await startNode(redis.url, { SSE_HEARTBEAT_MS: '200' });
});
afterAll(async () => {
  await node?.close();
  await redis?.stop();
});

describe('notifications', () => {
  it('every kind of change is published with version, sha256, size, node and time', async () => {
    const sub = await subscribeWithRedisCli(redis.port, 'file_notifications');
    try {
      await put(node.url, 'ev/a.txt', 'v1');
      await put(node.url, 'ev/a.txt', 'v2');
      await fetch(`${node.url}/files/ev/a.txt/revert`, { method: 'POST', body: '{"version":1}' });
      await fetch(`${node.url}/files/ev/a.txt`, { method: 'DELETE' });
      await waitFor(() => sub.messages().length >= 4, 5000, 'four notifications');
      const msgs = sub.messages().map((m) => JSON.parse(m) as Record<string, unknown>);
      expect(msgs.map((m) => m.event)).toEqual(['file_added', 'file_updated', 'file_reverted', 'file_deleted']);
      expect(msgs.map((m) => m.version)).toEqual([1, 2, 3, 4]);
      for (const m of msgs) {
        expect(m).toMatchObject({ filename: 'ev/a.txt', node: 'test-node' });
        expect(typeof m.size).toBe('number');
        expect(Number.isNaN(Date.parse(String(m.time)))).toBe(false);
        expect(String(m.id)).toMatch(/^\d+-\d+$/);
      }
      expect(msgs[2]).toMatchObject({ revertedFrom: 1 });
    } finally {
      sub.stop();
    }
  });

  it('/events streams live and resumes with Last-Event-ID without missing anything', async () => {
    const first = await readSse(`${node.url}/events`);
    await put(node.url, 'ev/live-1', 'live one');
    await put(node.url, 'ev/live-2', 'live two');
    await waitFor(() => first.events.length >= 2, 5000, 'two live events');
    first.close();
    const lastSeen = first.events[1]!.id;
    // written while no one listens
    await put(node.url, 'ev/missed-3', 'missed three');
    await put(node.url, 'ev/missed-4', 'missed four');
    const resumed = await readSse(`${node.url}/events`, { 'Last-Event-ID': lastSeen });
    await put(node.url, 'ev/live-5', 'live five');
    await waitFor(() => resumed.events.length >= 3, 5000, 'replayed and live events');
    resumed.close();
    expect(resumed.events.map((e) => e.data.filename)).toEqual(['ev/missed-3', 'ev/missed-4', 'ev/live-5']);
    // ids only grow, and carry through to the data
    expect(resumed.events.every((e) => e.data.id === e.id)).toBe(true);
  });

  it('?from=0 replays the whole (capped) stream, oldest first', async () => {
    await put(node.url, 'ev/replay-1', 'replay one');
    await put(node.url, 'ev/replay-2', 'replay two');
    // whatever else is in the stream, the replay is all of it, in order, ending with this test's two events
    const ids = (await redis.client().xrange(keys.events, '-', '+')).map(([id]) => id);
    const all = await readSse(`${node.url}/events?from=0`);
    await waitFor(() => all.events.length >= ids.length, 5000, 'full replay');
    all.close();
    expect(all.events.map((e) => e.id)).toEqual(ids);
    expect(all.events.slice(-2).map((e) => e.data)).toMatchObject([
      { event: 'file_added', filename: 'ev/replay-1', version: 1 },
      { event: 'file_added', filename: 'ev/replay-2', version: 1 },
    ]);
  });
});

describe('Redis restart', () => {
  it('the node reconnects, resubscribes, serves correct heads and keeps /events going', async () => {
    await put(node.url, 'rr/file', 'before restart');
    expect(await (await fetch(`${node.url}/files/rr/file`)).text()).toBe('before restart'); // head now cached
    const sse = await readSse(`${node.url}/events`);
    await redis.kill();
    // while Redis is down: a clear 503, not a hang or a crash
    const down = await fetch(`${node.url}/readyz`);
    expect(down.status).toBe(503);
    await redis.start(); // an empty Redis: the data is gone (no persistence in this test), as after a wipe
    await waitFor(() => node.deps.subscriber.status === 'subscribed', 15_000, 'resubscribe');
    await waitFor(async () => (await fetch(`${node.url}/readyz`)).status === 200, 15_000, 'ready again');
    // the cached head must not survive the gap: Redis no longer knows the file
    expect((await fetch(`${node.url}/files/rr/file`)).status).toBe(404);
    const w = await put(node.url, 'rr/file', 'after restart');
    expect(w.status).toBe(201);
    expect(await (await fetch(`${node.url}/files/rr/file`)).text()).toBe('after restart');
    await waitFor(() => sse.events.some((e) => e.data.filename === 'rr/file'), 10_000, 'event after restart');
    sse.close();
  });
});
