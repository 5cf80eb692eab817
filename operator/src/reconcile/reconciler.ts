// One reconcile pass: observe → compare → act → status/conditions. Level-driven: it reads the current state every
// time and converges on it; it never looks at which watch event woke it. Returns when to look again.
import { parseCdnCluster } from '../api/parse.js';
import type { CdnCluster, CdnClusterStatus } from '../api/types.js';
import { desiredObjects, type DesiredConfig, type TokenSource } from '../desired/index.js';
import type { AppliedObject } from '../desired/types.js';
import { isKubeError, type KubeApi, type ObjectKey, type ObjectRef } from '../kube/types.js';
import { jsonEqual } from './equal.js';
import { eventsFor } from './events.js';
import { planFor } from './plan.js';
import { computeStatus, invalidSpecStatus, type StatusResult } from './status.js';

export interface ReconcileDeps {
  readonly kube: KubeApi;
  readonly config: DesiredConfig;
  readonly token: TokenSource;
  readonly now: () => Date;
  readonly log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface ReconcileResult {
  readonly requeueAfterMs?: number;
}

/** While something is under way (rollout, scale step, resize) look again this soon, even without a watch event. */
export const PROGRESS_REQUEUE_MS = 5_000;

export async function reconcile(key: ObjectKey, deps: ReconcileDeps): Promise<ReconcileResult> {
  const raw = await deps.kube.getCluster(key);
  if (raw === undefined) return {}; // deleted: owner references let the garbage collector do the rest
  const parsed = parseCdnCluster(raw);
  const now = deps.now().toISOString();
  if (!parsed.ok) {
    const bare = raw as CdnCluster;
    await writeStatus(deps, bare, invalidSpecStatus(bare, parsed.problems, now));
    return {};
  }
  const cluster = parsed.cluster;
  const observed = await deps.kube.observe(cluster);
  const fp = planFor(cluster, observed);
  const desired = desiredObjects(cluster, deps.config, fp.plan, deps.token);

  for (const s of desired.createOnly) await deps.kube.createIfAbsent(s);
  const problems: string[] = [];
  for (const obj of desired.apply) await applyOne(deps, obj, problems);
  await prune(deps, cluster, [...desired.apply, ...desired.createOnly]);
  for (const name of fp.storage.patches) {
    await deps.kube.resizePvc({ namespace: cluster.metadata.namespace, name }, cluster.spec.storage.size);
  }

  const image = cluster.spec.image ?? deps.config.defaultImage;
  const result = computeStatus({ cluster, observed, plan: fp, problems, image, now });
  await writeStatus(deps, cluster, result);
  const progressing = result.status.conditions?.some((c) => c.type === 'Progressing' && c.status === 'True');
  return progressing === true ? { requeueAfterMs: PROGRESS_REQUEUE_MS } : {};
}

/** A refused object (invalid, forbidden) is reported in Degraded; anything else fails the pass (backoff). */
async function applyOne(deps: ReconcileDeps, obj: AppliedObject, problems: string[]): Promise<void> {
  try {
    await deps.kube.apply(obj);
  } catch (err) {
    if (!isKubeError(err, 'Invalid') && !isKubeError(err, 'Forbidden')) throw err;
    problems.push(`${obj.kind} ${obj.metadata?.name}: ${(err as Error).message}`);
  }
}

async function prune(
  deps: ReconcileDeps,
  cluster: CdnCluster,
  keep: readonly { kind: string; metadata?: { name?: string } }[],
) {
  const wanted = new Set(keep.map((o) => `${o.kind}/${o.metadata?.name}`));
  const owned = await deps.kube.listOwned(cluster);
  for (const ref of toPrune(owned, wanted)) {
    deps.log.info({ kind: ref.kind, name: ref.name }, 'deleting an object no longer wanted');
    await deps.kube.delete(ref).catch((err: unknown) => {
      if (!isKubeError(err, 'NotFound')) throw err;
    });
  }
}

/** Owned objects that the desired set no longer has. Node volumes are never pruned here (the StatefulSet owns them). */
export function toPrune(owned: readonly ObjectRef[], wanted: ReadonlySet<string>): ObjectRef[] {
  return owned
    .filter((r) => r.kind !== 'PersistentVolumeClaim' || r.name.includes('-redis'))
    .filter((r) => !wanted.has(`${r.kind}/${r.name}`));
}

async function writeStatus(deps: ReconcileDeps, cluster: CdnCluster, result: StatusResult): Promise<void> {
  if (!statusChanged(cluster.status, result.status)) return;
  await deps.kube.patchStatus(cluster, result.status);
  for (const e of eventsFor(result.transitions)) {
    await deps.kube
      .event(cluster, e)
      .catch((err: unknown) => deps.log.warn({ err: String(err) }, 'event not recorded'));
  }
}

export function statusChanged(before: CdnClusterStatus | undefined, after: CdnClusterStatus): boolean {
  return !jsonEqual(before ?? {}, after);
}
