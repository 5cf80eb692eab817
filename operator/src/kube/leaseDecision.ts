// Leader election on a coordination.k8s.io Lease, the decision part: given the Lease as read (or its absence),
// this replica's identity and the clock, what to do. The I/O (read, create, update with resourceVersion, so that
// two replicas racing get a conflict) is in kube/leader.ts.
export interface LeaseView {
  readonly holderIdentity?: string | undefined;
  /** When the holder last renewed (ms since epoch). */
  readonly renewTimeMs?: number | undefined;
  readonly leaseDurationSeconds?: number | undefined;
  readonly leaseTransitions?: number | undefined;
}

export type LeaseAction =
  | { readonly action: 'create' }
  | { readonly action: 'renew' }
  | { readonly action: 'takeover'; readonly transitions: number }
  | { readonly action: 'wait'; readonly holder: string; readonly expiresInMs: number };

export function decideLease(lease: LeaseView | undefined, identity: string, nowMs: number): LeaseAction {
  if (lease === undefined) return { action: 'create' };
  if (lease.holderIdentity === identity) return { action: 'renew' };
  const holder = lease.holderIdentity ?? '';
  const expiresAt = (lease.renewTimeMs ?? 0) + (lease.leaseDurationSeconds ?? 0) * 1000;
  if (holder === '' || expiresAt <= nowMs) {
    return { action: 'takeover', transitions: (lease.leaseTransitions ?? 0) + 1 };
  }
  return { action: 'wait', holder, expiresInMs: expiresAt - nowMs };
}
