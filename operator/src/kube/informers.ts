// Watches that wake the reconciler: CdnClusters, and the StatefulSets, Deployments and Pods it owns (mapped back to
// their CdnCluster by label); and the ServiceMonitor CRD, which wakes every CdnCluster when it comes (installed after
// the operator), changes or goes. An informer that fails restarts after a backoff, never exits the process; its
// state changes only through setState(), which logs.
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  ListWatch,
  Watch,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../api/schema.js';
import { CLUSTER_LABEL, FIELD_MANAGER, MANAGED_BY_LABEL } from '../desired/names.js';
import { Backoff } from '../reconcile/backoff.js';
import { SERVICE_MONITOR_CRD } from './serviceMonitorCrd.js';

export type InformerState = 'stopped' | 'starting' | 'running' | 'restarting';

export interface InformerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

type OnKey = (key: string) => void;

class RestartingInformer {
  private state: InformerState = 'stopped';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly name: string,
    private readonly informer: Informer<KubernetesObject>,
    private readonly log: InformerLog,
    private readonly backoff = new Backoff({ baseMs: 1_000, maxMs: 60_000, jitter: 0.2 }),
  ) {
    informer.on('error', (err: unknown) => this.restart(err));
    informer.on('connect', () => {
      this.backoff.succeed(this.name);
      this.setState('running');
    });
  }

  get current(): InformerState {
    return this.state;
  }

  async start(): Promise<void> {
    this.setState('starting');
    try {
      await this.informer.start();
      this.setState('running');
    } catch (err) {
      this.restart(err);
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.setState('stopped');
    await this.informer.stop();
  }

  private restart(err: unknown): void {
    if (this.state === 'stopped') return;
    const delay = this.backoff.fail(this.name);
    this.log.warn({ informer: this.name, err: String(err), retryInMs: delay }, 'watch failed; restarting');
    this.setState('restarting');
    this.timer = setTimeout(() => void this.start(), delay);
  }

  private setState(next: InformerState): void {
    if (next === this.state) return;
    this.log.info({ informer: this.name, from: this.state, to: next }, 'informer state');
    this.state = next;
  }
}

export interface InformerHandlers {
  /** Reconcile one CdnCluster ("namespace/name"). */
  readonly onKey: OnKey;
  /**
   * The ServiceMonitor CRD appeared, changed (became Established) or went away: every CdnCluster that asks for a
   * ServiceMonitor is affected, at once rather than at the next periodic resync.
   */
  readonly onServiceMonitorCrd: () => void;
}

type List = () => Promise<KubernetesListObject<KubernetesObject>>;

export class Informers {
  private readonly all: RestartingInformer[] = [];

  constructor(
    private readonly kc: KubeConfig,
    namespace: string,
    handlers: InformerHandlers,
    private readonly log: InformerLog,
  ) {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const ns = namespace === '' ? '' : `/namespaces/${namespace}`;
    const all = namespace === '';
    const owned = { labelSelector: `${MANAGED_BY_LABEL}=${FIELD_MANAGER}` };
    const byOwnLabel = (o: KubernetesObject): void => {
      const c = o.metadata?.labels?.[CLUSTER_LABEL];
      if (c !== undefined && o.metadata?.namespace !== undefined) handlers.onKey(`${o.metadata.namespace}/${c}`);
    };
    const byName = (o: KubernetesObject): void => handlers.onKey(`${o.metadata?.namespace}/${o.metadata?.name}`);
    const clusters = { group: GROUP, version: VERSION, plural: PLURAL };
    const listClusters: List = () =>
      (all
        ? custom.listClusterCustomObject(clusters)
        : custom.listNamespacedCustomObject({ ...clusters, namespace })) as Promise<
        KubernetesListObject<KubernetesObject>
      >;
    this.watch('cdnclusters', `/apis/${GROUP}/${VERSION}${ns}/${PLURAL}`, listClusters, byName);
    const statefulSets: List = () =>
      all ? apps.listStatefulSetForAllNamespaces(owned) : apps.listNamespacedStatefulSet({ namespace, ...owned });
    this.watch('statefulsets', `/apis/apps/v1${ns}/statefulsets`, statefulSets, byOwnLabel, owned);
    const deployments: List = () =>
      all ? apps.listDeploymentForAllNamespaces(owned) : apps.listNamespacedDeployment({ namespace, ...owned });
    this.watch('deployments', `/apis/apps/v1${ns}/deployments`, deployments, byOwnLabel, owned);
    const pods: List = () =>
      all ? core.listPodForAllNamespaces(owned) : core.listNamespacedPod({ namespace, ...owned });
    this.watch('pods', `/api/v1${ns}/pods`, pods, byOwnLabel, owned);
    // One CRD, by name (RBAC grants list/watch on that name only, through the field selector).
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const byCrdName = { fieldSelector: `metadata.name=${SERVICE_MONITOR_CRD}` };
    const crds: List = () => ext.listCustomResourceDefinition(byCrdName);
    const onCrd = (): void => handlers.onServiceMonitorCrd();
    this.watch('servicemonitor-crd', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crds, onCrd, byCrdName);
  }

  async start(): Promise<void> {
    await Promise.all(this.all.map((i) => i.start()));
  }

  running(): boolean {
    return this.all.every((i) => i.current === 'running');
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((i) => i.stop()));
  }

  private watch(
    name: string,
    path: string,
    list: List,
    onObj: (o: KubernetesObject) => void,
    selectors: { labelSelector?: string; fieldSelector?: string } = {},
  ): void {
    const inf = new ListWatch(path, new Watch(this.kc), list, false, selectors.labelSelector, selectors.fieldSelector);
    for (const verb of ['add', 'update', 'delete'] as const) inf.on(verb, onObj);
    this.all.push(new RestartingInformer(name, inf, this.log));
  }
}
