// The ConfigMap, the PodDisruptionBudget, the Ingress and the ServiceMonitor.
import type { CdnCluster } from '../api/types.js';
import { configData } from './env.js';
import { CLUSTER_LABEL, metaFor, METRICS_PATH, namesOf, selectorLabels, SERVICE_LABEL } from './names.js';
import type { IConfigMap, IIngress, IPodDisruptionBudget, IServiceMonitor, Plan } from './types.js';

/** Public routes of the file node (docs/api.md). /internal/ (peer-only), /metrics and the probes stay inside. */
export const PUBLIC_PATHS = [
  '/files',
  '/blobs',
  '/events',
  '/cluster',
  '/write',
  '/read',
  '/read_version',
  '/get_file',
  '/add_file',
] as const;

export function configMap(cluster: CdnCluster): IConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metaFor(cluster, namesOf(cluster).configMap, 'node'),
    data: configData(cluster),
  };
}

/** At most one node down by choice (drain, rolling update): with replicationFactor ≥ 2 every blob stays readable. */
export function podDisruptionBudget(cluster: CdnCluster): IPodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: metaFor(cluster, namesOf(cluster).pdb, 'node'),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: selectorLabels(cluster, 'node') },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}

export function ingress(cluster: CdnCluster): IIngress | undefined {
  const ing = cluster.spec.ingress;
  if (!ing.enabled) return undefined;
  const n = namesOf(cluster);
  const meta = metaFor(cluster, n.ingress, 'node');
  const paths = PUBLIC_PATHS.map((path) => ({
    path,
    pathType: 'Prefix' as const,
    backend: { service: { name: n.clientService, port: { name: 'http' } } },
  }));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      ...meta,
      ...(ing.annotations !== undefined && { annotations: ing.annotations }),
    },
    spec: {
      ...(ing.className !== undefined && { ingressClassName: ing.className }),
      ...(ing.tlsSecretName !== undefined && {
        tls: [{ hosts: [ing.host!], secretName: ing.tlsSecretName }],
      }),
      rules: [{ ...(ing.host !== undefined && { host: ing.host }), http: { paths } }],
    },
  };
}

/** The target label (beside namespace) the chart's dashboard and alerts select a CdnCluster's series by. */
export const CLUSTER_TARGET_LABEL = 'cdncluster';
/** kubecdn.io/cluster of the scraped pod, as Prometheus' Kubernetes service discovery names it. */
export const POD_CLUSTER_LABEL_META = `__meta_kubernetes_pod_label_${CLUSTER_LABEL.replace(/[^a-zA-Z0-9_]/g, '_')}`;

export function serviceMonitor(cluster: CdnCluster, plan: Plan): IServiceMonitor | undefined {
  const sm = cluster.spec.metrics.serviceMonitor;
  if (!sm.enabled || !plan.serviceMonitorAvailable) return undefined;
  const meta = metaFor(cluster, namesOf(cluster).serviceMonitor, 'node');
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { ...meta, labels: { ...meta.labels, ...sm.labels } },
    spec: {
      // The headless Service lists every node, ready or not: a node that fails readiness still reports metrics.
      selector: {
        matchLabels: {
          ...selectorLabels(cluster, 'node'),
          [SERVICE_LABEL]: 'headless',
        },
      },
      namespaceSelector: { matchNames: [cluster.metadata.namespace] },
      endpoints: [
        {
          port: 'http',
          path: METRICS_PATH,
          interval: sm.interval,
          // Every series gets namespace (the Prometheus Operator's own target label) and cdncluster: the dashboard
          // and the alerts select by both, so two clusters of one name in two namespaces never merge.
          relabelings: [
            { sourceLabels: [POD_CLUSTER_LABEL_META], targetLabel: CLUSTER_TARGET_LABEL, action: 'replace' },
          ],
        },
      ],
    },
  };
}
