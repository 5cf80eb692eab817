// The reconcile pass, through the KubeApi interface with an in-memory FAKE of that interface (fakeKube.ts), NOT a
// real API server: these tests check the loop's decisions (what it applies, creates, prunes, resizes, writes to
// status). The same loop runs against a real API server once the control-plane issue (7) lands.
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { CdnCluster } from '../../operator/src/api/types.js';
import { KubeError } from '../../operator/src/kube/types.js';
import { PROGRESS_REQUEUE_MS, reconcile, type ReconcileDeps } from '../../operator/src/reconcile/reconciler.js';
import { WorkQueue } from '../../operator/src/reconcile/queue.js';
import { Backoff } from '../../operator/src/reconcile/backoff.js';
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

describe('work queue', () => {
  afterEach(() => vi.useRealTimers());

  test('one run per key at a time, coalesced; failures retried with backoff; stop waits', async () => {
    vi.useFakeTimers();
    const runs: string[] = [];
    let fail = 2;
    let release: () => void = () => {};
    const q = new WorkQueue(
      async (key) => {
        runs.push(key);
        if (key === 'flaky' && fail-- > 0) throw new Error('boom');
        if (key === 'slow') await new Promise<void>((r) => (release = r));
        return {};
      },
      { onError: () => {} },
      new Backoff({ baseMs: 100, maxMs: 1000, jitter: 0 }),
    );
    q.add('slow');
    q.add('slow');
    q.add('slow');
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual(['slow']);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual(['slow', 'slow']); // queued again while running: one more run, not two
    release();
    q.add('flaky');
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(100);
    await vi.advanceTimersByTimeAsync(200);
    expect(runs.filter((k) => k === 'flaky')).toHaveLength(3);
    await q.stop();
    q.add('after-stop');
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).not.toContain('after-stop');
  });
});
