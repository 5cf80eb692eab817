// Scaling decisions. Up: at once. Down: one node at a time, and only once the previous leaver is gone (it handed
// its blobs to their new homes during its termination grace) and every remaining node is ready and up to date.
import type { ObservedState } from './observed.js';

export type ScalePhase = 'Steady' | 'ScalingUp' | 'ScalingDown' | 'WaitingForHandoff';

export interface ScaleStep {
  readonly replicas: number;
  readonly phase: ScalePhase;
}

export function nextReplicas(
  want: number,
  observed: Pick<ObservedState, 'statefulSet' | 'terminatingPods'>,
): ScaleStep {
  const sts = observed.statefulSet;
  if (sts === undefined) return { replicas: want, phase: 'Steady' };
  const current = sts.specReplicas;
  if (want > current) return { replicas: want, phase: 'ScalingUp' };
  if (want === current) return { replicas: want, phase: 'Steady' };
  const settled =
    observed.terminatingPods === 0 &&
    sts.observedGeneration >= sts.generation &&
    sts.replicas === current &&
    sts.readyReplicas === current &&
    sts.updatedReplicas === current &&
    (sts.updateRevision === undefined || sts.updateRevision === sts.currentRevision);
  if (!settled) return { replicas: current, phase: 'WaitingForHandoff' };
  return { replicas: current - 1, phase: 'ScalingDown' };
}
