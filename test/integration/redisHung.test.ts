// A Redis that stops answering without closing its connection (SIGSTOP here: a hung server, or a partition that
// drops packets). A request that needs Redis must get a prompt 503 with Retry-After, not wait on the open socket until
// IDLE_TIMEOUT_MS cuts the connection with no answer at all (found on the e2e cluster: 60 of 60 reads of uncached
// names ended that way while Redis' packets were dropped).
import { describe, expect, it } from 'vitest';
import { startNode } from '../helpers/node.js';
import { tempDir } from '../helpers/nodeProcess.js';
import { launchRedis, onFreePort } from '../helpers/redis.js';

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
});
