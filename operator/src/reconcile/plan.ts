// Decisions from the spec and the observed state that desiredObjects takes as input.
import type { CdnCluster } from '../api/types.js';
import type { Plan } from '../desired/types.js';
import type { ObservedState } from './observed.js';
import { nextReplicas, type ScaleStep } from './scaling.js';
import { planStorage, type StoragePlan } from './storage.js';

export interface FullPlan {
  readonly plan: Plan;
  readonly scale: ScaleStep;
  readonly storage: StoragePlan;
}

export function planFor(cluster: CdnCluster, observed: ObservedState): FullPlan {
  const scale = nextReplicas(cluster.spec.replicas, observed);
  const sts = observed.statefulSet;
  const volumeClaimTemplate =
    sts === undefined
      ? { size: cluster.spec.storage.size, storageClassName: cluster.spec.storage.storageClassName }
      : { size: sts.claimSize, storageClassName: sts.claimStorageClassName };
  return {
    plan: {
      statefulSetReplicas: scale.replicas,
      volumeClaimTemplate,
      serviceMonitorAvailable: observed.serviceMonitorCrd,
    },
    scale,
    storage: planStorage(cluster.spec.storage.size, observed.pvcs, observed.expansion),
  };
}
