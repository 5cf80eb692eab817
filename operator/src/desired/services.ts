// Two Services for the nodes: a headless one that gives each pod its DNS name (ADVERTISE_URL), published before
// readiness so that starting peers find each other; and a client Service that balances over ready nodes.
import type { CdnCluster } from '../api/types.js';
import { metaFor, namesOf, NODE_PORT, selectorLabels, SERVICE_LABEL, type ObjectMeta } from './names.js';
import type { IService } from './types.js';

export function headlessService(cluster: CdnCluster): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: withServiceLabel(metaFor(cluster, namesOf(cluster).headlessService, 'node'), 'headless'),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: selectorLabels(cluster, 'node'),
      ports: [{ name: 'http', port: NODE_PORT, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

export function clientService(cluster: CdnCluster): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: withServiceLabel(metaFor(cluster, namesOf(cluster).clientService, 'node'), 'client'),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(cluster, 'node'),
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

function withServiceLabel(meta: ObjectMeta, role: 'headless' | 'client'): ObjectMeta {
  return { ...meta, labels: { ...meta.labels, [SERVICE_LABEL]: role } };
}
