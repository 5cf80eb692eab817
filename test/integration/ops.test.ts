// The operational endpoints of a real node: health, readiness, metrics, request ids.
import { describe, expect, it } from 'vitest';
import { put } from '../helpers/http.js';
import { TOKEN, nodeFixture } from '../helpers/nodeFixture.js';

const fx = nodeFixture();

describe('ops', () => {
  it('healthz, readyz and metrics answer; a write shows in the metrics', async () => {
    expect((await fetch(`${fx.node.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${fx.node.url}/readyz`)).json()).toMatchObject({ status: 'ready', checks: { redis: true, dataDir: true } });
    expect((await put(fx.node.url, 'ops/counted.txt', 'counted', { Authorization: `Bearer ${TOKEN}` })).status).toBe(201);
    const m = await (await fetch(`${fx.node.url}/metrics`)).text();
    expect(m).toContain('kubecdn_http_requests_total');
    expect(m).toMatch(/kubecdn_versions_written_total\{kind="write",node="test-node"\} [1-9]/);
    expect(m).toMatch(/kubecdn_blob_store_blobs\{node="test-node"\} [1-9]/);
  });

  it('every response carries a request id', async () => {
    const res = await fetch(`${fx.node.url}/healthz`, { headers: { 'X-Request-Id': 'trace-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
  });
});
