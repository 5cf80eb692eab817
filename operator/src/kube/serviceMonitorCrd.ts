// The Prometheus Operator's ServiceMonitor CRD: the operator makes a CdnCluster's ServiceMonitor only while this
// CRD exists and is Established (served). Installed after the operator, it is noticed through a watch on this one
// CRD (informers.ts), not at the next periodic resync.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';

export const SERVICE_MONITOR_CRD = 'servicemonitors.monitoring.coreos.com';

/** Established: the API server serves the kind (a CRD just created is not yet). */
export function crdEstablished(crd: V1CustomResourceDefinition): boolean {
  return (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
}
