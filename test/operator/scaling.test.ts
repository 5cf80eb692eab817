// Scaling steps, pure: up at once, down one node at a time once everything has settled.
import { describe, expect, test } from 'vitest';
import type { ObservedStatefulSet } from '../../operator/src/reconcile/observed.js';
import { nextReplicas } from '../../operator/src/reconcile/scaling.js';

const sts = (o: Partial<ObservedStatefulSet>): ObservedStatefulSet => ({
  specReplicas: 5,
  replicas: 5,
  readyReplicas: 5,
  updatedReplicas: 5,
  currentRevision: 'r1',
  updateRevision: 'r1',
  generation: 3,
  observedGeneration: 3,
  claimSize: '10Gi',
  ...o,
});

describe('scaling', () => {
  test('creates and scales up at once', () => {
    expect(nextReplicas(3, { statefulSet: undefined, terminatingPods: 0 })).toEqual({ replicas: 3, phase: 'Steady' });
    expect(nextReplicas(8, { statefulSet: sts({}), terminatingPods: 0 })).toEqual({ replicas: 8, phase: 'ScalingUp' });
  });
  test('scales down one node at a time once everything is settled', () => {
    expect(nextReplicas(2, { statefulSet: sts({}), terminatingPods: 0 })).toEqual({
      replicas: 4,
      phase: 'ScalingDown',
    });
  });
  test.each([
    ['a leaver is still handing off', sts({}), 1],
    ['the StatefulSet has not seen the last step', sts({ observedGeneration: 2 }), 0],
    [
      'a pod of the last step still exists',
      sts({ specReplicas: 4, replicas: 5, readyReplicas: 4, updatedReplicas: 4 }),
      0,
    ],
    ['a node is not ready', sts({ readyReplicas: 4 }), 0],
    ['a rolling update is under way', sts({ updateRevision: 'r2', updatedReplicas: 2 }), 0],
  ])('holds while %s', (_why, s, terminating) => {
    expect(nextReplicas(2, { statefulSet: s, terminatingPods: terminating })).toEqual({
      replicas: s.specReplicas,
      phase: 'WaitingForHandoff',
    });
  });
  test('never goes below the wanted count', () => {
    expect(nextReplicas(5, { statefulSet: sts({}), terminatingPods: 0 }).replicas).toBe(5);
    expect(nextReplicas(4, { statefulSet: sts({}), terminatingPods: 0 }).replicas).toBe(4);
  });
});
