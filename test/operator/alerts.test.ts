// The chart's PrometheusRule: rendered by the real helm, checked by promtool, and each alert made to fire (and not
// fire on healthy series) by promtool's rule unit tests (test/fixtures/alerts.test.yml).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, describe, expect, test } from 'vitest';
import { HELM, ROOT } from './helpers.js';

const CHART = path.join(ROOT, 'charts/kubecdn');
const RULE_API = 'monitoring.coreos.com/v1/PrometheusRule';

function render(...args: string[]): Record<string, unknown>[] {
  const r = spawnSync(HELM!, ['template', 'kubecdn', CHART, '-n', 'kubecdn-system', '--kube-version', '1.32.0', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, unknown>).filter((d) => d !== null);
}
const rules = (docs: Record<string, unknown>[]): Record<string, unknown>[] => docs.filter((d) => d.kind === 'PrometheusRule');
const promtool = (dir: string, ...args: string[]): string => {
  const r = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
};

describe.skipIf(HELM === undefined)('alerts (PrometheusRule)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kubecdn-alerts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('made only where the Prometheus Operator is (or when forced), and never when disabled', () => {
    expect(rules(render())).toHaveLength(0);
    expect(rules(render('--api-versions', RULE_API))).toHaveLength(1);
    expect(rules(render('--set', 'alerts.force=true'))).toHaveLength(1);
    expect(rules(render('--api-versions', RULE_API, '--set', 'alerts.enabled=false'))).toHaveLength(0);
  });

  test('promtool checks the rules, and every alert fires in its unit test', () => {
    const [rule] = rules(render('--api-versions', RULE_API));
    const groups = (rule!.spec as { groups: { rules: { alert: string }[] }[] }).groups;
    writeFileSync(path.join(dir, 'rules.yml'), stringify({ groups }));
    copyFileSync(path.join(ROOT, 'test/fixtures/alerts.test.yml'), path.join(dir, 'alerts.test.yml'));
    expect(promtool(dir, 'check', 'rules', 'rules.yml')).toContain('SUCCESS: 6 rules found');
    expect(promtool(dir, 'test', 'rules', 'alerts.test.yml')).toContain('SUCCESS');
    // every alert of the chart has a test that expects it to fire
    const tested = readFileSync(path.join(ROOT, 'test/fixtures/alerts.test.yml'), 'utf8');
    for (const { alert } of groups.flatMap((g) => g.rules)) expect(tested, alert).toContain(`alertname: ${alert}`);
  });
});
