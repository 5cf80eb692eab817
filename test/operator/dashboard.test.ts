// The Grafana dashboard (charts/kubecdn/dashboards/kubecdn.json). Its queries name only metrics the nodes export;
// one CdnCluster at a time: every query filters on namespace and cdncluster (the ServiceMonitor's target labels), so
// two clusters of one name in two namespaces never merge; latency leaves out /events, the probes and /metrics.
// promtool evaluates every query on synthetic series: given only other clusters' series (same name in another
// namespace, another name in the same namespace) each query must come back empty, and given the selected cluster's
// series it must not. A control shows that a query without the filters fails that check.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, test } from 'vitest';
import { CLUSTER_TARGET_LABEL, POD_CLUSTER_LABEL_META } from '../../operator/src/desired/extras.js';
import { createMetrics } from '../../node/src/metrics.js';
import { ROOT } from './helpers.js';

interface Target {
  expr: string;
}
interface Panel {
  title: string;
  type: string;
  targets?: Target[];
}
interface Variable {
  name: string;
  multi?: boolean;
  includeAll?: boolean;
  query?: { query: string };
}
const dash = JSON.parse(readFileSync(path.join(ROOT, 'charts/kubecdn/dashboards/kubecdn.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: Variable[] };
};
const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const variable = (name: string): Variable => dash.templating.list.find((v) => v.name === name)!;

const FILTERS = ['namespace="$namespace"', `${CLUSTER_TARGET_LABEL}="$cdncluster"`];
/** Routes whose durations say nothing about serving files: SSE streams (minutes long), probes, scrapes. */
const NOT_LATENCY = ['events', 'healthz', 'readyz', 'metrics'];
const SELECTOR = /\b((?:kubecdn|process|nodejs)_[a-z0-9_]+)(\{[^}]*\})?/g;

/** Every series selector of a query: metric name and its matchers ('' when it has none). */
function selectors(expr: string): { name: string; matchers: string }[] {
  return [...expr.matchAll(SELECTOR)].map((m) => ({ name: m[1]!, matchers: m[2] ?? '' }));
}

describe('Grafana dashboard: what it queries', () => {
  const documented = new Map<string, string>();
  for (const m of readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8').matchAll(
    /^\| `(kubecdn_[a-z_]+)` \| (\w+) \|/gm,
  )) {
    documented.set(m[1]!, m[2]!);
  }

  test('every query names only metrics the nodes export', async () => {
    expect(documented.size).toBeGreaterThan(10);
    expect(exprs.length).toBeGreaterThan(15);
    const exported = new Set((await createMetrics('n').registry.getMetricsAsJSON()).map((m) => m.name));
    for (const e of exprs) {
      for (const { name } of selectors(e)) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        if (!name.startsWith('kubecdn_')) {
          expect(exported, `${name} (prom-client's default metrics) in ${e}`).toContain(base);
          continue;
        }
        const type = documented.get(name) ?? documented.get(base);
        expect(type, `${name} in ${e}`).toBeDefined();
        if (name !== base && !documented.has(name)) expect(type, name).toBe('histogram');
      }
    }
  });

  test('has the panels the issues ask for', () => {
    const titles = dash.panels.map((p) => p.title.toLowerCase()).join('\n');
    for (const t of [
      'cache hit ratio',
      'dedupe',
      'lock contention',
      'lock wait',
      'request rate',
      'errors',
      'latency',
      'cluster members',
      'under-replicated',
      'memory',
      'event-loop lag',
      'scrub',
      'corrupt',
    ]) {
      expect(titles).toContain(t);
    }
    const all = exprs.join('\n');
    for (const m of ['process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_']) {
      expect(all).toContain(m);
    }
  });

  test('one CdnCluster: namespace and cdncluster are single-valued variables, and every query filters on both', () => {
    for (const name of ['namespace', 'cdncluster']) {
      expect(variable(name).multi, name).toBe(false);
      expect(variable(name).includeAll, name).toBe(false);
    }
    expect(variable('cdncluster').query?.query).toContain(FILTERS[0]);
    const queries = [...exprs, variable('node').query!.query];
    for (const e of queries) {
      expect(selectors(e).length, e).toBeGreaterThan(0);
      for (const { name, matchers } of selectors(e)) {
        for (const f of FILTERS) expect(matchers, `${name} in ${e}`).toContain(f);
      }
    }
  });

  test('latency leaves out /events, the probes and /metrics, by the route labels the node really sets', () => {
    const http = readFileSync(path.join(ROOT, 'node/src/http/opsRoutes.ts'), 'utf8');
    // opsRoutes labels each route with its metrics route name (routing.ts' mountFixed, which sets res.metricsRoute)
    for (const r of NOT_LATENCY) expect(http, r).toMatch(new RegExp(`'/${r}', '${r}',`));
    const latency = exprs.flatMap(selectors).filter((s) => s.name.startsWith('kubecdn_http_request_duration_'));
    expect(latency.length).toBeGreaterThan(0);
    for (const s of latency) expect(s.matchers).toContain(`route!~"${NOT_LATENCY.join('|')}"`);
  });
});

// ---------------------------------------------------------------- promtool evaluates every query

interface Scope {
  namespace: string;
  cluster: string;
  routes?: string[];
}
const SELECTED: Scope = { namespace: 'a', cluster: 'cdn' };
const OTHERS: Scope[] = [
  { namespace: 'b', cluster: 'cdn' }, // same name, another namespace
  { namespace: 'a', cluster: 'other' }, // same namespace, another name
];

/** Grafana's variables as the dashboard would have them with SELECTED chosen. */
function toPromQL(expr: string): string {
  return expr
    .replaceAll('$namespace', SELECTED.namespace)
    .replaceAll('$cdncluster', SELECTED.cluster)
    .replaceAll('$node', '.*')
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__range', '15m');
}

/** The labels of one node's series in a scope, per route and status (every metric gets all of them). */
function labelSets(s: Scope): string[] {
  return (s.routes ?? ['file']).flatMap((route) =>
    ['200', '500'].map(
      (status) =>
        `namespace="${s.namespace}",cdncluster="${s.cluster}",node="${s.cluster}-0",route="${route}",method="GET",` +
        `status="${status}",mode="redis",where="scrub",outcome="linked"`,
    ),
  );
}

/** Rising, non-zero series of every metric the queries name, for each scope (histograms get three buckets). */
function inputSeries(names: Iterable<string>, scopes: Scope[]): { series: string; values: string }[] {
  const labels = scopes.flatMap(labelSets);
  return [...names].flatMap((name) =>
    labels.flatMap((l) =>
      name.endsWith('_bucket')
        ? ['0.1', '1', '+Inf'].map((le, i) => ({ series: `${name}{${l},le="${le}"}`, values: `1+${i + 1}x80` }))
        : [{ series: `${name}{${l}}`, values: '1+1x80' }],
    ),
  );
}

/** A promtool unit-test group: each query, with only `scopes`' series, must be empty (`empty`) or not. */
function group(queries: string[], scopes: Scope[], empty: boolean): object {
  const names = new Set(queries.flatMap((q) => selectors(q).map((s) => s.name)));
  return {
    interval: '15s',
    input_series: inputSeries(names, scopes),
    promql_expr_test: queries.map((q) => ({
      // != 0 drops the "or vector(0)" fallbacks, which exist either way: every series here is non-zero.
      expr: `absent((${toPromQL(q)}) != 0)`,
      eval_time: '15m',
      exp_samples: empty ? [{ labels: '{}', value: 1 }] : [],
    })),
  };
}

describe('Grafana dashboard: every query evaluated by promtool', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kubecdn-dashboard-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const promtoolTest = (name: string, groups: object[]): { ok: boolean; output: string } => {
    writeFileSync(path.join(dir, name), stringify({ rule_files: [], evaluation_interval: '1m', tests: groups }));
    const r = spawnSync('promtool', ['test', 'rules', name], { cwd: dir, encoding: 'utf8' });
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  };
  const latency = exprs.filter((e) => e.includes('kubecdn_http_request_duration_seconds'));

  test("sees the selected cluster's series and none of the others' (same name elsewhere, other names here)", () => {
    const r = promtoolTest('dashboard.test.yml', [
      group(exprs, OTHERS, true),
      group(exprs, [...OTHERS, SELECTED], false),
      // the selected cluster with only /events, probe and /metrics requests: no latency to show
      group(latency, [{ ...SELECTED, routes: NOT_LATENCY }], true),
    ]);
    expect(r.ok, r.output).toBe(true);
  });

  test('control: a query without the namespace and cdncluster filters fails the check', () => {
    const unfiltered = exprs[0]!.replaceAll(`${FILTERS[0]},`, '').replaceAll(`${FILTERS[1]},`, '');
    expect(unfiltered).not.toBe(exprs[0]);
    const r = promtoolTest('control.test.yml', [group([unfiltered], OTHERS, true)]);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/FAILED/);
  });
});

describe('scraping without the Prometheus Operator (docs/metrics.md)', () => {
  const doc = readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8');
  const block = /<!-- scrape-config -->\n```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';

  test('the documented scrape job is valid and gives the labels the dashboard selects by', () => {
    type Relabel = { source_labels?: string[]; target_label?: string };
    type Job = { kubernetes_sd_configs?: unknown; static_configs?: unknown; relabel_configs: Relabel[] };
    const job = (parse(block) as { scrape_configs: Job[] }).scrape_configs[0]!;
    expect(job.kubernetes_sd_configs).toEqual([{ role: 'pod' }]);
    // Debian's promtool is built without Kubernetes discovery: the relabelling is checked on a static target.
    const staticJob: Job = { ...job, static_configs: [{ targets: ['pod.invalid:8080'] }] };
    delete staticJob.kubernetes_sd_configs;
    const checkable = { scrape_configs: [staticJob] };
    const dir = mkdtempSync(path.join(tmpdir(), 'kubecdn-scrape-'));
    try {
      writeFileSync(path.join(dir, 'prometheus.yml'), stringify(checkable));
      const r = spawnSync('promtool', ['check', 'config', 'prometheus.yml'], { cwd: dir, encoding: 'utf8' });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const target = (label: string) => job.relabel_configs.find((r) => r.target_label === label)?.source_labels;
    expect(target('namespace')).toEqual(['__meta_kubernetes_namespace']);
    // the same source as the operator's ServiceMonitor relabelling
    expect(target(CLUSTER_TARGET_LABEL)).toEqual([POD_CLUSTER_LABEL_META]);
  });
});
