// Metric names are a public contract: each documented, named kubecdn_<noun>_<unit>, counters ending in _total.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../node/src/metrics.js';
import { ROOT } from '../helpers/node.js';

describe('metric names', () => {
  it('every metric is documented in docs/metrics.md and follows the naming rule', async () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8');
    const m = createMetrics('t');
    const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name).filter((n) => !/^(process|nodejs)_/.test(n)); // prom-client's own: standard names
    expect(names.length).toBeGreaterThan(15);
    for (const n of names) {
      expect(n).toMatch(/^kubecdn_[a-z_]+$/);
      expect(doc, n).toContain('`' + n + '`');
    }
    const counters = (await m.registry.getMetricsAsJSON()).filter((x) => String(x.type) === 'counter');
    for (const c of counters) expect(c.name).toMatch(/_total$/);
  });

  it('the exposition passes promtool check metrics (Prometheus\' own linter), but for prom-client\'s three gauges', async () => {
    const m = createMetrics('t');
    const text = await m.registry.metrics();
    expect(text).toContain('process_cpu_seconds_total{node="t"}');
    // promtool names every problem (bad name, missing HELP, counter without _total) and exits non-zero. prom-client's
    // standard nodejs_active_*_total are gauges named like counters: kept, since the usual Node.js dashboards query
    // exactly those names; anything else fails.
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
    expect(problems).toEqual(
      ['handles', 'requests', 'resources'].map((k) => `nodejs_active_${k}_total non-counter metrics should not have "_total" suffix`),
    );
  });
});
