// desiredObjects for representative specs: golden files (UPDATE_GOLDEN=1 rewrites them; read them by hand), every
// object validated against the upstream Kubernetes schemas, and the properties that matter checked by name.
import { describe, expect, test } from 'vitest';
import { desiredObjects, type Plan } from '../../operator/src/desired/index.js';
import { CLUSTER_LABEL } from '../../operator/src/desired/names.js';
import { cluster, expectGolden, SPECS } from './helpers.js';
import { validateK8s } from './k8sValidate.js';

const CONFIG = { defaultImage: 'ghcr.io/kubecdn/kubecdn:0.1.0' };

function planFor(name: string): Plan {
  const c = cluster(name, SPECS[name]!);
  return {
    statefulSetReplicas: c.spec.replicas,
    volumeClaimTemplate: { size: c.spec.storage.size, storageClassName: c.spec.storage.storageClassName },
    serviceMonitorAvailable: name === 'full',
  };
}

function fixedTokens(): () => string {
  let i = 0;
  return () => `generated-token-${++i}`;
}

function build(name: string) {
  return desiredObjects(cluster(name, SPECS[name]!), CONFIG, planFor(name), fixedTokens());
}

describe.each(Object.keys(SPECS))('desired objects of spec "%s"', (name) => {
  test('match the golden file', () => {
    const d = build(name);
    expectGolden(`desired-${name}.yaml`, [...d.createOnly, ...d.apply]);
  });

  test('are valid against the upstream Kubernetes schemas', () => {
    const d = build(name);
    for (const o of [...d.createOnly, ...d.apply]) validateK8s(o);
  });

  test('are all owned by the CdnCluster and labelled for pruning', () => {
    const d = build(name);
    for (const o of [...d.createOnly, ...d.apply]) {
      expect(o.metadata?.ownerReferences).toEqual([
        {
          apiVersion: 'kubecdn.io/v1alpha1',
          kind: 'CdnCluster',
          name,
          uid: `uid-${name}`,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(o.metadata?.labels?.[CLUSTER_LABEL]).toBe(name);
      expect(o.metadata?.namespace).toBe('cdn');
    }
  });

  test('are the same on every call (level-driven: nothing depends on time or order)', () => {
    expect(build(name)).toEqual(build(name));
  });
});

describe('what matters in the node StatefulSet', () => {
  const sts = (name: string) => {
    const o = build(name).apply.find((x) => x.kind === 'StatefulSet');
    if (o?.kind !== 'StatefulSet') throw new Error('no StatefulSet');
    return o;
  };

  test('probes /healthz and /readyz, grace from the spec, hand-off deadline inside it', () => {
    const s = sts('full');
    const pod = s.spec!.template.spec!;
    const c = pod.containers[0]!;
    expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(pod.terminationGracePeriodSeconds).toBe(300);
    const cm = build('full').apply.find((x) => x.kind === 'ConfigMap');
    const data = (cm as { data: Record<string, string> }).data;
    expect(Number(data.HANDOFF_DEADLINE_MS) + Number(data.SHUTDOWN_GRACE_MS)).toBeLessThan(300_000);
  });

  test('the plan, not the spec, sets replicas and the (immutable) claim template', () => {
    const c = cluster('defaults', { replicas: 5, storage: { size: '20Gi' } });
    const d = desiredObjects(
      c,
      CONFIG,
      { statefulSetReplicas: 4, volumeClaimTemplate: { size: '10Gi' }, serviceMonitorAvailable: false },
      fixedTokens(),
    );
    const s = d.apply.find((x) => x.kind === 'StatefulSet') as ReturnType<typeof sts>;
    expect(s.spec!.replicas).toBe(4);
    expect(s.spec!.volumeClaimTemplates![0]!.spec!.resources!.requests!.storage).toBe('10Gi');
  });

  test("a user's own pod anti-affinity wins over the default spread", () => {
    const c = cluster('mine', {
      scheduling: { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } } },
    });
    const d = desiredObjects(c, CONFIG, planFor('defaults'), fixedTokens());
    const s = d.apply.find((x) => x.kind === 'StatefulSet') as ReturnType<typeof sts>;
    expect(s.spec!.template.spec!.affinity).toEqual({
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] },
    });
  });

  test('a config change changes the pod template (rolls the nodes); a replica change does not', () => {
    const hash = (spec: object) => {
      const d = desiredObjects(cluster('h', spec), CONFIG, planFor('defaults'), fixedTokens());
      const s = d.apply.find((x) => x.kind === 'StatefulSet') as ReturnType<typeof sts>;
      return s.spec!.template.metadata!.annotations!['kubecdn.io/config-hash'];
    };
    expect(hash({ dedupPolicy: 'link' })).not.toBe(hash({}));
    expect(hash({ replicas: 7 })).toBe(hash({}));
  });

  test("the managed Redis fsyncs its append-only file on every write unless told everysec (durable by default)", () => {
    const args = (spec: object): string[] => {
      const d = desiredObjects(cluster('r', spec), CONFIG, planFor('defaults'), fixedTokens());
      const dep = d.apply.find((x) => x.kind === 'Deployment') as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
      return dep.spec.template.spec.containers[0]!.args;
    };
    const fsyncOf = (a: string[]): string | undefined => a[a.indexOf('--appendfsync') + 1];
    expect(fsyncOf(args({}))).toBe('always');
    expect(fsyncOf(args({ redis: { managed: { persistence: { fsync: 'everysec' } } } }))).toBe('everysec');
    expect(args({ redis: { managed: { persistence: { enabled: false } } } })).not.toContain('--appendfsync');
  });

  test('the Ingress exposes public routes only, never /internal/ or /metrics', () => {
    const ing = build('full').apply.find((x) => x.kind === 'Ingress') as {
      spec: { rules: { http: { paths: { path: string }[] } }[] };
    };
    const paths = ing.spec.rules[0]!.http.paths.map((p) => p.path);
    expect(paths).toContain('/files');
    expect(paths.some((p) => p.startsWith('/internal') || p === '/metrics' || p === '/')).toBe(false);
  });

  test('no ServiceMonitor when its CRD is missing, even when asked for', () => {
    expect(build('ephemeral-redis').apply.some((x) => x.kind === 'ServiceMonitor')).toBe(false);
    expect(build('full').apply.some((x) => x.kind === 'ServiceMonitor')).toBe(true);
  });

  test('external Redis: no Redis objects, no Redis password; a user write-token Secret: none generated', () => {
    const kinds = build('full').apply.map((x) => `${x.kind}/${x.metadata?.name}`);
    expect(kinds.some((k) => k.includes('-redis'))).toBe(false);
    expect(build('full').createOnly.map((s) => s.metadata?.name)).toEqual(['full-cluster-secret']);
    expect(build('defaults').createOnly.map((s) => s.metadata?.name)).toEqual([
      'defaults-write-token',
      'defaults-cluster-secret',
      'defaults-redis-password',
    ]);
  });
});
