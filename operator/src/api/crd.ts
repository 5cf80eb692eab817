// The CdnCluster CustomResourceDefinition, built from the zod schemas. crds/cdncluster.yaml and the chart's copy are
// this object written out (a test regenerates and compares them: UPDATE_GOLDEN=1 rewrites them).
import { toStructuralSchema, type JsonSchema } from './crdSchema.js';
import {
  cdnClusterSpecSchema,
  cdnClusterStatusSchema,
  GROUP,
  KIND,
  MAX_NAME_LENGTH,
  NAME_PATTERN,
  PLURAL,
  VERSION,
} from './schema.js';

export function buildCrd(): JsonSchema {
  const spec = { ...toStructuralSchema(cdnClusterSpecSchema), default: {} };
  const status = toStructuralSchema(cdnClusterStatusSchema);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${PLURAL}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'kubecdn' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: 'cdncluster',
        shortNames: ['cdn'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
          additionalPrinterColumns: printerColumns(),
          schema: {
            openAPIV3Schema: {
              description: 'A kubecdn cluster: file nodes (a StatefulSet), Redis, Services, Ingress.',
              type: 'object',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec,
                status,
              },
              'x-kubernetes-validations': [
                {
                  rule: `size(self.metadata.name) <= ${MAX_NAME_LENGTH}`,
                  message: `metadata.name must be at most ${MAX_NAME_LENGTH} characters`,
                },
                {
                  rule: `self.metadata.name.matches('${NAME_PATTERN}')`,
                  message:
                    'metadata.name must be a DNS-1035 label (it names Services): a-z, 0-9, "-", starting with a letter',
                },
              ],
            },
          },
        },
      ],
    },
  };
}

function printerColumns(): JsonSchema[] {
  return [
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
    { name: 'Redis', type: 'string', jsonPath: '.status.redis' },
    {
      name: 'Status',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Ready")].status',
    },
    {
      name: 'Reason',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
      priority: 1,
    },
    { name: 'Image', type: 'string', jsonPath: '.status.image', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ];
}
