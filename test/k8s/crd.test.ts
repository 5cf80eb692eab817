// 1-3: the CRD installs and becomes Established, its schema and CEL rules reject bad specs, printer columns show.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cdnYaml,
  createNamespace,
  deleteNamespace,
  ensureCrd,
  getJson,
  HAVE_CP,
  kubectl,
  kubectlTry,
  ROOT,
} from './helpers.js';
import { join } from 'node:path';

const NS = 'k8s-crd';

describe.skipIf(!HAVE_CP)('CdnCluster CRD on a real apiserver', () => {
  beforeAll(() => createNamespace(NS));
  afterAll(() => deleteNamespace(NS));

  it('installs with kubectl apply and becomes Established', () => {
    const out = kubectl(['apply', '-f', join(ROOT, 'crds/cdncluster.yaml')]);
    expect(out).toMatch(
      /customresourcedefinition\.apiextensions\.k8s\.io\/cdnclusters\.kubecdn\.io (created|configured|unchanged)/,
    );
    kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/cdnclusters.kubecdn.io']);
    const crd = getJson(['crd', 'cdnclusters.kubecdn.io']);
    const conds = (crd?.status?.conditions ?? []) as {
      type: string;
      status: string;
    }[];
    expect(conds.find((c) => c.type === 'Established')?.status).toBe('True');
    expect(conds.find((c) => c.type === 'NamesAccepted')?.status).toBe('True');
    // Served: the API resource list knows the kind and its short name.
    expect(kubectl(['api-resources', '--api-group=kubecdn.io', '--no-headers'])).toMatch(
      /cdnclusters\s+cdn\s+kubecdn\.io\/v1alpha1\s+true\s+CdnCluster/,
    );
  });

  it.each([
    [
      'replicationFactor > replicas (CEL)',
      { replicas: 2, replicationFactor: 3 },
      /replicationFactor must not exceed replicas/,
    ],
    [
      'bad enum',
      { replicas: 1, replicationFactor: 1, dedupPolicy: 'maybe' },
      /spec\.dedupPolicy: Unsupported value: "maybe"/,
    ],
    [
      'negative replicas',
      { replicas: -1 },
      /spec\.replicas: Invalid value: -1: spec\.replicas in body should be greater than or equal to 1/,
    ],
    [
      'redis managed and external (CEL)',
      {
        replicas: 1,
        replicationFactor: 1,
        redis: { managed: {}, external: { url: 'redis://x' } },
      },
      /managed and external are exclusive/,
    ],
    [
      'TLS without host (CEL)',
      {
        replicas: 1,
        replicationFactor: 1,
        ingress: { enabled: true, tlsSecretName: 'tls' },
      },
      /TLS needs a host/,
    ],
    [
      'extraEnv naming a variable the operator sets (CEL)',
      { replicas: 1, replicationFactor: 1, extraEnv: [{ name: 'REPLICATION_FACTOR', value: '3' }] },
      /extraEnv may not set a variable the operator sets/,
    ],
    [
      'two extraEnv entries of one name (list-map)',
      { replicas: 1, replicationFactor: 1, extraEnv: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] },
      /spec\.extraEnv\[1\]: Duplicate value/,
    ],
    [
      'runAsUser 0',
      { replicas: 1, replicationFactor: 1, podSecurityContext: { runAsUser: 0 } },
      /spec\.podSecurityContext\.runAsUser in body should be greater than or equal to 1/,
    ],
    [
      'bad storage size pattern',
      { replicas: 1, replicationFactor: 1, storage: { size: '10 gigs' } },
      /spec\.storage\.size in body should match/,
    ],
  ])('rejects %s', (_what, spec, message) => {
    ensureCrd();
    const r = kubectlTry(['apply', '-f', '-'], cdnYaml(NS, 'bad', spec));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/is invalid/);
    expect(r.stderr).toMatch(message);
    expect(kubectlTry(['-n', NS, 'get', 'cdncluster', 'bad']).code).not.toBe(0);
  });

  it('rejects a storageClassName change (CEL transition rule) and accepts a valid spec with defaults', () => {
    ensureCrd();
    kubectl(
      ['apply', '-f', '-'],
      cdnYaml(NS, 'good', {
        replicas: 2,
        storage: { size: '1Gi', storageClassName: 'a' },
      }),
    );
    const got = getJson(['-n', NS, 'cdncluster', 'good']);
    expect(got?.spec?.replicationFactor).toBe(2); // defaulted by the schema
    expect(got?.spec?.dedupPolicy).toBe('reject');
    const r = kubectlTry([
      '-n',
      NS,
      'patch',
      'cdncluster',
      'good',
      '--type=merge',
      '-p',
      '{"spec":{"storage":{"storageClassName":"b"}}}',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/storageClassName cannot change/);
  });

  it('defaults user and groups when podSecurityContext is absent, and keeps {} (the platform picks) as given', () => {
    ensureCrd();
    kubectl(['apply', '-f', '-'], cdnYaml(NS, 'ids', { replicas: 1, replicationFactor: 1 }));
    const noIds = { podSecurityContext: {}, redis: { managed: { podSecurityContext: {} } } };
    kubectl(['apply', '-f', '-'], cdnYaml(NS, 'noids', { replicas: 1, replicationFactor: 1, ...noIds }));
    const ids = getJson(['-n', NS, 'cdncluster', 'ids'])?.spec;
    expect(ids?.podSecurityContext).toEqual({ runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 });
    expect(ids?.metrics?.scrapeAnnotations).toBe(true);
    const none = getJson(['-n', NS, 'cdncluster', 'noids'])?.spec;
    expect(none?.podSecurityContext).toEqual({});
    expect(none?.redis?.managed?.podSecurityContext).toEqual({});
  });

  it('shows the printer columns', () => {
    ensureCrd();
    kubectl(['apply', '-f', '-'], cdnYaml(NS, 'cols', { replicas: 1, replicationFactor: 1 }));
    const header = (kubectl(['-n', NS, 'get', 'cdnclusters']).split('\n')[0] ?? '').trim().split(/\s+/);
    expect(header).toEqual(['NAME', 'REPLICAS', 'READY', 'REDIS', 'STATUS', 'AGE']);
    const wide = (kubectl(['-n', NS, 'get', 'cdn', '-o', 'wide']).split('\n')[0] ?? '').trim().split(/\s+/);
    expect(wide).toEqual(['NAME', 'REPLICAS', 'READY', 'REDIS', 'STATUS', 'REASON', 'IMAGE', 'AGE']);
    const row = kubectl(['-n', NS, 'get', 'cdn', 'cols', '--no-headers']).trim().split(/\s+/);
    expect(row[0]).toBe('cols');
    expect(row[1]).toBe('1');
  });
});
