// The CdnCluster status from what was observed and decided: replicas, selector, Redis, and the conditions
// Ready, Progressing, Degraded, StorageResized. Pure: the clock comes in as `now`.
import type { CdnCluster, CdnClusterStatus, Condition } from '../api/types.js';
import { selectorString } from '../desired/names.js';
import { setCondition, transitions, type ConditionInput, type Transition } from './conditions.js';
import type { ObservedState, ObservedStatefulSet } from './observed.js';
import type { FullPlan } from './plan.js';

export interface StatusInput {
  readonly cluster: CdnCluster;
  readonly observed: ObservedState;
  readonly plan: FullPlan;
  /** Problems met while acting this pass (an apply refused…): they make the cluster Degraded. */
  readonly problems: readonly string[];
  readonly image: string;
  readonly now: string;
}

export interface StatusResult {
  readonly status: CdnClusterStatus;
  readonly transitions: readonly Transition[];
}

export function computeStatus(input: StatusInput): StatusResult {
  const { cluster, observed, plan } = input;
  const conds = [
    ready(input),
    progressing(input),
    degraded(input),
    { type: 'StorageResized', ...plan.storage.condition },
  ];
  const { generation, conditions, changed } = withConditions(cluster, conds, input.now);
  const status: CdnClusterStatus = {
    observedGeneration: generation,
    ...replicaCounts(observed.statefulSet),
    selector: selectorString(cluster, 'node'),
    redis: redisStatus(observed.redisReady),
    image: input.image,
    ...(plan.storage.condition.status === 'True' && { storageSize: cluster.spec.storage.size }),
    conditions,
  };
  return { status, transitions: changed };
}

/** The status an unusable spec gets: Degraded with every problem, the rest Unknown. */
export function invalidSpecStatus(cluster: CdnCluster, problems: readonly string[], now: string): StatusResult {
  const conds: ConditionInput[] = [
    { type: 'Ready', status: 'Unknown', reason: 'InvalidSpec', message: 'the spec cannot be used' },
    { type: 'Degraded', status: 'True', reason: 'InvalidSpec', message: problems.join('; ') },
  ];
  const { generation, conditions, changed } = withConditions(cluster, conds, now);
  return { status: { ...cluster.status, observedGeneration: generation, conditions }, transitions: changed };
}

/** The cluster's conditions with conds set (times kept where the status stays), and the transitions among them. */
function withConditions(
  cluster: CdnCluster,
  conds: readonly ConditionInput[],
  now: string,
): { generation: number; conditions: Condition[]; changed: readonly Transition[] } {
  const generation = cluster.metadata.generation ?? 0;
  const before = cluster.status?.conditions ?? [];
  let conditions = before;
  for (const c of conds) conditions = setCondition(conditions, c, generation, now);
  return { generation, conditions, changed: transitions(before, conds) };
}

type ReplicaCounts = Pick<CdnClusterStatus, 'replicas' | 'readyReplicas' | 'updatedReplicas'>;

function replicaCounts(sts: ObservedStatefulSet | undefined): ReplicaCounts {
  if (sts === undefined) return { replicas: 0, readyReplicas: 0, updatedReplicas: 0 };
  return { replicas: sts.replicas, readyReplicas: sts.readyReplicas, updatedReplicas: sts.updatedReplicas };
}

function redisStatus(ready: boolean | undefined): CdnClusterStatus['redis'] {
  if (ready === undefined) return 'External';
  return ready ? 'Ready' : 'NotReady';
}

function ready({ cluster, observed }: StatusInput): ConditionInput {
  const want = cluster.spec.replicas;
  const sts = observed.statefulSet;
  const readyNodes = sts?.readyReplicas ?? 0;
  if (observed.redisReady === false) return cond('Ready', 'False', 'RedisNotReady', 'Redis is not ready');
  if (sts === undefined || readyNodes < want) {
    return cond('Ready', 'False', 'NodesNotReady', `${readyNodes} of ${want} nodes ready`);
  }
  return cond('Ready', 'True', 'AllNodesReady', `${readyNodes} of ${want} nodes ready`);
}

function progressing({ cluster, observed, plan }: StatusInput): ConditionInput {
  const sts = observed.statefulSet;
  const want = cluster.spec.replicas;
  if (plan.scale.phase === 'ScalingUp') return cond('Progressing', 'True', 'ScalingUp', `scaling up to ${want} nodes`);
  if (plan.scale.phase === 'ScalingDown' || plan.scale.phase === 'WaitingForHandoff') {
    const msg = `scaling down to ${want} nodes, one at a time: ${plan.scale.replicas} now, leavers hand off their blobs first`;
    return cond('Progressing', 'True', plan.scale.phase, msg);
  }
  if (sts === undefined) return cond('Progressing', 'True', 'Creating', 'creating the nodes');
  const rolling =
    sts.updatedReplicas < sts.replicas ||
    (sts.updateRevision !== undefined && sts.updateRevision !== sts.currentRevision) ||
    sts.observedGeneration < sts.generation;
  if (rolling) {
    return cond('Progressing', 'True', 'RollingUpdate', `${sts.updatedReplicas} of ${sts.replicas} nodes updated`);
  }
  if (plan.storage.patches.length > 0 || plan.storage.condition.reason === 'Resizing') {
    return cond('Progressing', 'True', 'ResizingVolumes', plan.storage.condition.message);
  }
  if (sts.readyReplicas < want)
    return cond('Progressing', 'True', 'NodesStarting', `${sts.readyReplicas} of ${want} ready`);
  return cond('Progressing', 'False', 'Stable', 'nothing to do');
}

/** The first problem found, in order of gravity; none: AsExpected. */
function degraded(input: StatusInput): ConditionInput {
  const { problems } = input;
  if (problems.length > 0) return cond('Degraded', 'True', 'ApplyFailed', problems.join('; '));
  return (
    belowReplicationFactor(input) ??
    storageRefused(input) ??
    serviceMonitorMissing(input) ??
    cond('Degraded', 'False', 'AsExpected', 'no problem found')
  );
}

function belowReplicationFactor({ cluster, observed }: StatusInput): ConditionInput | undefined {
  const sts = observed.statefulSet;
  const rf = cluster.spec.replicationFactor;
  // Only once the cluster had enough ready nodes (or was already degraded): a new cluster is starting, not degraded.
  const before = cluster.status;
  const hadEnough =
    (before?.readyReplicas ?? 0) >= rf ||
    before?.conditions?.some(
      (c) => c.type === 'Degraded' && c.reason === 'BelowReplicationFactor' && c.status === 'True',
    );
  if (sts !== undefined && hadEnough === true && sts.readyReplicas < rf) {
    const msg = `only ${sts.readyReplicas} nodes ready, fewer than replicationFactor ${rf}: some blobs may be unreadable`;
    return cond('Degraded', 'True', 'BelowReplicationFactor', msg);
  }
  return undefined;
}

function storageRefused({ plan }: StatusInput): ConditionInput | undefined {
  const reason = plan.storage.condition.reason;
  if (reason !== 'ExpansionNotSupported' && reason !== 'ShrinkNotSupported') return undefined;
  return cond('Degraded', 'True', reason, plan.storage.condition.message);
}

function serviceMonitorMissing({ cluster, observed }: StatusInput): ConditionInput | undefined {
  if (!cluster.spec.metrics.serviceMonitor.enabled || observed.serviceMonitorCrd) return undefined;
  const msg = 'metrics.serviceMonitor.enabled but the ServiceMonitor CRD (monitoring.coreos.com) is not installed';
  return cond('Degraded', 'True', 'ServiceMonitorUnavailable', msg);
}

function cond(type: string, status: ConditionInput['status'], reason: string, message: string): ConditionInput {
  return { type, status, reason, message };
}
