// /events needs no token, so what an idle subscriber costs the node is bounded: per client and in total. Checked
// from outside against the real program (its RSS in /proc), and in-process with small limits for the three drop
// rules (replay stall deadline, per-client cap, total budget). Resume semantics stay as they were.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventHub, type SseLimits } from '../../node/src/events/hub.js';
import { Subscriber } from '../../node/src/events/subscriber.js';
import { createLogger } from '../../node/src/log.js';
import { keys, NOTIFICATION_CHANNEL } from '../../node/src/metadata/keys.js';
import { createMetrics, type Metrics } from '../../node/src/metrics.js';
import { metric, sampleValue } from '../helpers/metrics.js';
import { spawnNode, type ChildNode } from '../helpers/node.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';
import { readSse } from '../helpers/sse.js';

const EVENTS = 10_000;
const IDLE_CLIENTS = 50;
const KB = 1024;
const MB = 1024 * KB;
// A loopback socket whose reader never reads still takes ~4 MB into kernel buffers (tcp_wmem max 4 MiB), out of the
// node's reach and RSS; the in-process tests write past that with ~1.1 KB events (names near the 1024 limit).
const BIG_NAME = `big/${'x'.repeat(1000)}`;

/** An event in the shape the node's commit script writes (metadata/store.ts, scripts.ts). */
function eventJson(i: number, dir = 'mem'): string {
  return JSON.stringify({
    event: 'file_added',
    filename: `${dir}/file-${String(i).padStart(5, '0')}.txt`,
    sha256: i.toString(16).padStart(64, '0'),
    size: 1000 + i,
    node: 'child',
    time: new Date(1_700_000_000_000 + i).toISOString(),
    version: 1,
  });
}

async function fillStream(c: Redis, n: number, dir?: string): Promise<string[]> {
  const p = c.pipeline();
  for (let i = 0; i < n; i++) p.xadd(keys.events, '*', 'data', eventJson(i, dir));
  return ((await p.exec()) ?? []).map(([, id]) => id as string);
}

// XADD and PUBLISH together, as the commit script does, so the published event carries its stream id.
const PUBLISH_LUA = `local id = redis.call('XADD', KEYS[1], '*', 'data', ARGV[1])
redis.call('PUBLISH', ARGV[2], string.sub(ARGV[1], 1, -2) .. ',"id":"' .. id .. '"}')
return id`;

async function publishLive(c: Redis, n: number): Promise<void> {
  const p = c.pipeline();
  for (let i = 0; i < n; i++) p.eval(PUBLISH_LUA, 1, keys.events, eventJson(i, BIG_NAME), NOTIFICATION_CHANNEL);
  await p.exec();
}

/** A subscriber that sends its request and never reads a byte of the answer. */
async function idleSubscriber(url: string, query: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  const s = net.connect(Number(port), hostname);
  s.on('error', () => undefined);
  await new Promise<void>((resolve) => s.once('connect', resolve));
  s.write(`GET /events${query} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
  s.pause();
  return s;
}

function procKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

/** Bytes the process has passed to write(2), sockets included. */
function wchar(pid: number): number {
  return Number(/^wchar: (\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
}

/**
 * What the node holds after a full garbage collection: V8 heap in use plus external memory (Buffers). A heap snapshot
 * (SIGUSR2, --heapsnapshot-signal) collects first; /metrics answers once it is written (same thread). RSS alone
 * cannot tell: Node 24's V8 lets garbage pile up far longer than Node 20's before a major GC (here +200 MB of RSS
 * that a snapshot's GC brings back to +0-10 MB of heap), while on Node 20 RSS tracked what was retained.
 */
async function retained(pid: number, url: string, dir: string): Promise<number> {
  const before = readdirSync(dir).length;
  process.kill(pid, 'SIGUSR2');
  await waitFor(() => readdirSync(dir).length > before, 60_000, 'the heap snapshot');
  const text = await (await fetch(`${url}/metrics`)).text();
  return sampleValue(text, 'nodejs_heap_size_used_bytes') + sampleValue(text, 'nodejs_external_memory_bytes');
}

/**
 * Resolves with VmRSS once the node has written what it will: over six samples 250 ms apart it wrote < 64 KiB (the
 * heartbeats) and its RSS moved < 1 MB.
 */
async function quiet(pid: number): Promise<number> {
  const seen: Array<{ at: number; rss: number; out: number }> = [];
  const spread = (xs: number[]): number => Math.max(...xs) - Math.min(...xs);
  await waitFor(() => {
    if (Date.now() - (seen.at(-1)?.at ?? 0) < 250) return false;
    seen.push({ at: Date.now(), rss: procKb(pid, 'VmRSS'), out: wchar(pid) });
    const last = seen.slice(-6);
    return last.length === 6 && spread(last.map((s) => s.rss)) < 1024 && spread(last.map((s) => s.out)) < 65_536;
  }, 60_000, 'the node to go quiet');
  return seen.at(-1)!.rss;
}

/** Reads what a dropped idle subscriber's kernel buffers still hold, to the end of the connection. */
async function received(s: net.Socket): Promise<string> {
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  const closed = new Promise((resolve) => s.once('close', resolve));
  s.resume();
  await closed;
  return Buffer.concat(chunks).toString();
}

/** The id of the last complete event in raw SSE output. */
function lastEventId(raw: string): string {
  const all = [...raw.matchAll(/id: (\d+-\d+)\ndata: [^\n]*\n\n/g)];
  return all.at(-1)?.[1] ?? '';
}

async function readAll(url: string, n: number): Promise<string[]> {
  const sse = await readSse(`${url}/events?from=0`);
  await waitFor(() => sse.events.length >= n, 30_000, `${n} events`);
  sse.close();
  return sse.events.map((e) => e.id);
}

describe('/events memory against the real node', () => {
  let redis: TestRedis;
  let node: ChildNode;
  let ids: string[];
  let snapshots: string;
  beforeAll(async () => {
    redis = await startRedis();
    ids = await fillStream(redis.client(), EVENTS);
    snapshots = await mkdtemp(path.join(os.tmpdir(), 'kubecdn-heap-'));
    const NODE_OPTIONS = `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshots}`;
    node = await spawnNode(redis.url, { WRITE_TOKEN: 'events-memory-token', SSE_HEARTBEAT_MS: '200', NODE_OPTIONS });
  });
  afterAll(async () => {
    if (snapshots) await rm(snapshots, { recursive: true, force: true });
    await node?.stop();
    await redis?.stop();
  });

  it('50 subscribers that never read cost little memory, and a reader still gets every event in order', async () => {
    const pid = node.proc.pid!;
    expect(await readAll(node.url, EVENTS)).toEqual(ids); // warms the replay path: the baseline includes it
    const baseline = await quiet(pid);
    const heldBefore = await retained(pid, node.url, snapshots);
    const sockets = await Promise.all(Array.from({ length: IDLE_CLIENTS }, () => idleSubscriber(node.url, '?from=0')));
    try {
      await waitFor(async () => (await metric(node.url, 'kubecdn_sse_clients')) === IDLE_CLIENTS, 10_000, 'subscribers');
      const settled = await quiet(pid);
      const rssMb = (Math.max(settled, procKb(pid, 'VmHWM')) - baseline) / 1024;
      const heldMb = ((await retained(pid, node.url, snapshots)) - heldBefore) / MB;
      const buffered = await metric(node.url, 'kubecdn_sse_buffered_bytes');
      console.log(`${IDLE_CLIENTS} idle /events?from=0: held +${heldMb.toFixed(1)} MB after a full GC; RSS +${rssMb.toFixed(1)} MB peak, settled +${((settled - baseline) / 1024).toFixed(1)} MB; buffered ${buffered} B`);
      // Before the bounds the subscribers' unsent replays were held: RSS +146-150 MB on Node 20. With them, what
      // stays after a GC is the 50 connections' state and their bounded backlogs.
      expect(heldMb).toBeLessThan(40);
      expect(buffered).toBeGreaterThan(0);
      expect(buffered).toBeLessThanOrEqual(16 * MB);
    } finally {
      for (const s of sockets) s.destroy();
    }
    await waitFor(async () => (await metric(node.url, 'kubecdn_sse_clients')) === 0, 10_000, 'subscribers gone');
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    expect(await readAll(node.url, EVENTS)).toEqual(ids);
  });

  it('a Last-Event-ID beyond u64 is a 400 invalid_request, like any malformed id', async () => {
    for (const bad of ['99999999999999999999-0', '0-18446744073709551616']) {
      const res = await fetch(`${node.url}/events`, { headers: { 'Last-Event-ID': bad } });
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    const max = await fetch(`${node.url}/events?from=18446744073709551615-18446744073709551615`);
    expect(max.status).toBe(200);
    await max.body?.cancel();
  });
});

interface HubUnderTest {
  url: string;
  hub: EventHub;
  metrics: Metrics;
  close(): Promise<void>;
}

/** The hub in this process behind a bare node:http server, so its limits can be made small. */
async function startHub(redis: TestRedis, limits: Partial<SseLimits>): Promise<HubUnderTest> {
  const log = createLogger('silent', 'hub-test');
  const metrics = createMetrics('hub-test');
  const subscriber = new Subscriber(redis.url, {}, log);
  await subscriber.start();
  await waitFor(() => subscriber.status === 'subscribed', 5000, 'subscription');
  const conn = redis.client();
  const hub = new EventHub(conn, subscriber, { maxClients: 100, heartbeatMs: 100, limits }, metrics, log);
  const server = http.createServer((req, res) => {
    const from = new URL(req.url ?? '/', 'http://x').searchParams.get('from') ?? undefined;
    hub.open(req, res, from).catch(() => res.writeHead(400).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hub,
    metrics,
    async close() {
      hub.close();
      subscriber.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const dropped = async (m: Metrics): Promise<number> => (await m.sseDropped.get()).values[0]?.value ?? 0;
const buffered = async (m: Metrics): Promise<number> => (await m.sseBufferedBytes.get()).values[0]?.value ?? 0;

describe('the hub drops subscribers that do not keep up', () => {
  let redis: TestRedis;
  let db: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    db = redis.client();
    await fillStream(db, EVENTS, BIG_NAME); // ~11 MB
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** Publishes rounds of ~0.5 MB of live events until `done` holds (at most 24 MB). */
  async function publishUntil(done: () => Promise<boolean>): Promise<void> {
    for (let round = 0; round < 48 && !(await done()); round++) await publishLive(db, 500);
    await waitFor(done, 5000, 'drops');
  }

  /** What the dropped client got ends with a whole event, and resuming from it continues with the next one. */
  async function resumesWithoutGap(url: string, s: net.Socket): Promise<void> {
    const last = lastEventId(await received(s));
    expect(last).not.toBe('');
    const [[next] = []] = await db.xrange(keys.events, `(${last}`, '+', 'COUNT', 1);
    const resumed = await readSse(`${url}/events?from=${last}`);
    await waitFor(() => resumed.events.length > 0, 10_000, 'the resumed event');
    resumed.close();
    expect(resumed.events[0]?.id).toBe(next);
  }

  it('a replay the client does not read waits at the high-water mark, and is dropped after the stall deadline', async () => {
    const highWater = 16 * KB;
    const t = await startHub(redis, { replayHighWaterBytes: highWater, replayStallMs: 500 });
    try {
      const s = await idleSubscriber(t.url, '?from=0');
      let most = 0;
      await waitFor(async () => {
        most = Math.max(most, await buffered(t.metrics));
        return (await dropped(t.metrics)) === 1 && t.hub.size === 0;
      }, 10_000, 'the stalled replay dropped');
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(highWater + 2 * KB); // the mark plus at most one event
      await resumesWithoutGap(t.url, s);
    } finally {
      await t.close();
    }
  });

  it('live events past the pending budget during a replay are read again from the stream: none missed or repeated', async () => {
    const t = await startHub(redis, { pendingMaxBytes: 4 * KB });
    try {
      const reader = await readSse(`${t.url}/events?from=0`);
      await publishLive(db, 2000); // while the ~11 MB replay runs: 2000 x 1.1 KB, far past 4 KiB of pending
      const all = (await db.xrange(keys.events, '-', '+')).map(([id]) => id);
      await waitFor(() => reader.events.length >= all.length, 30_000, `${all.length} events`);
      reader.close();
      expect(reader.events.map((e) => e.id)).toEqual(all);
    } finally {
      await t.close();
    }
  });

  it('a live subscriber whose backlog passes its cap is dropped, and resumes from its last id', async () => {
    const t = await startHub(redis, { clientMaxBytes: 256 * KB });
    try {
      const s = await idleSubscriber(t.url, '');
      await waitFor(() => t.hub.size === 1, 5000, 'subscriber');
      await publishUntil(async () => (await dropped(t.metrics)) === 1 && t.hub.size === 0);
      await resumesWithoutGap(t.url, s);
    } finally {
      await t.close();
    }
  });

  it('when all backlogs together pass the total budget, some are dropped and the sampled total stays within it', async () => {
    const total = 256 * KB;
    const t = await startHub(redis, { clientMaxBytes: 64 * MB, totalMaxBytes: total });
    try {
      const sockets = await Promise.all(Array.from({ length: 4 }, () => idleSubscriber(t.url, '')));
      await waitFor(() => t.hub.size === 4, 5000, 'subscribers');
      await publishUntil(async () => (await dropped(t.metrics)) >= 1);
      expect(await buffered(t.metrics)).toBeLessThanOrEqual(total);
      for (const s of sockets) s.destroy();
    } finally {
      await t.close();
    }
  });
});
