// AN IN-MEMORY FAKE of the operator's KubeApi interface (operator/src/kube/types.ts), not of Kubernetes: it stores
// what the reconciler applies and lets a test set what it observes. It stands in until the control loop runs
// against a real API server (test/k8s/); it cannot tell whether the API server would accept an object.
import type { CdnCluster, CdnClusterStatus } from '../../operator/src/api/types.js';
import { CLUSTER_LABEL } from '../../operator/src/desired/names.js';
import type { AppliedObject, ISecret } from '../../operator/src/desired/types.js';
import { KubeError, type KubeApi, type ObjectKey, type ObjectRef } from '../../operator/src/kube/types.js';
import type { EventInput } from '../../operator/src/reconcile/events.js';
import type { ObservedState, ObservedStatefulSet } from '../../operator/src/reconcile/observed.js';

type Stored = (AppliedObject | ISecret) & {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
};

type StoredStatefulSet = AppliedObject & { kind: 'StatefulSet' };

/** The applied StatefulSet as rolled out: every replica ready and updated unless the test says otherwise. */
function statefulSetStatus(sts: StoredStatefulSet, o: { ready?: number; updated?: number }): ObservedStatefulSet {
  const n = sts.spec?.replicas ?? 0;
  const claim = sts.spec?.volumeClaimTemplates?.[0]?.spec;
  return {
    specReplicas: n,
    replicas: n,
    readyReplicas: o.ready ?? n,
    updatedReplicas: o.updated ?? n,
    generation: 1,
    observedGeneration: 1,
    claimSize: String(claim?.resources?.requests?.storage),
    claimStorageClassName: claim?.storageClassName,
  };
}

export class FakeKube implements KubeApi {
  readonly objects = new Map<string, Stored>();
  readonly events: EventInput[] = [];
  readonly calls: string[] = [];
  readonly resized: { name: string; size: string }[] = [];
  clusters = new Map<string, unknown>();
  /** What observe() answers, besides the StatefulSet spec it derives from the applied object. */
  observed: Partial<ObservedState> & { ready?: number; updated?: number } = {};
  /** Make apply() of a kind fail with this error. */
  failApply = new Map<string, KubeError>();

  static keyOf(kind: string, ns: string, name: string): string {
    return `${kind}/${ns}/${name}`;
  }

  addCluster(c: unknown): void {
    const m = (c as CdnCluster).metadata;
    this.clusters.set(`${m.namespace}/${m.name}`, structuredClone(c));
  }

  getCluster(key: ObjectKey): Promise<unknown> {
    const c = this.clusters.get(`${key.namespace}/${key.name}`);
    return Promise.resolve(c === undefined ? undefined : structuredClone(c));
  }

  observe(cluster: CdnCluster): Promise<ObservedState> {
    const sts = this.objects.get(FakeKube.keyOf('StatefulSet', cluster.metadata.namespace, cluster.metadata.name)) as
      | StoredStatefulSet
      | undefined;
    return Promise.resolve({
      statefulSet: sts === undefined ? undefined : statefulSetStatus(sts, this.observed),
      terminatingPods: 0,
      pvcs: [],
      expansion: 'allowed',
      redisReady: cluster.spec.redis.external === undefined ? true : undefined,
      serviceMonitorCrd: false,
      ...this.observed,
    });
  }

  apply(obj: AppliedObject): Promise<void> {
    this.calls.push(`apply ${obj.kind}/${obj.metadata?.name}`);
    const err = this.failApply.get(obj.kind);
    if (err !== undefined) return Promise.reject(err);
    const s = structuredClone(obj) as Stored;
    this.objects.set(FakeKube.keyOf(obj.kind, s.metadata.namespace, s.metadata.name), s);
    return Promise.resolve();
  }

  createIfAbsent(obj: ISecret): Promise<'created' | 'exists'> {
    const s = structuredClone(obj) as Stored;
    const key = FakeKube.keyOf('Secret', s.metadata.namespace, s.metadata.name);
    if (this.objects.has(key)) return Promise.resolve('exists');
    this.calls.push(`create Secret/${s.metadata.name}`);
    this.objects.set(key, s);
    return Promise.resolve('created');
  }

  listOwned(cluster: CdnCluster): Promise<ObjectRef[]> {
    const refs = [...this.objects.values()]
      .filter((o) => o.metadata.labels?.[CLUSTER_LABEL] === cluster.metadata.name)
      .map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name }));
    return Promise.resolve(refs);
  }

  delete(ref: ObjectRef): Promise<void> {
    this.calls.push(`delete ${ref.kind}/${ref.name}`);
    if (!this.objects.delete(FakeKube.keyOf(ref.kind, ref.namespace, ref.name))) {
      return Promise.reject(new KubeError('NotFound', 404, 'not found'));
    }
    return Promise.resolve();
  }

  resizePvc(key: ObjectKey, size: string): Promise<void> {
    this.resized.push({ name: key.name, size });
    return Promise.resolve();
  }

  patchStatus(cluster: CdnCluster, status: CdnClusterStatus): Promise<void> {
    this.calls.push('patchStatus');
    const key = `${cluster.metadata.namespace}/${cluster.metadata.name}`;
    const stored = this.clusters.get(key) as CdnCluster;
    this.clusters.set(key, { ...stored, status: structuredClone(status) });
    return Promise.resolve();
  }

  event(_cluster: CdnCluster, event: EventInput): Promise<void> {
    this.events.push(event);
    return Promise.resolve();
  }

  get<T>(kind: string, name: string, ns = 'cdn'): T | undefined {
    return this.objects.get(FakeKube.keyOf(kind, ns, name)) as T | undefined;
  }
}
