// The operator's /metrics: passes counted by result and timed, queue depth read on a scrape, every name documented
// in docs/metrics.md, and promtool's linter content (but for prom-client's own nodejs_active_*_total gauges).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOperatorMetrics, instrumented } from '../../operator/src/metrics.js';
import { sampleValue } from '../helpers/metrics.js';
import { ROOT } from './helpers.js';

describe('operator metrics', () => {
  it('counts passes by result, times them, and reads the queue depth on a scrape', async () => {
    let depth = 3;
    const m = createOperatorMetrics(() => depth);
    const results = [{}, { requeueAfterMs: 5000 }];
    const work = instrumented((key) => (key === 'bad' ? Promise.reject(new Error('conflict')) : Promise.resolve(results.shift()!)), m);
    await work('a');
    await work('b');
    await expect(work('bad')).rejects.toThrow('conflict');
    let text = await m.registry.metrics();
    expect(sampleValue(text, 'kubecdn_operator_reconciles_total', { result: 'success' })).toBe(1);
    expect(sampleValue(text, 'kubecdn_operator_reconciles_total', { result: 'requeue' })).toBe(1);
    expect(sampleValue(text, 'kubecdn_operator_reconciles_total', { result: 'error' })).toBe(1);
    expect(sampleValue(text, 'kubecdn_operator_reconcile_duration_seconds_count')).toBe(3);
    expect(sampleValue(text, 'kubecdn_operator_queue_depth')).toBe(3);
    expect(sampleValue(text, 'kubecdn_operator_leader')).toBe(0);
    depth = 0;
    m.leader.set(1);
    text = await m.registry.metrics();
    expect(sampleValue(text, 'kubecdn_operator_queue_depth')).toBe(0);
    expect(sampleValue(text, 'kubecdn_operator_leader')).toBe(1);
  });

  it('names every metric in docs/metrics.md and passes promtool check metrics', async () => {
    const m = createOperatorMetrics(() => 0);
    const doc = readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8');
    for (const { name } of await m.registry.getMetricsAsJSON()) {
      if (name.startsWith('kubecdn_')) expect(doc, name).toContain('`' + name + '`');
    }
    const r = spawnSync('promtool', ['check', 'metrics'], { input: await m.registry.metrics(), encoding: 'utf8' });
    const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
    expect(problems.every((p) => /^nodejs_active_(handles|requests|resources)_total non-counter/.test(p)), problems.join('\n')).toBe(true);
  });
});
