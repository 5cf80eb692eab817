// The CdnCluster API, once: zod schemas that the operator parses objects with, that the TypeScript types are
// inferred from (types.ts), and that the CRD's openAPIV3Schema is generated from (crd.ts). Nothing can drift.
// Kubernetes-only schema extensions (CEL rules, int-or-string, free-form objects) ride along as zod metadata.
import { z } from 'zod';

export const GROUP = 'kubecdn.io';
export const VERSION = 'v1alpha1';
export const KIND = 'CdnCluster';
export const PLURAL = 'cdnclusters';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** The longest CdnCluster name: leaves room for "-headless", "-redis", pod ordinals and the 63-char label limit. */
export const MAX_NAME_LENGTH = 40;
/** A DNS-1035 label: the CdnCluster's name becomes Service names. */
export const NAME_PATTERN = '^[a-z]([-a-z0-9]*[a-z0-9])?$';

const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/;
const quantity = (def: string) => z.string().max(32).regex(QUANTITY, 'a byte quantity such as 10Gi').default(def);
const dnsName = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
const stringMap = z.record(z.string(), z.string().max(4096)).meta({ maxProperties: 64 });
/** A Kubernetes object we pass through unchanged (affinity, tolerations…): the API server validates it in the pod. */
const freeForm = (description: string) =>
  z.record(z.string(), z.unknown()).meta({ description, 'x-kubernetes-preserve-unknown-fields': true });
const intOrString = z.union([z.number().int(), z.string().max(64)]).meta({ 'x-kubernetes-int-or-string': true });

/**
 * A CEL rule for the API server (x-kubernetes-validations) with, when it needs no old object, the same rule in
 * TypeScript so that the operator refuses what the API server would (objects written before a CRD upgrade).
 */
interface Rule<T> {
  rule: string;
  message: string;
  check?: (value: T) => boolean;
}
function withRules<S extends z.ZodType>(schema: S, rules: Rule<z.output<S>>[]): S {
  return schema
    .superRefine((value, ctx) => {
      for (const r of rules)
        if (r.check !== undefined && !r.check(value)) ctx.addIssue({ code: 'custom', message: r.message });
    })
    .meta({
      'x-kubernetes-validations': rules.map(({ rule, message }) => ({
        rule,
        message,
      })),
    });
}

const secretKeyRef = (defaultKey: string) =>
  z.object({
    name: dnsName.describe('Secret in the CdnCluster namespace'),
    key: z.string().min(1).max(253).default(defaultKey),
  });

/**
 * The pod-level user and groups, a subset of core/v1 PodSecurityContext under its own field names (as Strimzi's
 * template.pod.securityContext and the MinIO operator's securityContext are). Given at all, it replaces the default
 * whole: `{}` sets none of them and lets the platform pick (OpenShift's restricted-v2 assigns a UID from the
 * namespace's range). runAsNonRoot and the RuntimeDefault seccomp profile are always set, whatever is given here.
 */
const podSecurityContext = (id: number) =>
  z
    .object({
      runAsUser: z.number().int().min(1).max(2147483647).optional(),
      runAsGroup: z.number().int().min(0).max(2147483647).optional(),
      fsGroup: z.number().int().min(0).max(2147483647).optional(),
    })
    .default({ runAsUser: id, runAsGroup: id, fsGroup: id });

/** Keys (of labels, annotations, environment variables) as Kubernetes spells them. */
const labelMap = z
  .record(z.string().max(316), z.string().max(63))
  .meta({ maxProperties: 64 })
  .describe('Pod labels; the labels the operator sets (selector, app.kubernetes.io/*) win on a conflict');

/**
 * Environment variables the operator sets itself (per pod, secrets, and every key of the ConfigMap): extraEnv may
 * not name them, since they have their own spec fields (a duplicate would also break server-side apply).
 */
export const RESERVED_ENV = [
  'POD_NAME',
  'NODE_ID',
  'ADVERTISE_URL',
  'WRITE_TOKEN',
  'CLUSTER_SECRET',
  'REDIS_PASSWORD',
  'REDIS_URL',
  'CACHE_MAX_BYTES',
  'DATA_DIR',
  'DEDUP_POLICY',
  'HANDOFF_DEADLINE_MS',
  'LOCK_MODE',
  'LOG_LEVEL',
  'PORT',
  'REPLICATION_FACTOR',
  'SHUTDOWN_DRAIN_MS',
  'SHUTDOWN_GRACE_MS',
] as const;

const envVar = z.object({
  name: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/),
  value: z.string().max(32768).optional(),
  valueFrom: freeForm('core/v1 EnvVarSource').optional(),
});

const extraEnv = withRules(
  z
    .array(envVar)
    .max(64)
    // A list-map keyed by name: the API server refuses two entries of one name.
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
    .describe(
      'More environment variables of the node container (core/v1 EnvVar): any node setting the spec has no field for',
    ),
  [
    {
      rule: `self.all(e, !(e.name in [${RESERVED_ENV.map((n) => `'${n}'`).join(', ')}]))`,
      message: `extraEnv may not set a variable the operator sets (${RESERVED_ENV.join(', ')}): use its spec field`,
      check: (v) => v.every((e) => !(RESERVED_ENV as readonly string[]).includes(e.name)),
    },
  ],
);

const resources = z
  .object({
    requests: z.record(z.string(), intOrString).optional(),
    limits: z.record(z.string(), intOrString).optional(),
  })
  .describe('Container resources (requests, limits)');

export const storageSchema = withRules(
  z.object({
    size: quantity('10Gi').describe(
      'Size of each node volume; growing it expands the existing claims when the class allows',
    ),
    storageClassName: z.string().max(253).optional().describe('StorageClass of the node volumes (fixed at creation)'),
  }),
  [
    {
      rule: 'has(self.storageClassName) == has(oldSelf.storageClassName) && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)',
      message: 'storageClassName cannot change',
    },
  ],
);

export const cacheSchema = z.object({
  maxBytes: z.number().int().min(0).default(1073741824).describe('Bound of the peer-fetch cache of non-home blobs'),
});

export const redisManagedSchema = z.object({
  image: z.string().min(1).max(512).default('redis:7.4-alpine'),
  persistence: z
    .object({
      enabled: z.boolean().default(true),
      size: quantity('1Gi'),
      storageClassName: z.string().max(253).optional(),
      fsync: z
        .enum(['always', 'everysec'])
        .default('always')
        .describe(
          "Redis' appendfsync [always]: always = every acknowledged version is on disk before its 201 (survives a machine crash); everysec = up to ~1 s of acknowledged versions can be lost in a machine crash, for more writes/s",
        ),
    })
    .default({ enabled: true, size: '1Gi', fsync: 'always' }),
  resources: resources
    .default({ requests: { cpu: '50m', memory: '64Mi' } })
    .describe('Redis container resources; no memory limit by default (its data set grows with the files)'),
  passwordSecretRef: secretKeyRef('password')
    .optional()
    .describe("Secret key holding Redis' password; generated (and kept) when absent"),
  podSecurityContext: podSecurityContext(999).describe(
    'User and groups of the Redis pod [999, the redis image\'s user]; {} lets the platform pick (OpenShift)',
  ),
  podLabels: labelMap.optional(),
  podAnnotations: stringMap.optional().describe('Redis pod annotations'),
});

export const redisExternalSchema = withRules(
  z.object({
    url: z
      .string()
      .max(2048)
      .regex(/^rediss?:\/\//, 'redis:// or rediss://')
      .optional(),
    secretRef: secretKeyRef('url').optional().describe('Secret key holding the URL (when it carries a password)'),
  }),
  [
    {
      rule: 'has(self.url) != has(self.secretRef)',
      message: 'set exactly one of url and secretRef',
      check: (v) => (v.url !== undefined) !== (v.secretRef !== undefined),
    },
  ],
);

export const redisSchema = withRules(
  z.object({
    managed: redisManagedSchema.optional().describe('Run Redis for this cluster (the default when external is absent)'),
    external: redisExternalSchema.optional().describe('Use an existing Redis'),
  }),
  [
    {
      rule: '!(has(self.managed) && has(self.external))',
      message: 'managed and external are exclusive',
      check: (v) => !(v.managed !== undefined && v.external !== undefined),
    },
  ],
);

export const ingressSchema = withRules(
  z.object({
    enabled: z.boolean().default(false),
    className: z.string().max(253).optional(),
    host: dnsName.optional(),
    tlsSecretName: dnsName.optional().describe('TLS Secret for host'),
    annotations: stringMap.optional(),
  }),
  [
    {
      rule: '!has(self.tlsSecretName) || has(self.host)',
      message: 'TLS needs a host',
      check: (v) => v.tlsSecretName === undefined || v.host !== undefined,
    },
  ],
);

export const schedulingSchema = z.object({
  antiAffinity: z
    .enum(['preferred', 'required', 'none'])
    .default('preferred')
    .describe('Spread nodes over hosts; ignored when affinity.podAntiAffinity is given'),
  nodeSelector: stringMap.optional(),
  affinity: freeForm('core/v1 Affinity').optional(),
  tolerations: z.array(freeForm('core/v1 Toleration')).max(64).optional(),
  topologySpreadConstraints: z.array(freeForm('core/v1 TopologySpreadConstraint')).max(16).optional(),
  podAnnotations: stringMap
    .optional()
    .describe('Deprecated: use spec.podAnnotations (these are still applied; spec.podAnnotations wins on a conflict)'),
  priorityClassName: z.string().max(253).optional(),
});

export const metricsSchema = z.object({
  serviceMonitor: z
    .object({
      enabled: z.boolean().default(false),
      interval: z
        .string()
        .regex(/^[0-9]+(ms|s|m|h)$/)
        .default('30s'),
      labels: stringMap.optional().describe('Labels your Prometheus selects ServiceMonitors by'),
    })
    .default({ enabled: false, interval: '30s' }),
  scrapeAnnotations: z
    .boolean()
    .default(true)
    .describe(
      'prometheus.io/scrape, /port and /path annotations on the node pods, for a Prometheus without the operator',
    ),
});

const peers = (description: string) =>
  z.array(freeForm('networking.k8s.io/v1 NetworkPolicyPeer')).max(32).optional().describe(description);

export const networkPolicySchema = z.object({
  enabled: z
    .boolean()
    .default(true)
    .describe('NetworkPolicies for the node and managed Redis pods (enforced only by a CNI that implements them)'),
  ingressFrom: peers(
    'Peers allowed to the node port besides this namespace (the ingress controller); absent: every namespace when ' +
      'ingress.enabled, none otherwise',
  ),
  metricsFrom: peers('Peers allowed to scrape the nodes from outside this namespace (Prometheus)'),
});

export const cdnClusterSpecSchema = withRules(
  z.object({
    replicas: z.number().int().min(1).max(64).default(3).describe('Number of file nodes'),
    image: z.string().min(1).max(512).optional().describe("File node image; the operator's own image when absent"),
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
    storage: storageSchema.default({ size: '10Gi' }),
    cache: cacheSchema.default({ maxBytes: 1073741824 }),
    replicationFactor: z.number().int().min(1).max(8).default(2).describe('Nodes that hold each blob'),
    dedupPolicy: z.enum(['reject', 'link']).default('reject'),
    lockMode: z.enum(['redis', 'ricart-agrawala']).default('redis'),
    redis: redisSchema.default({}),
    ingress: ingressSchema.default({ enabled: false }),
    networkPolicy: networkPolicySchema.default({ enabled: true }),
    resources: resources
      .default({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '2Gi' } })
      .describe('Node container resources'),
    scheduling: schedulingSchema.default({ antiAffinity: 'preferred' }),
    metrics: metricsSchema.default({
      serviceMonitor: { enabled: false, interval: '30s' },
      scrapeAnnotations: true,
    }),
    podSecurityContext: podSecurityContext(1000).describe(
      'User and groups of the node pods [1000, the image\'s user]; {} lets the platform pick (OpenShift)',
    ),
    podLabels: labelMap.optional(),
    podAnnotations: stringMap.optional().describe('Node pod annotations; the ones the operator sets win on a conflict'),
    extraEnv: extraEnv.optional(),
    imagePullSecrets: z
      .array(z.object({ name: z.string().min(1).max(253) }))
      .max(16)
      .optional()
      .describe('Secrets the node and Redis pods pull their images with'),
    writeTokenSecretRef: secretKeyRef('token')
      .optional()
      .describe('Secret key holding the write token; generated (and kept) when absent'),
    terminationGracePeriodSeconds: z
      .number()
      .int()
      .min(10)
      .max(3600)
      .default(120)
      .describe('Time a stopping node has to hand its blobs to their new homes'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }),
  [
    {
      rule: '!has(self.replicationFactor) || !has(self.replicas) || self.replicationFactor <= self.replicas',
      message: 'replicationFactor must not exceed replicas',
      check: (v) => v.replicationFactor <= v.replicas,
    },
  ],
);

export const conditionSchema = z.object({
  type: z.string().max(316),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().max(1024),
  message: z.string().max(32768),
  lastTransitionTime: z.string().meta({ format: 'date-time' }),
  observedGeneration: z.number().int().min(0).optional(),
});

export const cdnClusterStatusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  replicas: z.number().int().optional().describe('Nodes that exist (scale subresource)'),
  readyReplicas: z.number().int().optional(),
  updatedReplicas: z.number().int().optional(),
  selector: z.string().optional().describe('Label selector of the node pods (scale subresource)'),
  redis: z.enum(['Ready', 'NotReady', 'External']).optional(),
  image: z.string().optional().describe('Image the nodes are converging on'),
  storageSize: z.string().optional().describe('Size every node volume has reached'),
  conditions: z
    .array(conditionSchema)
    .max(16)
    .optional()
    .meta({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    }),
});

export const objectMetaSchema = z.looseObject({
  name: z.string().max(MAX_NAME_LENGTH).regex(new RegExp(NAME_PATTERN), 'a DNS-1035 label'),
  namespace: z.string(),
  uid: z.string(),
  generation: z.number().int().optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

/** What the operator reads from the API server (the server has already applied the CRD defaults; zod repeats them). */
export const cdnClusterSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(KIND),
  metadata: objectMetaSchema,
  spec: cdnClusterSpecSchema.default(() => cdnClusterSpecSchema.parse({})),
  status: cdnClusterStatusSchema.optional(),
});
