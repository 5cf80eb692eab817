// The Helm chart: rendered with the real helm binary when one is found (KUBECDN_HELM, or the one built under
// ~/.cache/kubecdn-k8s/*/bin), every rendered object validated against the upstream Kubernetes schemas, the
// operator's pods Pod Security "restricted"; skaffold and kind files agree with it. The dashboard: dashboard.test.ts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, test } from 'vitest';
import { parseCdnCluster } from '../../operator/src/api/parse.js';
import { HELM, ROOT } from './helpers.js';
import { validateK8s } from './k8sValidate.js';
import { restrictedViolations, type PodSpecLike } from './podSecurity.js';

const CHART = path.join(ROOT, 'charts/kubecdn');


function render(...set: string[]): Record<string, unknown>[] {
  const args = ['template', 'kubecdn', CHART, '-n', 'kubecdn-system', '--kube-version', '1.32.0', '--include-crds'];
  for (const s of set) args.push('--set', s);
  const out = execFileSync(HELM!, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null);
}

describe.skipIf(HELM === undefined)('helm chart (rendered by helm)', () => {
  test('lints strictly', () => {
    execFileSync(HELM!, ['lint', '--strict', CHART, '--kube-version', '1.32.0'], { encoding: 'utf8' });
  });

  test.each([
    [[]],
    [['operator.watchNamespace=cdn', 'operator.replicas=2']],
    [['dashboard.enabled=false', 'tests.cdnCluster.name=cdn', 'tests.cdnCluster.namespace=cdn', 'alerts.force=true']],
  ])(
    'every rendered object is valid (%j)',
    (set: string[]) => {
      const docs = render(...set).filter((d) => d.kind !== 'CdnCluster');
      expect(docs.length).toBeGreaterThan(5);
      for (const d of docs) validateK8s(d);
    },
  );

  test('the example CdnCluster is a valid CdnCluster', () => {
    const ex = render('example.enabled=true').find((d) => d.kind === 'CdnCluster');
    const r = parseCdnCluster({ ...ex, metadata: { ...(ex!.metadata as object), uid: 'x' } });
    expect(r.ok ? [] : r.problems).toEqual([]);
  });

  test('watching one namespace binds the operator role there only', () => {
    const docs = render('operator.watchNamespace=cdn');
    const bindings = docs.filter((d) => String((d.metadata as { name: string }).name).endsWith('-operator'));
    expect(bindings.map((d) => d.kind).sort()).toEqual(['ClusterRole', 'Deployment', 'NetworkPolicy', 'RoleBinding']);
  });

  test('values.schema.json refuses a wrong value', () => {
    expect(() => render('operator.replicas=lots')).toThrow(/replicas/);
  });

  test('a NetworkPolicy for the operator pod: its own pods, 8081 in, API server and DNS out; switchable', () => {
    type Np = { spec: { podSelector: { matchLabels: Record<string, string> }; ingress: { ports: { port: number }[] }[]; egress: { ports: { protocol: string; port: number }[]; to?: unknown[] }[] } };
    const docs = render();
    const nps = docs.filter((d) => d.kind === 'NetworkPolicy') as unknown as Np[];
    expect(nps).toHaveLength(1);
    const np = nps[0]!;
    validateK8s(np);
    const dep = docs.find((d) => d.kind === 'Deployment') as { spec: { template: { metadata: { labels: Record<string, string> } } } };
    expect(dep.spec.template.metadata.labels).toMatchObject(np.spec.podSelector.matchLabels);
    expect(np.spec.ingress.flatMap((r) => r.ports.map((p) => p.port))).toEqual([8081]);
    expect(np.spec.egress.map((r) => r.ports.map((p) => `${p.protocol}/${p.port}`))).toEqual([['TCP/443', 'TCP/6443'], ['UDP/53', 'TCP/53']]);
    const narrowed = render('operator.networkPolicy.apiServer.cidrs[0]=10.0.0.1/32', 'operator.networkPolicy.dns=false');
    const np2 = narrowed.find((d) => d.kind === 'NetworkPolicy') as unknown as Np;
    validateK8s(np2);
    expect(np2.spec.egress).toEqual([{ ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }], to: [{ ipBlock: { cidr: '10.0.0.1/32' } }] }]);
    expect(render('operator.networkPolicy.enabled=false').filter((d) => d.kind === 'NetworkPolicy')).toHaveLength(0);
    expect(() => render('operator.networkPolicy.apiServer.cidrs[0]=apiserver')).toThrow(/cidrs/);
  });

  test('a PodDisruptionBudget for the operator only when it runs more than one replica', () => {
    const pdbs = (...set: string[]) => render(...set).filter((d) => d.kind === 'PodDisruptionBudget');
    expect(pdbs()).toHaveLength(0);
    const [pdb] = pdbs('operator.replicas=2');
    expect((pdb as { spec: { maxUnavailable: number } }).spec.maxUnavailable).toBe(1);
  });

  test('nameOverride, fullnameOverride, operator.podLabels and operator.extraEnv reach what they name', () => {
    const named = (docs: Record<string, unknown>[]): string[] =>
      docs.filter((d) => d.kind !== 'CustomResourceDefinition').map((d) => String((d.metadata as { name: string }).name));
    expect(named(render('fullnameOverride=cdnop')).every((n) => n.startsWith('cdnop'))).toBe(true);
    const over = render('nameOverride=files');
    expect(named(over).every((n) => n.startsWith('kubecdn-files'))).toBe(true);
    const labels = over.map((d) => (d.metadata as { labels?: Record<string, string> }).labels?.['app.kubernetes.io/name']);
    expect(new Set(labels.filter((l) => l !== undefined))).toEqual(new Set(['files']));
    type Dep = { spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: { env: { name: string; value?: string }[] }[] } } } };
    const dep = render('operator.podLabels.team=storage', 'operator.extraEnv[0].name=HTTPS_PROXY', 'operator.extraEnv[0].value=http://proxy:3128')
      .find((d) => d.kind === 'Deployment') as unknown as Dep;
    expect(dep.spec.template.metadata.labels.team).toBe('storage');
    expect(dep.spec.template.spec.containers[0]!.env).toContainEqual({ name: 'HTTPS_PROXY', value: 'http://proxy:3128' });
    expect(() => render('operator.extraEnv[0].value=no-name')).toThrow(/name/);
  });
});

describe.skipIf(HELM === undefined)('operator pod security (helm)', () => {
  type Pod = PodSpecLike & { securityContext: Record<string, unknown> };
  const pods = (...set: string[]): Pod[] =>
    render('tests.cdnCluster.name=cdn', ...set).flatMap((d) => {
      if (d.kind === 'Pod') return [d.spec as Pod];
      if (d.kind === 'Deployment') return [(d.spec as { template: { spec: Pod } }).template.spec];
      return [];
    });

  test.each([[[]], [['operator.podSecurityContext.runAsUser=null', 'operator.podSecurityContext.runAsGroup=null']]])(
    'the operator and helm test pods meet Pod Security "restricted" (%j)',
    (set: string[]) => {
      const all = pods(...set);
      expect(all).toHaveLength(2);
      for (const p of all) expect(restrictedViolations(p)).toEqual([]);
    },
  );

  test('user and groups are overridable, or left to the platform (OpenShift) when set to null', () => {
    for (const p of pods()) expect(p.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000 });
    for (const p of pods('operator.podSecurityContext.runAsUser=1000700000', 'operator.podSecurityContext.fsGroup=5')) {
      expect(p.securityContext).toMatchObject({ runAsUser: 1000700000, runAsGroup: 1000, fsGroup: 5 });
    }
    for (const p of pods('operator.podSecurityContext=null')) {
      expect(p.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    }
    // Only user and groups: runAsNonRoot and the seccomp profile are not the values' to change.
    expect(() => render('operator.podSecurityContext.runAsNonRoot=false')).toThrow(/runAsNonRoot/);
    expect(() => render('operator.podSecurityContext.runAsUser=0')).toThrow(/runAsUser/);
  });
});

describe('skaffold and kind files agree with the chart', () => {
  const skaffold = parse(readFileSync(path.join(ROOT, 'skaffold.yaml'), 'utf8'));
  const values = parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8'));

  test('skaffold builds the image the chart deploys and deploys this chart', () => {
    const image = skaffold.build.artifacts[0].image as string;
    const release = skaffold.deploy.helm.releases[0] as {
      chartPath: string;
      setValueTemplates: Record<string, string>;
      setValues?: Record<string, unknown>;
    };
    expect(release.chartPath).toBe('charts/kubecdn');
    expect(release.setValueTemplates['image.repository']).toContain(`IMAGE_REPO_${image}`);
    expect(release.setValueTemplates['image.tag']).toContain(`IMAGE_TAG_${image}`);
    expect(values.image.repository).toBe(image);
    const setKeys = [...Object.keys(release.setValueTemplates), ...Object.keys(release.setValues ?? {})];
    for (const k of setKeys) expect(get(values, k), k).toBeDefined();
  });

  test('the e2e kind config and script exist and name the chart and the same cluster', () => {
    const kind = parse(readFileSync(path.join(ROOT, 'test/e2e/kind.yaml'), 'utf8'));
    expect(kind.kind).toBe('Cluster');
    const script = readFileSync(path.join(ROOT, 'test/e2e/run.sh'), 'utf8');
    expect(script).toContain(`CLUSTER=${kind.name}`);
    expect(skaffold.deploy.kubeContext).toBe(`kind-${kind.name}`);
    expect(script).toContain('test/e2e/kind.yaml');
    expect(script).toContain('skaffold run');
  });
});

function get(obj: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}
