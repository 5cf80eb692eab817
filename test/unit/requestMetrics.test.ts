// The hand-kept request metrics must expose exactly what prom-client's own Counter and Histogram would for the same
// requests, so dashboards and alerts cannot tell the difference.
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { bucketOf, DURATION_BUCKETS, RequestMetrics } from '../../node/src/requestMetrics.js';

const REQUESTS: [string, string, number, number][] = [
  ['file', 'GET', 200, 0.0001],
  ['file', 'GET', 200, 0.0005], // exactly on a bound: counted in that bucket (le = less or equal)
  ['file', 'GET', 304, 0.003],
  ['file', 'HEAD', 200, 0.02],
  ['file', 'PUT', 201, 0.7],
  ['locks', 'POST', 423, 75], // above every bound: only in +Inf
  ['file', 'GET', 404, 0.0021],
];

function ours(): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ node: 'n1' });
  const m = new RequestMetrics();
  m.register(registry);
  for (const [route, method, status, s] of REQUESTS) m.record(route, method, status, s);
  return registry;
}

function promClient(): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ node: 'n1' });
  const requests = new Counter({ name: 'kubecdn_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const duration = new Histogram({
    name: 'kubecdn_http_request_duration_seconds',
    help: 'HTTP request duration, from the first byte read to the last byte written',
    labelNames: ['route', 'method'],
    buckets: [...DURATION_BUCKETS],
    registers: [registry],
  });
  for (const [route, method, status, s] of REQUESTS) {
    requests.inc({ route, method, status });
    duration.observe({ route, method }, s);
  }
  return registry;
}

describe('request metrics', () => {
  it('expose the same text as prom-client for the same requests', async () => {
    expect(await ours().metrics()).toBe(await promClient().metrics());
  });

  it('expose the same JSON as prom-client (what the catalogue test and aggregators read)', async () => {
    // prom-client's Histogram adds `exemplar: null` to its buckets (exemplars are off): not part of what is exposed.
    const strip = (ms: { name: string; type: unknown; values: object[] }[]) =>
      ms.map(({ name, type, values }) => ({ name, type: String(type), values: values.map(({ exemplar: _, ...v }: { exemplar?: unknown }) => v) }));
    expect(strip(await ours().getMetricsAsJSON())).toEqual(strip(await promClient().getMetricsAsJSON()));
  });

  it('find the first bucket that holds a duration', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(0.0005)).toBe(0);
    expect(bucketOf(0.00051)).toBe(1);
    expect(bucketOf(60)).toBe(DURATION_BUCKETS.length - 1);
    expect(bucketOf(61)).toBe(DURATION_BUCKETS.length);
  });
});
