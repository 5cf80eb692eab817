// A managed Redis for the cluster's metadata, notifications and membership: one Deployment (Recreate: one writer
// on its volume), a Service, and a PersistentVolumeClaim with append-only persistence. Absent for external Redis.
import { redisManagedSchema } from '../api/schema.js';
import type { CdnCluster } from '../api/types.js';
import { redisPasswordEnv } from './env.js';
import { metaFor, namesOf, REDIS_PORT, selectorLabels } from './names.js';
import { podLabels, restrictedContainerSecurity, restrictedPodSecurityContext } from './pod.js';
import type { AppliedObject, IDeployment, IPersistentVolumeClaim, IService } from './types.js';

export function redisObjects(cluster: CdnCluster): AppliedObject[] {
  const managed = managedRedis(cluster);
  if (managed === undefined) return [];
  const objects: AppliedObject[] = [redisService(cluster), redisDeployment(cluster)];
  if (managed.persistence.enabled) objects.unshift(redisPvc(cluster));
  return objects;
}

/** The managed Redis settings with their defaults, or undefined for an external Redis. */
export function managedRedis(cluster: CdnCluster): CdnCluster['spec']['redis']['managed'] {
  const r = cluster.spec.redis;
  if (r.external !== undefined) return undefined;
  return r.managed ?? redisManagedSchema.parse({}); // the schema's defaults, written once there
}

function redisPvc(cluster: CdnCluster): IPersistentVolumeClaim {
  const p = managedRedis(cluster)!.persistence;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: metaFor(cluster, namesOf(cluster).redis, 'redis'),
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: p.size } },
      ...(p.storageClassName !== undefined && {
        storageClassName: p.storageClassName,
      }),
    },
  };
}

function redisService(cluster: CdnCluster): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metaFor(cluster, namesOf(cluster).redis, 'redis'),
    spec: {
      selector: selectorLabels(cluster, 'redis'),
      ports: [
        {
          name: 'redis',
          port: REDIS_PORT,
          targetPort: 'redis',
          protocol: 'TCP',
        },
      ],
    },
  };
}

function redisDeployment(cluster: CdnCluster): IDeployment {
  const m = managedRedis(cluster)!;
  const n = namesOf(cluster);
  const persistent = m.persistence.enabled;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metaFor(cluster, n.redis, 'redis'),
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: selectorLabels(cluster, 'redis') },
      template: {
        metadata: {
          labels: podLabels(cluster, 'redis', m.podLabels),
          ...(m.podAnnotations !== undefined && { annotations: m.podAnnotations }),
        },
        spec: {
          enableServiceLinks: false,
          ...(cluster.spec.imagePullSecrets !== undefined && { imagePullSecrets: cluster.spec.imagePullSecrets }),
          securityContext: restrictedPodSecurityContext(m.podSecurityContext),
          containers: [
            {
              name: 'redis',
              image: m.image,
              // The password comes from the Secret through the environment (Kubernetes expands $(VAR) in args);
              // redis-cli in the probe reads REDISCLI_AUTH.
              env: [redisPasswordEnv(cluster), { name: 'REDISCLI_AUTH', value: '$(REDIS_PASSWORD)' }],
              args: [
                '--requirepass',
                '$(REDIS_PASSWORD)',
                ...(persistent
                  ? ['--appendonly', 'yes', '--appendfsync', m.persistence.fsync, '--dir', '/data']
                  : ['--save', '', '--appendonly', 'no']),
              ],
              ports: [{ name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
              readinessProbe: {
                exec: { command: ['redis-cli', 'ping'] },
                periodSeconds: 5,
                timeoutSeconds: 2,
              },
              livenessProbe: {
                tcpSocket: { port: 'redis' },
                periodSeconds: 10,
                failureThreshold: 3,
              },
              ...(m.resources !== undefined && { resources: m.resources }),
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
              securityContext: restrictedContainerSecurity(),
            },
          ],
          volumes: [
            persistent
              ? { name: 'data', persistentVolumeClaim: { claimName: n.redis } }
              : { name: 'data', emptyDir: {} },
          ],
        },
      },
    },
  };
}
