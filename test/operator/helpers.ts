// Shared test helpers for the operator: golden files, representative CdnClusters, and validation of objects
// against the upstream Kubernetes OpenAPI schemas (kubernetes-models ships validators generated from them).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { expect } from 'vitest';
import { parseCdnCluster } from '../../operator/src/api/parse.js';
import type { CdnCluster, CdnClusterSpecInput } from '../../operator/src/api/types.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const GOLDEN_DIR = path.join(ROOT, 'test/operator/golden');
export const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** Compares value with a YAML golden file; UPDATE_GOLDEN=1 rewrites it (then read the diff by hand). */
export function expectGolden(file: string, value: unknown): void {
  const full = path.isAbsolute(file) ? file : path.join(GOLDEN_DIR, file);
  const text = toYaml(value);
  if (UPDATE || !existsSync(full)) {
    if (!UPDATE) throw new Error(`${full} is missing: run with UPDATE_GOLDEN=1 and read it`);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
    return;
  }
  const docs = parseAllDocuments(readFileSync(full, 'utf8'), { version: '1.1' }).map((d) => d.toJS() as unknown);
  expect(Array.isArray(value) ? docs : docs[0]).toEqual(JSON.parse(JSON.stringify(value)));
}

export function toYaml(value: unknown): string {
  const docs = Array.isArray(value) ? value : [value];
  // YAML 1.1 quoting ("yes", "no" stay strings) so that kubectl reads the goldens as the operator sends them.
  return docs.map((d) => stringify(d, { lineWidth: 0, version: '1.1', directives: false })).join('---\n');
}

export function cluster(name: string, spec: CdnClusterSpecInput, namespace = 'cdn'): CdnCluster {
  const r = parseCdnCluster({
    apiVersion: 'kubecdn.io/v1alpha1',
    kind: 'CdnCluster',
    metadata: { name, namespace, uid: `uid-${name}`, generation: 1 },
    spec,
  });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.cluster;
}

/** Representative specs, one golden file each. */
export const SPECS: Record<string, CdnClusterSpecInput> = {
  defaults: {},
  full: {
    replicas: 5,
    image: 'registry.example.com/kubecdn:1.2.3',
    imagePullPolicy: 'Always',
    imagePullSecrets: [{ name: 'registry-example-com' }],
    storage: { size: '50Gi', storageClassName: 'fast-ssd' },
    cache: { maxBytes: 4294967296 },
    replicationFactor: 3,
    dedupPolicy: 'link',
    lockMode: 'ricart-agrawala',
    redis: {
      external: { secretRef: { name: 'redis-credentials', key: 'url' } },
    },
    ingress: {
      enabled: true,
      className: 'nginx',
      host: 'cdn.example.com',
      tlsSecretName: 'cdn-example-tls',
      annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '0' },
    },
    resources: {
      requests: { cpu: '500m', memory: '512Mi' },
      limits: { memory: '1Gi' },
    },
    scheduling: {
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }],
              },
            ],
          },
        },
      },
      tolerations: [
        {
          key: 'dedicated',
          operator: 'Equal',
          value: 'cdn',
          effect: 'NoSchedule',
        },
      ],
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: {
            matchLabels: {
              'kubecdn.io/cluster': 'full',
              'app.kubernetes.io/component': 'node',
            },
          },
        },
      ],
      podAnnotations: { 'example.com/team': 'web' },
      priorityClassName: 'high',
    },
    metrics: {
      serviceMonitor: {
        enabled: true,
        interval: '15s',
        labels: { release: 'prometheus' },
      },
    },
    writeTokenSecretRef: { name: 'my-write-token', key: 'value' },
    terminationGracePeriodSeconds: 300,
    logLevel: 'debug',
    podSecurityContext: { runAsUser: 2000, runAsGroup: 2000, fsGroup: 3000 },
    // A user label that names a selector label loses to the operator's; the deprecated scheduling.podAnnotations
    // loses to podAnnotations.
    podLabels: { 'example.com/team': 'web', 'app.kubernetes.io/component': 'mine' },
    podAnnotations: { 'example.com/team': 'storage', 'kubecdn.io/config-hash': 'mine' },
    networkPolicy: {
      ingressFrom: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
        },
      ],
      metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    },
    extraEnv: [
      { name: 'SCRUB_BYTES_PER_SEC', value: '1048576' },
      { name: 'HTTPS_PROXY', valueFrom: { secretKeyRef: { name: 'proxy', key: 'url' } } },
    ],
  },
  'ephemeral-redis': {
    replicas: 2,
    imagePullSecrets: [{ name: 'private-redis' }],
    redis: {
      managed: {
        image: 'redis:7.2',
        persistence: { enabled: false },
        resources: { requests: { cpu: 1, memory: '256Mi' } },
      },
    },
    ingress: { enabled: true },
    scheduling: { antiAffinity: 'required' },
    metrics: { serviceMonitor: { enabled: true } },
  },
  'external-url': {
    replicas: 1,
    replicationFactor: 1,
    redis: { external: { url: 'redis://redis.shared.svc:6379/3' } },
    scheduling: { antiAffinity: 'none' },
    metrics: { scrapeAnnotations: false },
    networkPolicy: { enabled: false },
  },
  // OpenShift's restricted-v2 SCC assigns user and groups itself: none set, still Pod Security "restricted".
  openshift: {
    podSecurityContext: {},
    redis: {
      managed: {
        podSecurityContext: {},
        podLabels: { 'example.com/team': 'web', 'kubecdn.io/cluster': 'mine' },
        podAnnotations: { 'example.com/backup': 'nightly' },
      },
    },
  },
};

/** The real helm binary: KUBECDN_HELM (scripts/test.sh builds and exports it), or one built under ~/.cache/kubecdn-k8s. */
export const HELM: string | undefined = (() => {
  if (process.env.KUBECDN_HELM) return process.env.KUBECDN_HELM;
  const cache = path.join(homedir(), '.cache/kubecdn-k8s');
  if (!existsSync(cache)) return undefined;
  return readdirSync(cache)
    .map((v) => path.join(cache, v, 'bin/helm'))
    .find((p) => existsSync(p));
})();
