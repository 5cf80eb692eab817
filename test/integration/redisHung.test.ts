// A Redis that stops answering without closing its connection (SIGSTOP here: a hung server, or a partition that
// drops packets). A request that needs Redis must get a prompt 503 with Retry-After, not wait on the open socket until
// IDLE_TIMEOUT_MS cuts the connection with no answer at all (found on the e2e cluster: 60 of 60 reads of uncached
// names ended that way while Redis' packets were dropped).
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startNode } from '../helpers/node.js';
import { tempDir } from '../helpers/nodeProcess.js';
import { put } from '../helpers/http.js';
import { launchRedis, onFreePort, waitFor } from '../helpers/redis.js';
import { readSse } from '../helpers/sse.js';

describe('Redis hung', () => {
  it('a read of an uncached name and a write answer 503 unavailable with Retry-After', async () => {
    const dir = await tempDir();
    const redis = await onFreePort('redis-server', async (port) => ({ port, proc: await launchRedis(port, dir) }));
    // the idle timeout far above the command timeout: without the fix the client gets nothing for 60 s
    const node = await startNode(`redis://127.0.0.1:${redis.port}`, { WRITE_TOKEN: 'hung-token', REDIS_COMMAND_TIMEOUT_MS: '500', IDLE_TIMEOUT_MS: '60000' });
    const bounded = { signal: AbortSignal.timeout(30_000) };
    try {
      expect((await fetch(`${node.url}/files/hung/before.txt`, bounded)).status).toBe(404);
      process.kill(redis.proc.pid, 'SIGSTOP');
      try {
        const read = await fetch(`${node.url}/files/hung/never-written.txt`, bounded);
        expect(read.status).toBe(503);
        expect(((await read.json()) as { error: { code: string } }).error.code).toBe('unavailable');
        expect(Number(read.headers.get('retry-after'))).toBeGreaterThan(0);
        const write = await fetch(`${node.url}/files/hung/new.txt`, { ...bounded, method: 'PUT', headers: { Authorization: 'Bearer hung-token' }, body: 'x' });
        expect(write.status).toBe(503);
        expect(Number(write.headers.get('retry-after'))).toBeGreaterThan(0);
      } finally {
        process.kill(redis.proc.pid, 'SIGCONT');
      }
    } finally {
      await node.close();
      await redis.proc.stop('SIGKILL');
    }
  });

  // The replay of /events reads the stream on the command connection. A read that failed (here: timed out while Redis
  // hung, or cut by a restart) used to drop the subscriber, lost for good to a client that does not reconnect (CI).
  // 'hangs' fails without the retry every time; in 'restarts' ioredis may resend the cut read itself, or fail it after
  // its retries (CI's case): it covers the wait for the connection to be ready again.
  for (const outage of ['hangs', 'restarts'] as const) {
    it(`/events keeps a subscriber whose replay read failed when Redis ${outage}, and catches it up after`, async () => {
      const dir = await tempDir();
      const first = await onFreePort('redis-server', async (port) => ({ port, proc: await launchRedis(port, dir) }));
      let proc = first.proc;
      const node = await startNode(`redis://127.0.0.1:${first.port}`, { REDIS_COMMAND_TIMEOUT_MS: '300' });
      const bounded = { signal: AbortSignal.timeout(30_000) };
      try {
        expect((await put(node.url, 'hung/before', 'written before')).status).toBe(201);
        process.kill(proc.pid, 'SIGSTOP');
        const sse = await readSse(`${node.url}/events?from=0`); // headers first; the replay's read then waits on Redis
        if (outage === 'restarts') await proc.stop('SIGKILL');
        // /readyz asks Redis after the replay read was sent: its 503 comes after that read failed or was cut
        const down = await fetch(`${node.url}/readyz`, bounded);
        if (outage === 'hangs') process.kill(proc.pid, 'SIGCONT');
        else proc = await launchRedis(first.port, dir); // empty: no persistence, as after a wipe
        expect(down.status).toBe(503);
        await waitFor(async () => (await fetch(`${node.url}/readyz`, bounded)).status === 200, 15_000, 'ready again');
        expect((await put(node.url, 'hung/after', 'written after')).status).toBe(201);
        const expected = outage === 'hangs' ? ['hung/before', 'hung/after'] : ['hung/after'];
        await waitFor(() => sse.events.length >= expected.length, 10_000, 'the replayed and the live event');
        expect(sse.events.map((e) => e.data.filename)).toEqual(expected);
        sse.close();
      } finally {
        await node.close();
        await proc.stop('SIGKILL');
      }
    });
  }

  // The node shutting down ends every /events response (EventHub.close) while a replay's read may be in flight. When
  // that read came back, the replay wrote into the ended response — not yet destroyed, its subscriber reading slowly:
  // an error event nothing listened for, an uncaught exception (CI, eventsMemory.test.ts at the end of its run).
  // Redis hangs here to hold the read in flight; a subscriber that reads nothing keeps the ended response unfinished.
  it('a replay whose read comes back after the hub closed writes nothing into the ended response', async () => {
    const dir = await tempDir();
    const redis = await onFreePort('redis-server', async (port) => ({ port, proc: await launchRedis(port, dir) }));
    const node = await startNode(`redis://127.0.0.1:${redis.port}`, { REDIS_COMMAND_TIMEOUT_MS: '20000' });
    const errors: unknown[] = [];
    let events: ServerResponse | undefined;
    // the node's handler runs first; this only watches (and keeps an error from becoming uncaught)
    node.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      res.on('error', (err) => errors.push(err));
      if (req.url?.startsWith('/events')) events = res;
    });
    const client = net.connect(Number(new URL(node.url).port), '127.0.0.1');
    client.on('error', () => undefined);
    try {
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      expect((await put(node.url, 'hung/replayed', 'in the stream')).status).toBe(201);
      process.kill(redis.proc.pid, 'SIGSTOP');
      client.pause(); // reads nothing
      client.write('GET /events?from=0 HTTP/1.1\r\nHost: a\r\n\r\n');
      await waitFor(() => Promise.resolve(events?.headersSent === true), 10_000, 'the subscriber connected'); // its replay read waits
      const res = events as ServerResponse;
      // fill the socket until a chunk stays queued in it: the kernel takes no more
      const chunk = `: ${'x'.repeat(16 * 1024)}\n\n`;
      for (let sent = 0; (res.socket?.writableLength ?? 0) === 0 && sent < 256 * 1024 * 1024; sent += chunk.length) {
        res.write(chunk);
        await new Promise((r) => setImmediate(r));
      }
      expect(res.writableLength).toBeGreaterThan(0);
      expect(res.writableLength).toBeLessThan(32 * 1024); // under the replay's high-water mark: the replay would write
      node.deps.hub.close();
      expect(res.writableEnded && !res.destroyed).toBe(true);
      process.kill(redis.proc.pid, 'SIGCONT');
      await node.deps.redis.ping(); // answered after the replay's read (one connection, in order)
      await new Promise((r) => setImmediate(r)); // past the tick where a write after end reports its error
      expect(errors).toEqual([]);
    } finally {
      client.destroy();
      process.kill(redis.proc.pid, 'SIGCONT');
      await node.close();
      await redis.proc.stop('SIGKILL');
    }
  });
});
