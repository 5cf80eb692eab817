// What desiredObjects needs besides the CdnCluster, and what it returns.
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';

/** Operator-wide settings the desired objects depend on. */
export interface DesiredConfig {
  /** Node image when the spec names none: the operator's own image (one image, two entrypoints). */
  readonly defaultImage: string;
}

/**
 * Decisions taken from observed state (reconcile/plan.ts) and handed in, so that building objects stays pure:
 * how many nodes the StatefulSet has right now (scale-down goes one node at a time), the volume claim template the
 * existing StatefulSet already has (immutable), and whether the ServiceMonitor CRD is installed.
 */
export interface Plan {
  readonly statefulSetReplicas: number;
  readonly volumeClaimTemplate: {
    readonly size: string;
    readonly storageClassName?: string | undefined;
  };
  readonly serviceMonitorAvailable: boolean;
}

export type AppliedObject =
  | IConfigMap
  | IService
  | IStatefulSet
  | IDeployment
  | IPersistentVolumeClaim
  | IPodDisruptionBudget
  | IIngress
  | INetworkPolicy
  | IServiceMonitor;

export interface Desired {
  /** Server-side applied at every pass (one field manager). */
  readonly apply: AppliedObject[];
  /** Created when absent and never written again: generated secrets must not rotate by accident. */
  readonly createOnly: ISecret[];
}

export type { IConfigMap, IDeployment, IIngress, IPersistentVolumeClaim, IPodDisruptionBudget, ISecret, IService };
export type { INetworkPolicy, IServiceMonitor, IStatefulSet };
