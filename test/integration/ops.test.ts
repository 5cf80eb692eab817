// The operational endpoints of a real node: health, readiness, metrics, request ids.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { put } from '../helpers/http.js';
import { startNode } from '../helpers/node.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let node: Awaited<ReturnType<typeof startNode>>;
const TOKEN = 'test-write-token';

beforeAll(async () => {
  redis = await startRedis();
  node = await startNode(redis.url, { WRITE_TOKEN: TOKEN });
});
afterAll(async () => {
  await node?.close();
  await redis?.stop();
});

describe('ops', () => {
  it('healthz, readyz and metrics answer; a write shows in the metrics', async () => {
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${node.url}/readyz`)).json()).toMatchObject({ status: 'ready', checks: { redis: true, dataDir: true } });
    expect((await put(node.url, 'ops/counted.txt', 'counted', { Authorization: `Bearer ${TOKEN}` })).status).toBe(201);
    const m = await (await fetch(`${node.url}/metrics`)).text();
    expect(m).toContain('kubecdn_http_requests_total');
    expect(m).toMatch(/kubecdn_versions_written_total\{kind="write",node="test-node"\} [1-9]/);
    expect(m).toMatch(/kubecdn_blob_store_blobs\{node="test-node"\} [1-9]/);
  });

  it('every response carries a request id', async () => {
    const res = await fetch(`${node.url}/healthz`, { headers: { 'X-Request-Id': 'trace-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
  });
});
