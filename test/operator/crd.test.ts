// The CRD is generated from the zod schemas the TypeScript types come from, so types and schema cannot drift:
// crds/cdncluster.yaml and the chart's copy must equal the generated CRD (UPDATE_GOLDEN=1 rewrites both).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { buildCrd } from '../../operator/src/api/crd.js';
import { cdnClusterSpecSchema } from '../../operator/src/api/schema.js';
import type { CdnClusterSpec } from '../../operator/src/api/types.js';
import { expectGolden, ROOT } from './helpers.js';
import { validateK8s } from './k8sValidate.js';

const CRD_FILES = ['crds/cdncluster.yaml', 'charts/kubecdn/crds/cdncluster.yaml'];

type Schema = {
  properties?: Record<string, Schema>;
  items?: Schema;
  [k: string]: unknown;
};

function specSchemaOf(crd: unknown): Schema {
  const c = crd as {
    spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
  };
  return c.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;
}

/** Every property path of a structural schema, e.g. "redis.managed.persistence.size". */
function paths(s: Schema, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    out.push(p, ...paths(v, p));
  }
  return out;
}

describe('CdnCluster CRD', () => {
  test.each(CRD_FILES)('%s is the CRD generated from the zod schema', (file) => {
    expectGolden(path.join(ROOT, file), buildCrd());
  });

  test('the written CRD is a valid apiextensions.k8s.io/v1 CustomResourceDefinition', () => {
    validateK8s(parse(readFileSync(path.join(ROOT, CRD_FILES[0]!), 'utf8')));
  });

  test('every field of the TypeScript spec type appears in the CRD schema, and vice versa', () => {
    // A fully populated spec (the parse fills every default) walked key by key against the CRD's properties.
    const full = cdnClusterSpecSchema.parse({
      image: 'x',
      storage: { storageClassName: 'c' },
      redis: {
        managed: {
          persistence: { storageClassName: 'c' },
          resources: { requests: {}, limits: {} },
          passwordSecretRef: { name: 'p' },
          podSecurityContext: { runAsUser: 1, runAsGroup: 1, fsGroup: 1 },
          podLabels: {},
          podAnnotations: {},
        },
      },
      ingress: {
        className: 'c',
        host: 'h',
        tlsSecretName: 't',
        annotations: {},
      },
      resources: { requests: {}, limits: {} },
      scheduling: {
        nodeSelector: {},
        affinity: {},
        tolerations: [],
        topologySpreadConstraints: [],
        podAnnotations: {},
        priorityClassName: 'p',
      },
      metrics: { serviceMonitor: { labels: {} } },
      networkPolicy: { ingressFrom: [], metricsFrom: [] },
      writeTokenSecretRef: { name: 'n' },
      podLabels: {},
      podAnnotations: {},
      extraEnv: [],
      imagePullSecrets: [{ name: 'registry' }],
    });
    const schemaPaths = new Set(paths(specSchemaOf(buildCrd())));
    const valuePaths = objectPaths(full).filter((p) => !p.startsWith('redis.external'));
    for (const p of valuePaths) expect(schemaPaths, p).toContain(p);
    // url and secretRef are exclusive, so no parse yields both: the type says which keys exist.
    const ext: { external: Required<NonNullable<CdnClusterSpec['redis']['external']>> } = {
      external: { url: 'redis://x', secretRef: { name: 'n', key: 'k' } },
    };
    for (const p of objectPaths(ext, 'redis')) expect(schemaPaths, p).toContain(p);
    for (const p of schemaPaths) expect([...valuePaths, ...objectPaths(ext, 'redis')], p).toContain(p);
  });

  test('CEL rules and subresources are there', () => {
    const crd = buildCrd() as {
      spec: { versions: { subresources: unknown }[] };
    };
    expect(crd.spec.versions[0]!.subresources).toEqual({
      status: {},
      scale: {
        specReplicasPath: '.spec.replicas',
        statusReplicasPath: '.status.replicas',
        labelSelectorPath: '.status.selector',
      },
    });
    const rules = JSON.stringify(specSchemaOf(buildCrd()));
    expect(rules).toContain('self.replicationFactor <= self.replicas');
  });

  test('the zod schema refuses what the CEL rules refuse', () => {
    // CEL runs in the API server; the operator repeats the most important rule so a bad spec never reaches desired/.
    expect(cdnClusterSpecSchema.safeParse({ replicas: 1, replicationFactor: 2 }).success).toBe(false);
    expect(cdnClusterSpecSchema.safeParse({ redis: { external: {} } }).success).toBe(false);
    expect(
      cdnClusterSpecSchema.safeParse({
        redis: { managed: {}, external: { url: 'redis://x' } },
      }).success,
    ).toBe(false);
  });
});

function objectPaths(v: unknown, prefix = ''): string[] {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return [];
  const out: string[] = [];
  for (const [k, child] of Object.entries(v)) {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    out.push(p);
    // Maps (labels, requests) and free-form objects have no fixed properties: stop at them.
    if (!FREE_OR_MAP.has(k)) out.push(...objectPaths(child, p));
  }
  return out;
}
const FREE_OR_MAP = new Set([
  'annotations',
  'nodeSelector',
  'affinity',
  'podAnnotations',
  'podLabels',
  'labels',
  'requests',
  'limits',
  'tolerations',
  'topologySpreadConstraints',
]);
