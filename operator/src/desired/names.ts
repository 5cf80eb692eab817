// Names, labels and owner references of everything one CdnCluster owns: decided here, once.
import { API_VERSION, KIND } from '../api/schema.js';
import type { CdnCluster } from '../api/types.js';

export const FIELD_MANAGER = 'kubecdn-operator';
export const CLUSTER_LABEL = 'kubecdn.io/cluster';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const SERVICE_LABEL = 'kubecdn.io/service';
export const CONFIG_HASH_ANNOTATION = 'kubecdn.io/config-hash';
export const NODE_PORT = 8080;
export const METRICS_PATH = '/metrics';
export const REDIS_PORT = 6379;
export const DATA_VOLUME = 'data';
export const DATA_DIR = '/data';

export type Component = 'node' | 'redis';

export interface Names {
  statefulSet: string;
  headlessService: string;
  clientService: string;
  configMap: string;
  writeTokenSecret: string;
  clusterSecret: string;
  pdb: string;
  ingress: string;
  serviceMonitor: string;
  nodeNetworkPolicy: string;
  redisNetworkPolicy: string;
  redis: string;
  redisPasswordSecret: string;
}

export function namesOf(cluster: CdnCluster): Names {
  const n = cluster.metadata.name;
  return {
    statefulSet: n,
    headlessService: `${n}-nodes`,
    clientService: n,
    configMap: `${n}-config`,
    writeTokenSecret: cluster.spec.writeTokenSecretRef?.name ?? `${n}-write-token`,
    clusterSecret: `${n}-cluster-secret`,
    pdb: n,
    ingress: n,
    serviceMonitor: n,
    nodeNetworkPolicy: n,
    redisNetworkPolicy: `${n}-redis`,
    redis: `${n}-redis`,
    redisPasswordSecret: cluster.spec.redis.managed?.passwordSecretRef?.name ?? `${n}-redis-password`,
  };
}

/** Labels every owned object carries: the operator lists by them to prune what is no longer wanted. */
export function ownedLabels(cluster: CdnCluster): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'kubecdn',
    'app.kubernetes.io/instance': cluster.metadata.name,
    [MANAGED_BY_LABEL]: FIELD_MANAGER,
    [CLUSTER_LABEL]: cluster.metadata.name,
  };
}

/** The pod selector of one component (never changes for a cluster: StatefulSet selectors are immutable). */
export function selectorLabels(cluster: CdnCluster, component: Component): Record<string, string> {
  return {
    [CLUSTER_LABEL]: cluster.metadata.name,
    [COMPONENT_LABEL]: component,
  };
}

export function selectorString(cluster: CdnCluster, component: Component): string {
  return Object.entries(selectorLabels(cluster, component))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

export function ownerReference(cluster: CdnCluster): OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: cluster.metadata.name,
    uid: cluster.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function metaFor(cluster: CdnCluster, name: string, component?: Component): ObjectMeta {
  const labels = ownedLabels(cluster);
  if (component !== undefined) labels[COMPONENT_LABEL] = component;
  return {
    name,
    namespace: cluster.metadata.namespace,
    labels,
    ownerReferences: [ownerReference(cluster)],
  };
}
