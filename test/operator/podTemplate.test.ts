// The node and Redis pod templates: Pod Security "restricted" whatever user and groups the spec gives (none at all
// on OpenShift), the user's labels, annotations and environment with the operator's winning where they meet, and the
// prometheus.io annotations a Prometheus without the Prometheus Operator scrapes by.
import { describe, expect, test } from 'vitest';
import { RESERVED_ENV, cdnClusterSpecSchema } from '../../operator/src/api/schema.js';
import type { CdnClusterSpecInput } from '../../operator/src/api/types.js';
import { desiredObjects } from '../../operator/src/desired/index.js';
import { configData, podEnv } from '../../operator/src/desired/env.js';
import { CLUSTER_LABEL, COMPONENT_LABEL } from '../../operator/src/desired/names.js';
import { cluster, SPECS } from './helpers.js';
import { restrictedViolations, type PodSpecLike } from './podSecurity.js';

const CONFIG = { defaultImage: 'kubecdn:test' };

interface Template {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpecLike & {
    securityContext: Record<string, unknown>;
    containers: { name: string; env?: { name: string; value?: string }[] }[];
  };
}

function templates(name: string, spec: CdnClusterSpecInput): { node: Template; redis?: Template } {
  const c = cluster(name, spec);
  const plan = {
    statefulSetReplicas: c.spec.replicas,
    volumeClaimTemplate: { size: '1Gi' },
    serviceMonitorAvailable: true,
  };
  const d = desiredObjects(c, CONFIG, plan, () => 'token');
  const of = (kind: string) =>
    (d.apply.find((o) => o.kind === kind) as { spec: { template: Template } } | undefined)?.spec.template;
  return { node: of('StatefulSet')!, redis: of('Deployment') };
}

describe('Pod Security "restricted"', () => {
  test.each(Object.keys(SPECS))('node and Redis pods of spec "%s" meet it', (name) => {
    const t = templates(name, SPECS[name]!);
    expect(restrictedViolations(t.node.spec)).toEqual([]);
    if (t.redis !== undefined) expect(restrictedViolations(t.redis.spec)).toEqual([]);
  });

  test('the check itself fails an unrestricted pod (control)', () => {
    const t = templates('defaults', {});
    const loose = structuredClone(t.node.spec);
    loose.securityContext = {};
    loose.containers[0]!.securityContext = { allowPrivilegeEscalation: true };
    expect(restrictedViolations(loose)).toEqual([
      'container node: allowPrivilegeEscalation must be false',
      'container node: runAsNonRoot must be true',
      'container node: seccompProfile',
      'container node: capabilities must drop ALL',
    ]);
  });

  test('user and groups: 1000 (node), 999 (Redis) by default, the given ones, or none for the platform to pick', () => {
    const ids = (sc: Record<string, unknown>) => [sc.runAsUser, sc.runAsGroup, sc.fsGroup];
    const byDefault = templates('defaults', {});
    expect(ids(byDefault.node.spec.securityContext)).toEqual([1000, 1000, 1000]);
    expect(ids(byDefault.redis!.spec.securityContext)).toEqual([999, 999, 999]);
    const given = templates('given', {
      podSecurityContext: { runAsUser: 5000 },
      redis: { managed: { podSecurityContext: { runAsUser: 6000, fsGroup: 7000 } } },
    });
    expect(ids(given.node.spec.securityContext)).toEqual([5000, undefined, undefined]);
    expect(ids(given.redis!.spec.securityContext)).toEqual([6000, undefined, 7000]);
    const none = templates('openshift', SPECS.openshift!);
    for (const t of [none.node, none.redis!]) {
      expect(ids(t.spec.securityContext)).toEqual([undefined, undefined, undefined]);
      expect(t.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    }
  });

  test('runAsUser 0 is refused by the schema', () => {
    expect(cdnClusterSpecSchema.safeParse({ podSecurityContext: { runAsUser: 0 } }).success).toBe(false);
  });
});

describe('labels and annotations', () => {
  test("the user's pod labels are there; the selector and app.kubernetes.io labels the operator sets win", () => {
    const t = templates('full', SPECS.full!);
    expect(t.node.metadata.labels['example.com/team']).toBe('web');
    expect(t.node.metadata.labels[COMPONENT_LABEL]).toBe('node'); // the spec said "mine"
    const r = templates('openshift', SPECS.openshift!).redis!;
    expect(r.metadata.labels['example.com/team']).toBe('web');
    expect(r.metadata.labels[CLUSTER_LABEL]).toBe('openshift'); // the spec said "mine"
    expect(r.metadata.annotations).toEqual({ 'example.com/backup': 'nightly' });
  });

  test('podAnnotations win over the deprecated scheduling.podAnnotations; the config hash over both', () => {
    const a = templates('full', SPECS.full!).node.metadata.annotations!;
    expect(a['example.com/team']).toBe('storage');
    expect(a['kubecdn.io/config-hash']).toMatch(/^[0-9a-f]{16}$/);
  });

  test('prometheus.io annotations by default, none when metrics.scrapeAnnotations is false', () => {
    expect(templates('defaults', {}).node.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
    const off = templates('off', { metrics: { scrapeAnnotations: false } }).node.metadata.annotations!;
    expect(Object.keys(off).filter((k) => k.startsWith('prometheus.io/'))).toEqual([]);
  });
});

describe('extraEnv', () => {
  test("comes after the operator's variables (so it can refer to $(POD_NAME))", () => {
    const env = templates('full', SPECS.full!).node.spec.containers[0]!.env!.map((e) => e.name);
    expect(env.slice(-2)).toEqual(['SCRUB_BYTES_PER_SEC', 'HTTPS_PROXY']);
    expect(env.indexOf('POD_NAME')).toBe(0);
  });

  test('may not name a variable the operator sets: RESERVED_ENV is exactly those, for every spec', () => {
    const set = new Set<string>();
    for (const name of Object.keys(SPECS)) {
      const c = cluster(name, SPECS[name]!);
      for (const k of [...Object.keys(configData(c)), ...podEnv(c).map((e) => e.name)]) set.add(k);
    }
    expect([...set].sort()).toEqual([...RESERVED_ENV].sort());
    for (const reserved of ['REPLICATION_FACTOR', 'POD_NAME']) {
      const r = cdnClusterSpecSchema.safeParse({ extraEnv: [{ name: reserved, value: 'x' }] });
      expect(r.success, reserved).toBe(false);
    }
    const allowed = { extraEnv: [{ name: 'SCRUB_BYTES_PER_SEC', value: '1' }] };
    expect(cdnClusterSpecSchema.safeParse(allowed).success).toBe(true);
  });
});
