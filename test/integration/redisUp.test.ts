// kubecdn_redis_up says whether Redis answers, not only whether its socket is open. A Redis that stops answering
// without closing the connection (SIGSTOP here: a hung server, or a partition that drops packets) must read 0 on the
// next scrape, as /readyz does, or KubecdnRedisUnreachable never fires. Found on the e2e cluster: with Redis cut off,
// every node was unready while kubecdn_redis_up stayed 1.
import { describe, expect, it } from 'vitest';
import { sampleValue } from '../helpers/metrics.js';
import { startNode } from '../helpers/node.js';
import { launchRedis, onFreePort, waitFor } from '../helpers/redis.js';
import { tempDir } from '../helpers/nodeProcess.js';

describe('kubecdn_redis_up', () => {
  it('reads 0 while Redis does not answer, and 1 again once it does', async () => {
    const dir = await tempDir();
    const redis = await onFreePort('redis-server', async (port) => ({ port, proc: await launchRedis(port, dir) }));
    const node = await startNode(`redis://127.0.0.1:${redis.port}`);
    const up = async (): Promise<number> => sampleValue(await (await fetch(`${node.url}/metrics`)).text(), 'kubecdn_redis_up');
    try {
      expect(await up()).toBe(1);
      process.kill(redis.proc.pid, 'SIGSTOP');
      try {
        await waitFor(async () => (await up()) === 0, 10_000, 'kubecdn_redis_up 0 while Redis is stopped');
      } finally {
        process.kill(redis.proc.pid, 'SIGCONT');
      }
      await waitFor(async () => (await up()) === 1, 10_000, 'kubecdn_redis_up 1 once Redis answers');
    } finally {
      await node.close();
      await redis.proc.stop('SIGKILL');
    }
  });
});
