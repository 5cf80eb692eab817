// The reconcile pass, through the KubeApi interface with an in-memory FAKE of that interface (fakeKube.ts), NOT a
// real API server: these tests check the loop's decisions (what it applies, creates, prunes, resizes, writes to
// status). The same loop runs against a real API server once the control-plane issue (7) lands.
import { describe, expect, test } from 'vitest';
import type { CdnCluster } from '../../operator/src/api/types.js';
import { KubeError, type ObjectRef } from '../../operator/src/kube/types.js';
import { PROGRESS_REQUEUE_MS, reconcile, toPrune, type ReconcileDeps } from '../../operator/src/reconcile/reconciler.js';
import { FakeKube } from './fakeKube.js';

const KEY = { namespace: 'cdn', name: 'c' };

function setup(spec: object = {}) {
  const kube = new FakeKube();
  kube.addCluster({
    apiVersion: 'kubecdn.io/v1alpha1',
    kind: 'CdnCluster',
    metadata: { name: 'c', namespace: 'cdn', uid: 'u1', generation: 1 },
    spec,
  });
  let n = 0;
  const deps: ReconcileDeps = {
    kube,
    config: { defaultImage: 'kubecdn:test' },
    token: () => `token-${++n}-abcdefgh`,
    now: () => new Date('2026-01-01T00:00:00Z'),
    log: { info: () => {}, warn: () => {} },
  };
  const status = () => (kube.clusters.get('cdn/c') as CdnCluster).status;
  return { kube, deps, status };
}

describe('reconcile (through the KubeApi interface, with an in-memory fake)', () => {
  test('creates everything, writes status, and converges: a second pass changes nothing', async () => {
    const { kube, deps, status } = setup();
    const r1 = await reconcile(KEY, deps);
    expect(kube.get('StatefulSet', 'c')).toBeDefined();
    expect(kube.get('Deployment', 'c-redis')).toBeDefined();
    // The first pass observed nothing yet: creating, so it asks to be called again.
    expect(status()?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('Creating');
    expect(r1).toEqual({ requeueAfterMs: PROGRESS_REQUEUE_MS });
    expect(await reconcile(KEY, deps)).toEqual({});
    expect(status()?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const before = kube.calls.length;
    await reconcile(KEY, deps);
    const second = kube.calls.slice(before);
    expect(second.filter((c) => c.startsWith('create') || c.startsWith('delete') || c === 'patchStatus')).toEqual([]);
  });

  test('generated secrets are created once and never rewritten', async () => {
    const { kube, deps } = setup();
    await reconcile(KEY, deps);
    const token = kube.get<{ stringData: { token: string } }>('Secret', 'c-write-token')!.stringData.token;
    await reconcile(KEY, deps);
    await reconcile(KEY, deps);
    expect(kube.get<{ stringData: { token: string } }>('Secret', 'c-write-token')!.stringData.token).toBe(token);
    expect(kube.calls.filter((c) => c === 'create Secret/c-write-token')).toHaveLength(1);
  });

  test('prunes what is no longer wanted (ingress off, Redis external)', async () => {
    const { kube, deps } = setup({ ingress: { enabled: true } });
    await reconcile(KEY, deps);
    expect(kube.get('Ingress', 'c')).toBeDefined();
    const c = kube.clusters.get('cdn/c') as CdnCluster;
    kube.addCluster({ ...c, spec: { redis: { external: { url: 'redis://r:6379' } } } });
    await reconcile(KEY, deps);
    expect(kube.get('Ingress', 'c')).toBeUndefined();
    expect(kube.get('Deployment', 'c-redis')).toBeUndefined();
    expect(kube.get('PersistentVolumeClaim', 'c-redis')).toBeUndefined();
    expect(kube.get('StatefulSet', 'c')).toBeDefined();
  });

  test('scales down one step per pass and asks to be called again', async () => {
    const { kube, deps, status } = setup({ replicas: 5 });
    await reconcile(KEY, deps);
    const c = kube.clusters.get('cdn/c') as CdnCluster;
    kube.addCluster({ ...c, spec: { ...c.spec, replicas: 3 } });
    const r = await reconcile(KEY, deps);
    expect(kube.get<{ spec: { replicas: number } }>('StatefulSet', 'c')!.spec.replicas).toBe(4);
    expect(r.requeueAfterMs).toBe(PROGRESS_REQUEUE_MS);
    expect(status()?.conditions?.find((x) => x.type === 'Progressing')?.reason).toBe('ScalingDown');
    await reconcile(KEY, deps);
    expect(kube.get<{ spec: { replicas: number } }>('StatefulSet', 'c')!.spec.replicas).toBe(3);
  });

  test('grows volumes by patching the claims, keeping the immutable template', async () => {
    const { kube, deps } = setup({ storage: { size: '10Gi' } });
    await reconcile(KEY, deps);
    const c = kube.clusters.get('cdn/c') as CdnCluster;
    kube.addCluster({ ...c, spec: { ...c.spec, storage: { size: '20Gi' } } });
    kube.observed = { pvcs: [{ name: 'data-c-0', requested: '10Gi', capacity: '10Gi', resizing: false }] };
    await reconcile(KEY, deps);
    expect(kube.resized).toEqual([{ name: 'data-c-0', size: '20Gi' }]);
    const sts = kube.get<{
      spec: { volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[] };
    }>('StatefulSet', 'c')!;
    expect(sts.spec.volumeClaimTemplates[0]!.spec.resources.requests.storage).toBe('10Gi');
  });

  test('an object the API server refuses makes the cluster Degraded; other objects still apply', async () => {
    const { kube, deps, status } = setup({ ingress: { enabled: true } });
    kube.failApply.set('Ingress', new KubeError('Forbidden', 403, 'ingresses is forbidden'));
    await reconcile(KEY, deps);
    expect(kube.get('StatefulSet', 'c')).toBeDefined();
    const d = status()?.conditions?.find((x) => x.type === 'Degraded');
    expect(d).toMatchObject({ status: 'True', reason: 'ApplyFailed' });
    expect(kube.events.some((e) => e.type === 'Warning' && e.reason === 'ApplyFailed')).toBe(true);
  });

  test('a conflict fails the pass (the queue retries it with backoff)', async () => {
    const { kube, deps } = setup();
    kube.failApply.set('StatefulSet', new KubeError('Conflict', 409, 'conflict'));
    await expect(reconcile(KEY, deps)).rejects.toMatchObject({ reason: 'Conflict' });
  });

  test('an invalid spec is reported in status and not acted on', async () => {
    const { kube, deps, status } = setup({ replicas: 1, replicationFactor: 3 });
    await reconcile(KEY, deps);
    expect(kube.objects.size).toBe(0);
    expect(status()?.conditions?.find((x) => x.type === 'Degraded')?.reason).toBe('InvalidSpec');
  });

  test('a deleted CdnCluster: nothing to do', async () => {
    const { kube, deps } = setup();
    kube.clusters.clear();
    expect(await reconcile(KEY, deps)).toEqual({});
    expect(kube.calls).toEqual([]);
  });
});

describe('toPrune (pure: what an owned-object listing and the desired set leave to delete)', () => {
  const ref = (kind: string, name: string): ObjectRef => ({ apiVersion: 'v1', kind, namespace: 'cdn', name });
  const wanted = (...refs: ObjectRef[]): Set<string> => new Set(refs.map((r) => `${r.kind}/${r.name}`));

  test('deletes what is owned and no longer wanted, keeps what is wanted, in listing order', () => {
    const owned = [ref('Service', 'c'), ref('Ingress', 'c'), ref('ConfigMap', 'c-config'), ref('Deployment', 'c-redis')];
    expect(toPrune(owned, wanted(ref('Service', 'c'), ref('ConfigMap', 'c-config')))).toEqual([ref('Ingress', 'c'), ref('Deployment', 'c-redis')]);
    expect(toPrune(owned, wanted(...owned))).toEqual([]);
    expect(toPrune([], wanted(ref('Service', 'c')))).toEqual([]);
  });

  test('matches kind and name together: a wanted name of another kind does not keep an object', () => {
    expect(toPrune([ref('Service', 'c'), ref('PodDisruptionBudget', 'c')], wanted(ref('Service', 'c')))).toEqual([ref('PodDisruptionBudget', 'c')]);
  });

  test('never deletes a node volume, wanted or not; the Redis volume goes when Redis is no longer wanted', () => {
    const owned = [ref('PersistentVolumeClaim', 'data-c-0'), ref('PersistentVolumeClaim', 'data-c-1'), ref('PersistentVolumeClaim', 'c-redis')];
    expect(toPrune(owned, wanted())).toEqual([ref('PersistentVolumeClaim', 'c-redis')]);
    expect(toPrune(owned, wanted(ref('PersistentVolumeClaim', 'c-redis')))).toEqual([]);
  });
});
