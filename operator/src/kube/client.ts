// KubeApi on @kubernetes/client-node: server-side apply under one field manager, create-only secrets, owned-object
// listing for pruning, claim resize, status patch guarded by resourceVersion, Events.
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  StorageV1Api,
  type KubeConfig,
  type KubernetesObject,
  type V1Deployment,
} from '@kubernetes/client-node';
import { GROUP, KIND, PLURAL, VERSION, API_VERSION } from '../api/schema.js';
import type { CdnCluster, CdnClusterStatus } from '../api/types.js';
import { CLUSTER_LABEL, FIELD_MANAGER, MANAGED_BY_LABEL, namesOf, selectorString } from '../desired/names.js';
import type { AppliedObject, ISecret } from '../desired/types.js';
import type { EventInput } from '../reconcile/events.js';
import type { ExpansionSupport, ObservedState } from '../reconcile/observed.js';
import { toClientModel } from './clientModel.js';
import { orUndefined, toKubeError, wrapped } from './errors.js';
import {
  nodeClaims,
  nodeStorageClass,
  redisReady,
  terminating,
  toObservedPvc,
  toObservedStatefulSet,
} from './observedFrom.js';
import { crdEstablished, SERVICE_MONITOR_CRD } from './serviceMonitorCrd.js';
import type { KubeApi, ObjectKey, ObjectRef } from './types.js';

/** Every kind the operator may own, for pruning. ServiceMonitor only when its CRD exists. */
const OWNED_KINDS: readonly [string, string][] = [
  ['v1', 'ConfigMap'],
  ['v1', 'Secret'],
  ['v1', 'Service'],
  ['v1', 'PersistentVolumeClaim'],
  ['apps/v1', 'StatefulSet'],
  ['apps/v1', 'Deployment'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['networking.k8s.io/v1', 'Ingress'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
];
const SERVICE_MONITOR: [string, string] = ['monitoring.coreos.com/v1', 'ServiceMonitor'];
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class ClientKube implements KubeApi {
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly storage: StorageV1Api;
  private readonly ext: ApiextensionsV1Api;

  constructor(kc: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.storage = kc.makeApiClient(StorageV1Api);
    this.ext = kc.makeApiClient(ApiextensionsV1Api);
  }

  getCluster(key: ObjectKey): Promise<unknown> {
    return orUndefined(`get CdnCluster ${key.namespace}/${key.name}`, () =>
      this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, ...key }),
    );
  }

  async observe(cluster: CdnCluster): Promise<ObservedState> {
    const namespace = cluster.metadata.namespace;
    const n = namesOf(cluster);
    const labelSelector = selectorString(cluster, 'node');
    const [sts, pods, pvcList, redis, serviceMonitorCrd] = await Promise.all([
      orUndefined('read StatefulSet', () => this.apps.readNamespacedStatefulSet({ namespace, name: n.statefulSet })),
      wrapped('list pods', () => this.core.listNamespacedPod({ namespace, labelSelector })),
      wrapped('list claims', () => this.core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector })),
      this.readRedis(cluster),
      this.hasServiceMonitorCrd(),
    ]);
    const claims = nodeClaims(pvcList.items, n.statefulSet);
    return {
      statefulSet: sts === undefined ? undefined : toObservedStatefulSet(sts, cluster.spec.storage.size),
      terminatingPods: terminating(pods.items),
      pvcs: claims.map(toObservedPvc),
      expansion: await this.expansion(nodeStorageClass(sts, claims)),
      redisReady: redisReady(redis),
      serviceMonitorCrd,
    };
  }

  /** The managed Redis Deployment (undefined while absent); null when Redis is external. */
  private readRedis(cluster: CdnCluster): Promise<V1Deployment | undefined | null> {
    if (cluster.spec.redis.external !== undefined) return Promise.resolve(null);
    const key = { namespace: cluster.metadata.namespace, name: namesOf(cluster).redis };
    return orUndefined('read Redis', () => this.apps.readNamespacedDeployment(key));
  }

  async apply(obj: AppliedObject): Promise<void> {
    const what = `apply ${obj.kind} ${obj.metadata?.name}`;
    await wrapped(what, () =>
      this.objects.patch(
        toClientModel(obj) as KubernetesObject,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      ),
    );
  }

  async createIfAbsent(obj: ISecret): Promise<'created' | 'exists'> {
    try {
      await this.objects.create(obj as KubernetesObject, undefined, undefined, FIELD_MANAGER);
      return 'created';
    } catch (err) {
      const k = toKubeError(err, `create Secret ${obj.metadata?.name}`);
      if (k.reason === 'Conflict' || k.reason === 'AlreadyExists') return 'exists';
      throw k;
    }
  }

  async listOwned(cluster: CdnCluster): Promise<ObjectRef[]> {
    const namespace = cluster.metadata.namespace;
    const labelSelector = `${CLUSTER_LABEL}=${cluster.metadata.name},${MANAGED_BY_LABEL}=${FIELD_MANAGER}`;
    const kinds = (await this.hasServiceMonitorCrd()) ? [...OWNED_KINDS, SERVICE_MONITOR] : OWNED_KINDS;
    const refs: ObjectRef[] = [];
    for (const [apiVersion, kind] of kinds) {
      const list = await wrapped(`list ${kind}`, () =>
        this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector),
      );
      for (const item of list.items) {
        const owned = item.metadata?.ownerReferences?.some((o) => o.uid === cluster.metadata.uid) ?? false;
        if (owned) refs.push({ apiVersion, kind, namespace, name: item.metadata?.name ?? '' });
      }
    }
    return refs;
  }

  async delete(ref: ObjectRef): Promise<void> {
    const spec = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } };
    await wrapped(`delete ${ref.kind} ${ref.name}`, () =>
      this.objects.delete(spec, undefined, undefined, undefined, undefined, 'Background'),
    );
  }

  async resizePvc(key: ObjectKey, size: string): Promise<void> {
    const body = { spec: { resources: { requests: { storage: size } } } };
    await wrapped(`resize claim ${key.name}`, () =>
      this.core.patchNamespacedPersistentVolumeClaim({ ...key, body }, MERGE_PATCH),
    );
  }

  async patchStatus(cluster: CdnCluster, status: CdnClusterStatus): Promise<void> {
    const { name, namespace, resourceVersion } = cluster.metadata;
    // resourceVersion in the patch: if the object changed since it was read, the API server answers 409.
    const body = { metadata: { resourceVersion }, status };
    await wrapped(`patch status of ${namespace}/${name}`, () =>
      this.custom.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, plural: PLURAL, namespace, name, body },
        MERGE_PATCH,
      ),
    );
  }

  async event(cluster: CdnCluster, e: EventInput): Promise<void> {
    const { name, namespace, uid } = cluster.metadata;
    const now = new Date();
    await wrapped(`record event ${e.reason}`, () =>
      this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${name}.`, namespace },
          involvedObject: { apiVersion: API_VERSION, kind: KIND, name, namespace, uid },
          type: e.type,
          reason: e.reason,
          message: e.message.slice(0, 1024),
          source: { component: FIELD_MANAGER },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      }),
    );
  }

  /** namespace/name of every CdnCluster watched (for the periodic resync). */
  async listClusterKeys(namespace: string): Promise<string[]> {
    const list = (await wrapped('list CdnClusters', () =>
      namespace === ''
        ? this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
        : this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace }),
    )) as { items: KubernetesObject[] };
    return list.items.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`);
  }

  private async hasServiceMonitorCrd(): Promise<boolean> {
    try {
      return crdEstablished(await this.ext.readCustomResourceDefinition({ name: SERVICE_MONITOR_CRD }));
    } catch (err) {
      const k = toKubeError(err, 'read ServiceMonitor CRD');
      if (k.reason === 'NotFound' || k.reason === 'Forbidden') return false;
      throw k;
    }
  }

  private async expansion(className: string | undefined): Promise<ExpansionSupport> {
    if (className === undefined) return 'unknown';
    try {
      const sc = await this.storage.readStorageClass({ name: className });
      return sc.allowVolumeExpansion === true ? 'allowed' : 'forbidden';
    } catch {
      return 'unknown';
    }
  }
}
