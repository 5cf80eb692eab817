// Volume growth, pure: which claims to patch and what the StorageResized condition says.
import { describe, expect, test } from 'vitest';
import type { ObservedPvc } from '../../operator/src/reconcile/observed.js';
import { planStorage } from '../../operator/src/reconcile/storage.js';

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
