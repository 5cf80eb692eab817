// The file nodes: a StatefulSet with one volume per node, probes on /healthz and /readyz, spread over hosts, and a
// termination grace long enough for a stopping node to hand its blobs to their new homes.
import { createHash } from 'node:crypto';
import type { CdnCluster } from '../api/types.js';
import { configData, podEnv } from './env.js';
import {
  CONFIG_HASH_ANNOTATION,
  DATA_DIR,
  DATA_VOLUME,
  metaFor,
  namesOf,
  NODE_PORT,
  selectorLabels,
} from './names.js';
import { podLabels, restrictedContainerSecurity, restrictedPodSecurityContext, scrapeAnnotations } from './pod.js';
import type { DesiredConfig, IStatefulSet, Plan } from './types.js';

type PodSpec = NonNullable<NonNullable<IStatefulSet['spec']>['template']['spec']>;
type Affinity = NonNullable<PodSpec['affinity']>;

export function statefulSet(cluster: CdnCluster, config: DesiredConfig, plan: Plan): IStatefulSet {
  const n = namesOf(cluster);
  const s = cluster.spec;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: metaFor(cluster, n.statefulSet, 'node'),
    spec: {
      replicas: plan.statefulSetReplicas,
      serviceName: n.headlessService,
      selector: { matchLabels: selectorLabels(cluster, 'node') },
      // Scale-down is stepped by the operator (one node at a time, after the previous one has handed off);
      // Parallel lets new nodes start together on scale-up.
      podManagementPolicy: 'Parallel',
      updateStrategy: {
        type: 'RollingUpdate',
        rollingUpdate: { partition: 0 },
      },
      minReadySeconds: 10,
      // A node that leaves has handed its blobs off; its volume stays until the CdnCluster is deleted.
      persistentVolumeClaimRetentionPolicy: {
        whenDeleted: 'Delete',
        whenScaled: 'Retain',
      },
      template: {
        metadata: {
          labels: podLabels(cluster, 'node', s.podLabels),
          // The user's, then the operator's (which win on a conflict).
          annotations: {
            ...s.scheduling.podAnnotations,
            ...s.podAnnotations,
            ...scrapeAnnotations(cluster),
            [CONFIG_HASH_ANNOTATION]: configHash(cluster),
          },
        },
        spec: podSpec(cluster, config),
      },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: {
            name: DATA_VOLUME,
            labels: selectorLabels(cluster, 'node'),
          },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: plan.volumeClaimTemplate.size } },
            ...(plan.volumeClaimTemplate.storageClassName !== undefined && {
              storageClassName: plan.volumeClaimTemplate.storageClassName,
            }),
          },
        },
      ],
    },
  };
}

function podSpec(cluster: CdnCluster, config: DesiredConfig): PodSpec {
  const s = cluster.spec;
  const sch = s.scheduling;
  const n = namesOf(cluster);
  const affinity = podAffinity(cluster);
  return {
    terminationGracePeriodSeconds: s.terminationGracePeriodSeconds,
    enableServiceLinks: false,
    ...(cluster.spec.imagePullSecrets !== undefined && { imagePullSecrets: cluster.spec.imagePullSecrets }),
    securityContext: restrictedPodSecurityContext(s.podSecurityContext, { fsGroupChangePolicy: 'OnRootMismatch' }),
    ...(affinity !== undefined && { affinity }),
    ...(sch.nodeSelector !== undefined && { nodeSelector: sch.nodeSelector }),
    ...(sch.tolerations !== undefined && {
      tolerations: sch.tolerations,
    }),
    ...(sch.topologySpreadConstraints !== undefined && {
      topologySpreadConstraints: sch.topologySpreadConstraints as unknown as PodSpec['topologySpreadConstraints'],
    }),
    ...(sch.priorityClassName !== undefined && {
      priorityClassName: sch.priorityClassName,
    }),
    containers: [
      {
        name: 'node',
        image: s.image ?? config.defaultImage,
        imagePullPolicy: s.imagePullPolicy,
        command: ['node', 'dist/node/src/main.js'],
        ports: [{ name: 'http', containerPort: NODE_PORT, protocol: 'TCP' }],
        envFrom: [{ configMapRef: { name: n.configMap } }],
        env: [...podEnv(cluster), ...(s.extraEnv ?? [])],
        ...(s.resources !== undefined && { resources: s.resources }),
        volumeMounts: [
          { name: DATA_VOLUME, mountPath: DATA_DIR },
          { name: 'tmp', mountPath: '/tmp' },
        ],
        startupProbe: httpProbe('/healthz', {
          periodSeconds: 2,
          failureThreshold: 60,
        }),
        livenessProbe: httpProbe('/healthz', {
          periodSeconds: 10,
          failureThreshold: 3,
        }),
        readinessProbe: httpProbe('/readyz', {
          periodSeconds: 5,
          failureThreshold: 2,
        }),
        securityContext: restrictedContainerSecurity({ readOnlyRootFilesystem: true }),
      },
    ],
    volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }],
  };
}

function httpProbe(path: string, timing: { periodSeconds: number; failureThreshold: number }) {
  return { httpGet: { path, port: 'http' }, timeoutSeconds: 2, ...timing };
}

/** Spread nodes over hosts unless the user gave their own pod anti-affinity. */
function podAffinity(cluster: CdnCluster): Affinity | undefined {
  const sch = cluster.spec.scheduling;
  const given = sch.affinity as Affinity | undefined;
  if (given?.podAntiAffinity !== undefined || sch.antiAffinity === 'none') return given;
  const term = {
    topologyKey: 'kubernetes.io/hostname',
    labelSelector: { matchLabels: selectorLabels(cluster, 'node') },
  };
  const podAntiAffinity: Affinity['podAntiAffinity'] =
    sch.antiAffinity === 'required'
      ? { requiredDuringSchedulingIgnoredDuringExecution: [term] }
      : {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }],
        };
  return { ...given, podAntiAffinity };
}

/** Changing a setting in the ConfigMap changes this annotation, which rolls the nodes. */
export function configHash(cluster: CdnCluster): string {
  return createHash('sha256')
    .update(JSON.stringify(configData(cluster)))
    .digest('hex')
    .slice(0, 16);
}
