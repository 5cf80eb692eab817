// The file node's environment (docs/configuration.md): plain settings in a ConfigMap, secrets by reference.
import type { CdnCluster } from '../api/types.js';
import { DATA_DIR, namesOf, NODE_PORT, REDIS_PORT } from './names.js';

/** Hand-off time on SIGTERM: the grace period minus the request drain and a margin before SIGKILL. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** New requests still taken after SIGTERM, while endpoint removal reaches kube-proxy and the Ingress (overlaps the hand-off). */
export const SHUTDOWN_DRAIN_MS = 5_000;
const KILL_MARGIN_MS = 10_000;

export function handoffDeadlineMs(cluster: CdnCluster): number {
  return Math.max(5_000, cluster.spec.terminationGracePeriodSeconds * 1000 - SHUTDOWN_GRACE_MS - KILL_MARGIN_MS);
}

export function managedRedisUrl(cluster: CdnCluster): string {
  const n = namesOf(cluster);
  return `redis://${n.redis}.${cluster.metadata.namespace}.svc:${REDIS_PORT}`;
}

/** Settings without secrets, in the ConfigMap the pods load with envFrom. Sorted keys: a stable hash. */
export function configData(cluster: CdnCluster): Record<string, string> {
  const s = cluster.spec;
  const data: Record<string, string> = {
    CACHE_MAX_BYTES: String(s.cache.maxBytes),
    DATA_DIR,
    DEDUP_POLICY: s.dedupPolicy,
    HANDOFF_DEADLINE_MS: String(handoffDeadlineMs(cluster)),
    LOCK_MODE: s.lockMode,
    LOG_LEVEL: s.logLevel,
    PORT: String(NODE_PORT),
    REPLICATION_FACTOR: String(s.replicationFactor),
    SHUTDOWN_DRAIN_MS: String(SHUTDOWN_DRAIN_MS),
    SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
  };
  const ext = s.redis.external;
  if (ext === undefined) data.REDIS_URL = managedRedisUrl(cluster);
  else if (ext.url !== undefined) data.REDIS_URL = ext.url;
  return Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    secretKeyRef?: { name: string; key: string };
  };
}

/** Per-pod and secret variables; POD_NAME comes first so that later values can refer to $(POD_NAME). */
export function podEnv(cluster: CdnCluster): EnvVar[] {
  const n = namesOf(cluster);
  const ns = cluster.metadata.namespace;
  const env: EnvVar[] = [
    {
      name: 'POD_NAME',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    },
    { name: 'NODE_ID', value: '$(POD_NAME)' },
    {
      name: 'ADVERTISE_URL',
      value: `http://$(POD_NAME).${n.headlessService}.${ns}.svc:${NODE_PORT}`,
    },
    {
      name: 'WRITE_TOKEN',
      valueFrom: {
        secretKeyRef: { name: n.writeTokenSecret, key: writeTokenKey(cluster) },
      },
    },
    {
      name: 'CLUSTER_SECRET',
      valueFrom: {
        secretKeyRef: { name: n.clusterSecret, key: CLUSTER_SECRET_KEY },
      },
    },
  ];
  if (cluster.spec.redis.external === undefined) env.push(redisPasswordEnv(cluster));
  const ref = cluster.spec.redis.external?.secretRef;
  if (ref !== undefined)
    env.push({
      name: 'REDIS_URL',
      valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
    });
  return env;
}

export const CLUSTER_SECRET_KEY = 'secret';

export const REDIS_PASSWORD_KEY = 'password';

/** The managed Redis' password, from its Secret: the nodes authenticate with it, Redis requires it. */
export function redisPasswordEnv(cluster: CdnCluster): EnvVar {
  const key = cluster.spec.redis.managed?.passwordSecretRef?.key ?? REDIS_PASSWORD_KEY;
  return { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: namesOf(cluster).redisPasswordSecret, key } } };
}

export function writeTokenKey(cluster: CdnCluster): string {
  return cluster.spec.writeTokenSecretRef?.key ?? 'token';
}
