// A Redis that requires a password (as the chart's managed Redis does): a node with REDIS_PASSWORD works, a node with
// a wrong one stops at start with a message that names the cause, instead of waiting forever or failing obscurely.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAuthError } from '../../node/src/metadata/connection.js';
import { spawnNode, type ChildNode } from '../helpers/nodeProcess.js';
import { startRedis, waitFor, type TestRedis } from '../helpers/redis.js';

const PASSWORD = 'the-right-redis-password';
const TOKEN = 'write-token-123';

describe('Redis with a password', () => {
  let redis: TestRedis;
  let admin: ReturnType<TestRedis['client']>; // connected before the password was set: stays authenticated
  const nodes: ChildNode[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    admin = redis.client();
    await admin.config('SET', 'requirepass', PASSWORD);
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await redis.stop();
  });

  it('a node with REDIS_PASSWORD reads and writes', async () => {
    const node = await spawnNode(redis.url, { REDIS_PASSWORD: PASSWORD, WRITE_TOKEN: TOKEN, NODE_ID: 'right' });
    nodes.push(node);
    await waitFor(async () => (await fetch(`${node.url}/readyz`)).status === 200, 10_000, 'ready');
    const put = await fetch(`${node.url}/files/a.txt`, { method: 'PUT', body: 'abc', headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(put.status).toBe(201);
    expect(await (await fetch(`${node.url}/files/a.txt`)).text()).toBe('abc');
  });

  it('a node with a wrong password stops at start and says why (no retry can fix it); Redis holds nothing of it', async () => {
    const err = await spawnNode(redis.url, { REDIS_PASSWORD: 'a-wrong-password', NODE_ID: 'wrong' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/exited with 1/);
    expect(err?.message).toMatch(/Redis refused this node's credentials \(REDIS_PASSWORD.*\): WRONGPASS/);
    expect((await admin.keys('kubecdn:*')).filter((k) => k.includes('wrong'))).toEqual([]);
  });

  it('isAuthError tells credentials refused from everything else', () => {
    expect(isAuthError('WRONGPASS invalid username-password pair or user is disabled.')).toBe(true);
    expect(isAuthError('NOAUTH Authentication required.')).toBe(true);
    expect(isAuthError('connect ECONNREFUSED 127.0.0.1:6379')).toBe(false);
    expect(isAuthError('LOADING Redis is loading the dataset in memory')).toBe(false);
  });
});
