// The pure decisions of the reconciler: backoff, quantities, scaling steps, volume growth.
import { describe, expect, test } from 'vitest';
import { Backoff, backoffDelayMs } from '../../operator/src/reconcile/backoff.js';
import type { ObservedPvc, ObservedStatefulSet } from '../../operator/src/reconcile/observed.js';
import { parseBytes } from '../../operator/src/reconcile/quantity.js';
import { nextReplicas } from '../../operator/src/reconcile/scaling.js';
import { planStorage } from '../../operator/src/reconcile/storage.js';

describe('backoff', () => {
  const opts = { baseMs: 1000, maxMs: 60_000, jitter: 0 };
  test('doubles from the base and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 6, 7, 100].map((n) => backoffDelayMs(n, opts))).toEqual([
      0, 1000, 2000, 4000, 8000, 32_000, 60_000, 60_000,
    ]);
  });
  test('jitter only shortens, by at most its share', () => {
    const j = { ...opts, jitter: 0.2 };
    expect(backoffDelayMs(3, j, () => 0)).toBe(4000);
    expect(backoffDelayMs(3, j, () => 1)).toBe(3200);
  });
  test('counts failures per key and forgets them on success', () => {
    const b = new Backoff(opts);
    expect([b.fail('a'), b.fail('a'), b.fail('b'), b.fail('a')]).toEqual([1000, 2000, 1000, 4000]);
    b.succeed('a');
    expect(b.failuresOf('a')).toBe(0);
    expect(b.fail('a')).toBe(1000);
  });
});

describe('quantities', () => {
  test.each([
    ['10Gi', 10 * 2 ** 30],
    ['1.5Ti', 1.5 * 2 ** 40],
    ['500M', 500e6],
    ['1073741824', 1073741824],
    ['1k', 1000],
  ])('%s', (q, bytes) => expect(parseBytes(q)).toBe(bytes));
  test('not a byte size', () => {
    expect(parseBytes('100m')).toBeUndefined();
    expect(parseBytes('lots')).toBeUndefined();
  });
});

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

describe('volume growth', () => {
  const pvc = (name: string, requested: string, o: Partial<ObservedPvc> = {}): ObservedPvc => ({
    name,
    requested,
    capacity: requested,
    resizing: false,
    ...o,
  });
  test('patches the smaller claims when the class allows expansion', () => {
    const p = planStorage('20Gi', [pvc('data-x-0', '10Gi'), pvc('data-x-1', '20Gi')], 'allowed');
    expect(p.patches).toEqual(['data-x-0']);
    expect(p.condition).toMatchObject({ status: 'False', reason: 'Resizing' });
  });
  test('says so when the class does not allow it, and patches nothing', () => {
    const p = planStorage('20Gi', [pvc('data-x-0', '10Gi')], 'forbidden');
    expect(p.patches).toEqual([]);
    expect(p.condition).toMatchObject({ status: 'False', reason: 'ExpansionNotSupported' });
    expect(p.condition.message).toContain('data-x-0');
  });
  test('refuses to shrink', () => {
    expect(planStorage('5Gi', [pvc('data-x-0', '10Gi')], 'allowed').condition.reason).toBe('ShrinkNotSupported');
  });
  test('waits for the file system resize, then reports Resized', () => {
    expect(planStorage('20Gi', [pvc('d', '20Gi', { capacity: '10Gi' })], 'allowed').condition.reason).toBe('Resizing');
    expect(planStorage('20Gi', [pvc('d', '20Gi', { resizing: true })], 'allowed').condition.reason).toBe('Resizing');
    expect(planStorage('20Gi', [pvc('d', '20Gi')], 'allowed').condition).toMatchObject({
      status: 'True',
      reason: 'Resized',
    });
    expect(planStorage('20Gi', [pvc('d', '21474836480')], 'forbidden').condition.status).toBe('True');
  });
});
