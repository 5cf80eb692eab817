// Prometheus text as the tests and the benchmark read it from /metrics: samples summed by exact name and labels.
import { describe, expect, it } from 'vitest';
import { parseLabels, sampleValue } from '../../helpers/metrics.js';

describe('/metrics samples', () => {
  const metrics = [
    '# HELP kubecdn_peer_fetches_total blob transfers',
    '# TYPE kubecdn_peer_fetches_total counter',
    'kubecdn_peer_fetches_total{node="node-a"} 3',
    'kubecdn_peer_fetches_total_other{node="node-a"} 100',
    'kubecdn_lock_wait_seconds_sum{node="node-a",mode="redis"} 0.25',
    'kubecdn_lock_wait_seconds_sum{node="node-a",mode="local"} 0.5',
    'kubecdn_lock_wait_seconds_count{node="node-a",mode="redis"} 10',
    'kubecdn_redis_up 1',
  ].join('\n');

  it('sums matching samples only, by exact name and labels', () => {
    expect(sampleValue(metrics, 'kubecdn_peer_fetches_total')).toBe(3);
    expect(sampleValue(metrics, 'kubecdn_lock_wait_seconds_sum')).toBe(0.75);
    expect(sampleValue(metrics, 'kubecdn_lock_wait_seconds_sum', { mode: 'redis' })).toBe(0.25);
    expect(sampleValue(metrics, 'kubecdn_redis_up')).toBe(1);
    expect(sampleValue(metrics, 'kubecdn_nothing')).toBe(0);
    expect(parseLabels('a="x",b="y"')).toEqual({ a: 'x', b: 'y' });
  });
});
