// Leader election decisions: two replicas never both act; an expired or released Lease is taken over.
import { describe, expect, test } from 'vitest';
import { decideLease } from '../../operator/src/kube/leaseDecision.js';

describe('lease decisions', () => {
  const now = 1_000_000;
  test('no Lease: create it', () => expect(decideLease(undefined, 'a', now)).toEqual({ action: 'create' }));
  test('ours: renew', () =>
    expect(decideLease({ holderIdentity: 'a', renewTimeMs: now, leaseDurationSeconds: 15 }, 'a', now)).toEqual({
      action: 'renew',
    }));
  test("another's, still valid: wait until it expires", () =>
    expect(decideLease({ holderIdentity: 'b', renewTimeMs: now - 5000, leaseDurationSeconds: 15 }, 'a', now)).toEqual({
      action: 'wait',
      holder: 'b',
      expiresInMs: 10_000,
    }));
  test("another's, expired: take over, counting the transition", () =>
    expect(
      decideLease(
        { holderIdentity: 'b', renewTimeMs: now - 15_000, leaseDurationSeconds: 15, leaseTransitions: 4 },
        'a',
        now,
      ),
    ).toEqual({ action: 'takeover', transitions: 5 }));
  test('released (no holder): take over', () =>
    expect(decideLease({ holderIdentity: '', renewTimeMs: now, leaseDurationSeconds: 15 }, 'a', now).action).toBe(
      'takeover',
    ));
});
