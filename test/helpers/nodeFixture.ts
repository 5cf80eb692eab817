// One real Redis and one in-process node with the write token, started before a test file's tests and stopped after:
// the fixture the split integration files (reads, writes, versions, ops) share.
import { afterAll, beforeAll } from 'vitest';
import { startNode } from './node.js';
import { startRedis, type TestRedis } from './redis.js';

export const TOKEN = 'test-write-token';
export const auth = { Authorization: `Bearer ${TOKEN}` };

export interface NodeFixture {
  readonly redis: TestRedis;
  readonly node: Awaited<ReturnType<typeof startNode>>;
}

/** Registers the hooks; the returned object's fields are set once beforeAll has run. */
export function nodeFixture(env: Record<string, string> = {}): NodeFixture {
  const fx = {} as { redis: TestRedis; node: NodeFixture['node'] };
  beforeAll(async () => {
    fx.redis = await startRedis();
    fx.node = await startNode(fx.redis.url, { WRITE_TOKEN: TOKEN, ...env });
  });
  afterAll(async () => {
    await fx.node?.close();
    await fx.redis?.stop();
  });
  return fx;
}
