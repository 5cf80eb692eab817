// Watches that wake the reconciler: CdnClusters, and the StatefulSets, Deployments and Pods it owns (mapped back to
// their CdnCluster by label). An informer that fails restarts after a backoff, never exits the process; its state
// changes only through setState(), which logs.
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../api/schema.js';
import { CLUSTER_LABEL, FIELD_MANAGER, MANAGED_BY_LABEL } from '../desired/names.js';
import { Backoff } from '../reconcile/backoff.js';

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

export class Informers {
  private readonly all: RestartingInformer[] = [];

  constructor(kc: KubeConfig, namespace: string, onKey: OnKey, log: InformerLog) {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const ns = namespace === '' ? '' : `/namespaces/${namespace}`;
    const owned = `${MANAGED_BY_LABEL}=${FIELD_MANAGER}`;
    type List = () => Promise<KubernetesListObject<KubernetesObject>>;
    const listClusters: List = () =>
      (namespace === ''
        ? custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
        : custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace })) as Promise<
        KubernetesListObject<KubernetesObject>
      >;
    const byOwnLabel = (o: KubernetesObject) => {
      const c = o.metadata?.labels?.[CLUSTER_LABEL];
      if (c !== undefined && o.metadata?.namespace !== undefined) onKey(`${o.metadata.namespace}/${c}`);
    };
    const byName = (o: KubernetesObject) => onKey(`${o.metadata?.namespace}/${o.metadata?.name}`);
    const watch = (name: string, path: string, list: List, onObj: (o: KubernetesObject) => void, selector?: string) => {
      const inf = makeInformer(kc, path, list, selector);
      for (const verb of ['add', 'update', 'delete'] as const) inf.on(verb, onObj);
      this.all.push(new RestartingInformer(name, inf, log));
    };
    watch('cdnclusters', `/apis/${GROUP}/${VERSION}${ns}/${PLURAL}`, listClusters, byName);
    const nsArg = { labelSelector: owned };
    watch(
      'statefulsets',
      `/apis/apps/v1${ns}/statefulsets`,
      () =>
        namespace === ''
          ? apps.listStatefulSetForAllNamespaces(nsArg)
          : apps.listNamespacedStatefulSet({ namespace, ...nsArg }),
      byOwnLabel,
      owned,
    );
    watch(
      'deployments',
      `/apis/apps/v1${ns}/deployments`,
      () =>
        namespace === ''
          ? apps.listDeploymentForAllNamespaces(nsArg)
          : apps.listNamespacedDeployment({ namespace, ...nsArg }),
      byOwnLabel,
      owned,
    );
    watch(
      'pods',
      `/api/v1${ns}/pods`,
      () => (namespace === '' ? core.listPodForAllNamespaces(nsArg) : core.listNamespacedPod({ namespace, ...nsArg })),
      byOwnLabel,
      owned,
    );
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
}
