// What the reconciler reads of the current state, reduced to what its decisions need (no client-node types here).

export interface ObservedStatefulSet {
  /** spec.replicas of the existing StatefulSet (the step the operator last applied). */
  readonly specReplicas: number;
  /** status.replicas: pods that exist, terminating ones included until they are gone. */
  readonly replicas: number;
  readonly readyReplicas: number;
  readonly updatedReplicas: number;
  readonly currentRevision?: string | undefined;
  readonly updateRevision?: string | undefined;
  readonly generation: number;
  readonly observedGeneration: number;
  /** The volume claim template's request and class (immutable once created). */
  readonly claimSize: string;
  readonly claimStorageClassName?: string | undefined;
  readonly image?: string | undefined;
}

export interface ObservedPvc {
  readonly name: string;
  readonly requested: string;
  readonly capacity?: string | undefined;
  readonly storageClassName?: string | undefined;
  /** The PVC reports a resize that the file system has not taken yet (FileSystemResizePending) or is resizing. */
  readonly resizing: boolean;
}

export type ExpansionSupport = 'allowed' | 'forbidden' | 'unknown';

export interface ObservedState {
  readonly statefulSet?: ObservedStatefulSet | undefined;
  /** Node pods that are terminating (deletionTimestamp set): a leaving node still handing off. */
  readonly terminatingPods: number;
  readonly pvcs: readonly ObservedPvc[];
  /** allowVolumeExpansion of the node volumes' StorageClass. */
  readonly expansion: ExpansionSupport;
  /** undefined when Redis is external. */
  readonly redisReady?: boolean | undefined;
  readonly serviceMonitorCrd: boolean;
}
