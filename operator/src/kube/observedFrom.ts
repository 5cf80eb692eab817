// What observe() reads, reduced to what the decisions need (reconcile/observed.ts): pure conversions of the
// client-node objects, kept apart from the I/O in client.ts.
import type {
  V1Deployment,
  V1PersistentVolumeClaim,
  V1PersistentVolumeClaimSpec,
  V1Pod,
  V1StatefulSet,
  V1StatefulSetSpec,
  V1StatefulSetStatus,
} from '@kubernetes/client-node';
import type { ObservedPvc, ObservedStatefulSet } from '../reconcile/observed.js';

export function toObservedStatefulSet(sts: V1StatefulSet, specSize: string): ObservedStatefulSet {
  const spec: Partial<V1StatefulSetSpec> = sts.spec ?? {};
  const claim = spec.volumeClaimTemplates?.[0]?.spec;
  return {
    specReplicas: spec.replicas ?? 0,
    ...rollout(sts),
    claimSize: requestedStorage(claim) ?? specSize,
    claimStorageClassName: claim?.storageClassName,
    image: spec.template?.spec?.containers[0]?.image,
  };
}

type Rollout = Omit<ObservedStatefulSet, 'specReplicas' | 'claimSize' | 'claimStorageClassName' | 'image'>;

/** Where the StatefulSet controller is: pods, revisions, and whether it has seen the latest spec. */
function rollout(sts: V1StatefulSet): Rollout {
  const status: Partial<V1StatefulSetStatus> = sts.status ?? {};
  return {
    replicas: status.replicas ?? 0,
    readyReplicas: status.readyReplicas ?? 0,
    updatedReplicas: status.updatedReplicas ?? 0,
    currentRevision: status.currentRevision,
    updateRevision: status.updateRevision,
    generation: sts.metadata?.generation ?? 0,
    observedGeneration: status.observedGeneration ?? 0,
  };
}

export function toObservedPvc(p: V1PersistentVolumeClaim): ObservedPvc {
  const status = p.status ?? {};
  const capacity = status.capacity?.storage;
  return {
    name: p.metadata?.name ?? '',
    requested: requestedStorage(p.spec) ?? '0',
    capacity: capacity === undefined ? undefined : String(capacity),
    storageClassName: p.spec?.storageClassName,
    resizing: (status.conditions ?? []).some((c) => c.type === 'Resizing' || c.type === 'FileSystemResizePending'),
  };
}

function requestedStorage(spec: V1PersistentVolumeClaimSpec | undefined): string | undefined {
  const storage = spec?.resources?.requests?.storage;
  return storage === undefined ? undefined : String(storage);
}

/** The node volumes among the claims that carry the node selector (the StatefulSet names them data-<sts>-<i>). */
export function nodeClaims(claims: readonly V1PersistentVolumeClaim[], statefulSet: string): V1PersistentVolumeClaim[] {
  return claims.filter((p) => p.metadata?.name?.startsWith(`data-${statefulSet}-`));
}

/** The class of the node volumes: the claim template's, else an existing claim's. */
export function nodeStorageClass(
  sts: V1StatefulSet | undefined,
  claims: readonly V1PersistentVolumeClaim[],
): string | undefined {
  return sts?.spec?.volumeClaimTemplates?.[0]?.spec?.storageClassName ?? claims[0]?.spec?.storageClassName;
}

/** Leaving nodes: pods with a deletionTimestamp, still handing off. */
export function terminating(pods: readonly V1Pod[]): number {
  return pods.filter((p) => p.metadata?.deletionTimestamp !== undefined).length;
}

/** null: Redis is external (nothing to read); undefined: the managed Deployment is not there (yet). */
export function redisReady(redis: V1Deployment | undefined | null): boolean | undefined {
  if (redis === null) return undefined;
  return (redis?.status?.readyReplicas ?? 0) >= 1;
}
