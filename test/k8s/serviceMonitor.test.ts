// The ServiceMonitor CRD installed after the operator runs: the operator (with the chart's RBAC, not admin) notices
// it through its CRD watch and makes the ServiceMonitor at once, not at the next periodic resync (10 min here, far
// beyond the wait). The CdnCluster lives in a namespace that enforces Pod Security "restricted" and leaves user and
// groups to the platform (podSecurityContext: {}): its node pod is admitted, runs (kwok) and carries the pod
// labels, annotations and environment of the spec.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readControlPlaneEnv } from '../controlplane/controlplane.js';
import {
  cdnYaml,
  CP_DIR,
  deleteNamespace,
  ensureCrd,
  getJson,
  HAVE_CP,
  kubectl,
  kubectlTry,
  ROOT,
  runBin,
  serviceAccountKubeconfig,
  startOperator,
  stopAllOperators,
  waitFor,
  type Obj,
  type OperatorProc,
} from './helpers.js';

const NS = 'k8s-sm';
const NAME = 'cdn';
const RELEASE = 'k8s-sm';
const SM_CRD = 'servicemonitors.monitoring.coreos.com';
const PV = 'k8s-sm-data-0';
const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Lease']);

/** A stand-in for the Prometheus Operator's CRD: the same group, kind and names, a schema that keeps any field. */
const SERVICE_MONITOR_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: SM_CRD },
  spec: {
    group: 'monitoring.coreos.com',
    names: {
      kind: 'ServiceMonitor',
      listKind: 'ServiceMonitorList',
      plural: 'servicemonitors',
      singular: 'servicemonitor',
    },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

const condition = (c: Obj | undefined, type: string): Obj | undefined =>
  ((c?.status?.conditions ?? []) as Obj[]).find((x) => x.type === type);

/** The chart's ServiceAccount, RBAC and Lease for a release in NS watching NS, as helm renders them. */
function applyChartRbac(): Obj[] {
  const helm = join(readControlPlaneEnv(CP_DIR ?? '').KUBECDN_K8S_BIN ?? '', 'helm');
  const t = runBin(helm, [
    'template', RELEASE, join(ROOT, 'charts/kubecdn'), '-n', NS, '--kube-version', '1.32.0',
    '--set', `operator.watchNamespace=${NS}`,
  ]);
  if (t.code !== 0) throw new Error(t.stderr);
  const docs = parseAllDocuments(t.stdout)
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => d !== null && RBAC_KINDS.has(String(d.kind)));
  kubectl(['apply', '-f', '-'], docs.map((d) => JSON.stringify(d)).join('\n'));
  return docs;
}

describe.skipIf(!HAVE_CP)('ServiceMonitor CRD installed after the operator', () => {
  let op: OperatorProc;
  let dir = '';
  let rbac: Obj[] = [];

  beforeAll(() => {
    ensureCrd();
    kubectlTry(['delete', 'crd', SM_CRD, '--wait=true']);
    kubectl(['create', 'namespace', NS]);
    kubectl(['label', 'namespace', NS, 'pod-security.kubernetes.io/enforce=restricted']);
    rbac = applyChartRbac();
    // The node's claim binds to this volume (no provisioner here), so that the node pod can be scheduled.
    kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: PV },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/k8s-sm' } },
    }));
    dir = mkdtempSync(join(tmpdir(), 'k8s-sm-'));
    const sa = rbac.find((d) => d.kind === 'ServiceAccount')!.metadata.name as string;
    const lease = rbac.find((d) => d.kind === 'Lease')!.metadata.name as string;
    op = startOperator({
      identity: 'op-sm',
      namespace: NS,
      watchNamespace: NS,
      leaseName: lease,
      kubeconfig: serviceAccountKubeconfig(NS, sa, join(dir, 'kubeconfig')),
    });
  });
  afterAll(async () => {
    await stopAllOperators();
    kubectlTry(['delete', 'crd', SM_CRD, '--wait=false']);
    deleteNamespace(NS);
    kubectlTry(['delete', 'pv', PV, '--wait=false']);
    for (const d of rbac.filter((x) => x.kind === 'ClusterRole' || x.kind === 'ClusterRoleBinding')) {
      kubectlTry(['delete', String(d.kind).toLowerCase(), String(d.metadata.name)]);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const withLogs = (err: unknown): never => {
    throw new Error(`${String(err)}\noperator log tail:\n${op.logs().slice(-4000)}`);
  };

  it('settles without one (Degraded ServiceMonitorUnavailable), its node pod admitted as "restricted"', async () => {
    kubectl(['apply', '-f', '-'], cdnYaml(NS, NAME, {
      replicas: 1,
      replicationFactor: 1,
      storage: { size: '1Gi' },
      redis: { external: { url: 'redis://redis.example.invalid:6379' } },
      podSecurityContext: {},
      podLabels: { 'example.com/team': 'web' },
      podAnnotations: { 'example.com/owner': 'storage' },
      extraEnv: [{ name: 'SCRUB_BYTES_PER_SEC', value: '1024' }],
      metrics: { serviceMonitor: { enabled: true } },
    }));
    // Stable: nothing under way, so no requeue either; and the node counted available (minReadySeconds after
    // ready), the StatefulSet's last status change: from here only a watch event wakes the operator.
    const settled = await waitFor('the CdnCluster to settle', () => {
      const c = getJson(['-n', NS, 'cdncluster', NAME]);
      const stable = condition(c, 'Progressing')?.reason === 'Stable';
      const available = getJson(['-n', NS, 'statefulset', NAME])?.status?.availableReplicas === 1;
      return stable && available && condition(c, 'Degraded')?.reason === 'ServiceMonitorUnavailable' ? c : undefined;
    }, 90_000).catch(withLogs);
    expect(condition(settled, 'Ready')?.status).toBe('True');
    const pod = getJson(['-n', NS, 'pod', `${NAME}-0`])!;
    expect(pod.metadata.labels['example.com/team']).toBe('web');
    expect(pod.metadata.annotations).toMatchObject({
      'example.com/owner': 'storage',
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
    });
    expect(pod.spec.securityContext.runAsUser).toBeUndefined();
    expect(pod.spec.containers[0].env).toContainEqual({ name: 'SCRUB_BYTES_PER_SEC', value: '1024' });
    expect(getJson(['-n', NS, 'servicemonitor', NAME])).toBeUndefined(); // no such kind yet
  });

  it('makes the ServiceMonitor once the CRD is installed, and clears Degraded', async () => {
    kubectl(['apply', '-f', '-'], JSON.stringify(SERVICE_MONITOR_CRD));
    const sm = await waitFor('the ServiceMonitor', () => getJson(['-n', NS, 'servicemonitor', NAME]), 60_000).catch(
      withLogs,
    );
    expect(sm.spec.endpoints[0].relabelings).toContainEqual(
      expect.objectContaining({ targetLabel: 'cdncluster' }),
    );
    await waitFor('Degraded to clear', () => {
      const c = getJson(['-n', NS, 'cdncluster', NAME]);
      return condition(c, 'Degraded')?.status === 'False';
    }).catch(withLogs);
    // Woken by the CRD watch: the periodic resync (10 min) never ran.
    expect(op.lines().some((l) => l.msg === 'resync' && l.why === 'ServiceMonitor CRD changed')).toBe(true);
    expect(op.lines().some((l) => l.msg === 'resync' && l.why === 'periodic')).toBe(false);
    expect(op.exited()).toBe(false);
  });
});
