// Status and conditions: Ready, Progressing, Degraded, StorageResized; lastTransitionTime kept while the status
// stays; Events only on transitions.
import { describe, expect, test } from 'vitest';
import type { CdnCluster } from '../../operator/src/api/types.js';
import { setCondition } from '../../operator/src/reconcile/conditions.js';
import { eventsFor } from '../../operator/src/reconcile/events.js';
import type { ObservedState, ObservedStatefulSet } from '../../operator/src/reconcile/observed.js';
import { planFor } from '../../operator/src/reconcile/plan.js';
import { computeStatus, invalidSpecStatus } from '../../operator/src/reconcile/status.js';
import { cluster } from './helpers.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

const sts = (o: Partial<ObservedStatefulSet> = {}): ObservedStatefulSet => ({
  specReplicas: 3,
  replicas: 3,
  readyReplicas: 3,
  updatedReplicas: 3,
  currentRevision: 'r1',
  updateRevision: 'r1',
  generation: 1,
  observedGeneration: 1,
  claimSize: '10Gi',
  ...o,
});

const observed = (o: Partial<ObservedState> = {}): ObservedState => ({
  statefulSet: sts(),
  terminatingPods: 0,
  pvcs: [0, 1, 2].map((i) => ({ name: `data-c-${i}`, requested: '10Gi', capacity: '10Gi', resizing: false })),
  expansion: 'allowed',
  redisReady: true,
  serviceMonitorCrd: false,
  ...o,
});

function status(c: CdnCluster, o: ObservedState, now = T0, problems: string[] = []) {
  return computeStatus({ cluster: c, observed: o, plan: planFor(c, o), problems, image: 'img:1', now });
}

const byType = (r: ReturnType<typeof status>) =>
  Object.fromEntries((r.status.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));

describe('conditions', () => {
  test('a settled cluster: Ready, not Progressing, not Degraded, volumes resized', () => {
    const r = status(cluster('c', {}), observed());
    expect(byType(r)).toEqual({
      Ready: 'True/AllNodesReady',
      Progressing: 'False/Stable',
      Degraded: 'False/AsExpected',
      StorageResized: 'True/Resized',
    });
    expect(r.status).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      readyReplicas: 3,
      selector: 'kubecdn.io/cluster=c,app.kubernetes.io/component=node',
      redis: 'Ready',
      image: 'img:1',
      storageSize: '10Gi',
    });
  });

  test('creating', () => {
    const r = status(cluster('c', {}), observed({ statefulSet: undefined, pvcs: [], redisReady: false }));
    expect(byType(r)).toMatchObject({
      Ready: 'False/RedisNotReady',
      Progressing: 'True/Creating',
      Degraded: 'False/AsExpected',
    });
    expect(r.status.replicas).toBe(0);
  });

  test('a rolling image upgrade is Progressing and stays Ready while enough nodes serve', () => {
    const r = status(cluster('c', {}), observed({ statefulSet: sts({ updateRevision: 'r2', updatedReplicas: 1 }) }));
    expect(byType(r)).toMatchObject({ Ready: 'True/AllNodesReady', Progressing: 'True/RollingUpdate' });
  });

  test('scaling down waits for the hand-off and says so', () => {
    const c = cluster('c', { replicas: 2 });
    const r = status(c, observed({ terminatingPods: 1 }));
    expect(byType(r).Progressing).toBe('True/WaitingForHandoff');
    expect(status(c, observed()).status.conditions?.find((x) => x.type === 'Progressing')?.reason).toBe('ScalingDown');
  });

  test('volume growth the class cannot do is Degraded and named in StorageResized', () => {
    const r = status(cluster('c', { storage: { size: '20Gi' } }), observed({ expansion: 'forbidden' }));
    expect(byType(r)).toMatchObject({
      Degraded: 'True/ExpansionNotSupported',
      StorageResized: 'False/ExpansionNotSupported',
    });
  });

  test('losing nodes below the replication factor is Degraded; a new cluster starting is not', () => {
    const fresh = cluster('c', {});
    expect(byType(status(fresh, observed({ statefulSet: sts({ readyReplicas: 1 }) }))).Degraded).toBe(
      'False/AsExpected',
    );
    const wasReady = { ...fresh, status: status(fresh, observed()).status };
    const r = status(wasReady, observed({ statefulSet: sts({ readyReplicas: 1 }) }), T1);
    expect(byType(r)).toMatchObject({ Ready: 'False/NodesNotReady', Degraded: 'True/BelowReplicationFactor' });
  });

  test('ServiceMonitor asked for without its CRD is Degraded', () => {
    const c = cluster('c', { metrics: { serviceMonitor: { enabled: true } } });
    expect(byType(status(c, observed())).Degraded).toBe('True/ServiceMonitorUnavailable');
  });

  test('apply problems are Degraded with the message', () => {
    const r = status(cluster('c', {}), observed(), T0, ['Ingress c: forbidden']);
    expect(r.status.conditions?.find((x) => x.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'ApplyFailed',
      message: 'Ingress c: forbidden',
    });
  });

  test('an invalid spec', () => {
    const r = invalidSpecStatus(cluster('c', {}), ['spec.replicas: too big'], T0);
    expect(byType(r)).toEqual({ Ready: 'Unknown/InvalidSpec', Degraded: 'True/InvalidSpec' });
  });

  test('lastTransitionTime moves only when the status changes', () => {
    const a = setCondition([], { type: 'Ready', status: 'False', reason: 'NodesNotReady', message: '0 of 3' }, 1, T0);
    const b = setCondition(a, { type: 'Ready', status: 'False', reason: 'NodesNotReady', message: '1 of 3' }, 2, T1);
    expect(b[0]).toMatchObject({ lastTransitionTime: T0, message: '1 of 3', observedGeneration: 2 });
    const c = setCondition(b, { type: 'Ready', status: 'True', reason: 'AllNodesReady', message: '3 of 3' }, 2, T1);
    expect(c[0]!.lastTransitionTime).toBe(T1);
  });
});

describe('events', () => {
  test('only on transitions; warnings for losing readiness and for degradation', () => {
    const c = cluster('c', {});
    const first = status(c, observed());
    expect(eventsFor(first.transitions).map((e) => `${e.type}/${e.reason}`)).toEqual([
      'Normal/AllNodesReady',
      'Normal/Resized',
    ]);
    const settled = { ...c, status: first.status };
    expect(eventsFor(status(settled, observed(), T1).transitions)).toEqual([]);
    const lost = status(settled, observed({ statefulSet: sts({ readyReplicas: 1 }) }), T1);
    expect(eventsFor(lost.transitions).map((e) => `${e.type}/${e.reason}`)).toEqual([
      'Warning/NodesNotReady',
      'Normal/NodesStarting',
      'Warning/BelowReplicationFactor',
    ]);
  });
});
