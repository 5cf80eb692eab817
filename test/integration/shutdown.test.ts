// Every long-lived part of a node has a stop, and close() calls them all: after close() nothing the node started is
// left in the process — no timer (heartbeat, repair, GC, scrub, SSE heartbeat), no socket (Redis, the server, peers).
// In-process on purpose: async_hooks sees every timer and socket created while the node runs (unref'd ones too,
// which process.getActiveResourcesInfo() leaves out) and whether it was cleared or closed.
import { createHook } from 'node:async_hooks';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET } from '../helpers/cluster.js';
import { put } from '../helpers/http.js';
import { loadConfig } from '../../node/src/config.js';
import { createLogger } from '../../node/src/log.js';
import { createNode } from '../../node/src/node.js';
import { tempDir } from '../helpers/node.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

// SHUTDOWN_TRACE=1: report where each leftover was created
const TRACE = process.env.SHUTDOWN_TRACE === '1';
if (TRACE) Error.stackTraceLimit = 40;
// (file handles are counted as open fds instead: async_hooks reports their end only when they are collected)
const WATCHED = /^(Timeout|TCPWRAP|TCPSERVERWRAP|PIPEWRAP)$/;
const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Timers and sockets created between start() and stop() and not yet cleared or closed. */
function tracker(): {
  start(): void;
  stop(): void;
  alive(): string[];
  closed(): void;
  since(): string[];
} {
  const live = new Map<number, string>();
  const after: string[] = []; // created after close(): a loop still running
  let closed = false;
  const hook = createHook({
    init(id, type) {
      if (closed && WATCHED.test(type)) after.push(type + (TRACE ? new Error().stack : ''));
      if (WATCHED.test(type)) live.set(id, type + (TRACE ? `\n${new Error().stack}` : ''));
    },
    destroy(id) {
      live.delete(id);
    },
  });
  return {
    start: () => hook.enable(),
    stop: () => hook.disable(),
    closed: () => (closed = true),
    since: () => [...after],
    alive: () => [...live.values()].map((v) => (TRACE ? v : v.split('\n')[0]!)),
  };
}

describe('shutdown', () => {
  it('a node in a cluster, with GC, scrub and an SSE client, leaves nothing running after close()', async () => {
    const env = {
      CLUSTER_SECRET: SECRET,
      HEARTBEAT_MS: '100',
      MEMBER_TTL_MS: '500',
      HEAD_LEASE_MS: '300',
      REPAIR_INTERVAL_MS: '200',
      GC_INTERVAL_MS: '100',
      SCRUB_BYTES_PER_SEC: '1000000',
      SCRUB_INTERVAL_MS: '100',
      SSE_HEARTBEAT_MS: '100',
      SHUTDOWN_GRACE_MS: '200',
    };
    const cfg = loadConfig({
      NODE_ID: 'closing',
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      DATA_DIR: await tempDir(),
      ...env,
    });
    const log = createLogger('silent', cfg.nodeId); // the process's log sink (main.ts owns it), not the node's
    const fdsBefore = openFds();
    const t = tracker();
    t.start();
    const node = await createNode(cfg, log);
    await node.listen();
    expect((await put(node.url, 'shutdown/a.txt', 'some content')).status).toBe(201);
    const events = new AbortController();
    const sse = await fetch(`${node.url}/events`, { signal: events.signal });
    expect(sse.status).toBe(200);
    expect(t.alive().some((r) => r.startsWith('Timeout'))).toBe(true); // the check below can see what a running node holds
    events.abort(); // first: a request still open at close() would be retried by fetch itself, after close
    await node.close();
    t.closed();
    // Waits on setImmediate, not on a timer, so the test's own waiting creates nothing watched. Nothing happening can
    // only be seen over a window: 500 ms, longer than every interval configured above.
    const quiet = Date.now() + 500;
    const deadline = Date.now() + 5000;
    while (Date.now() < quiet || ((t.alive().length > 0 || openFds() > fdsBefore) && Date.now() < deadline)) {
      await new Promise((r) => setImmediate(r));
    }
    t.stop();
    expect(t.alive()).toEqual([]);
    expect(t.since()).toEqual([]);
    expect(openFds()).toBeLessThanOrEqual(fdsBefore);
  });
});
