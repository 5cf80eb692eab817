// Metric names are a public contract: each documented, named kubecdn_<noun>_<unit>, counters ending in _total.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../node/src/metrics.js';
import { ROOT } from '../helpers/node.js';

describe('metric names', () => {
  it('every metric is documented in docs/metrics.md and follows the naming rule', async () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8');
    const m = createMetrics('t');
    const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name).filter((n) => !n.startsWith('kubecdn_process_'));
    expect(names.length).toBeGreaterThan(15);
    for (const n of names) {
      expect(n).toMatch(/^kubecdn_[a-z_]+$/);
      expect(doc, n).toContain('`' + n + '`');
    }
    const counters = (await m.registry.getMetricsAsJSON()).filter((x) => String(x.type) === 'counter');
    for (const c of counters) expect(c.name).toMatch(/_total$/);
  });
});
