// 8: two operator processes, one Lease: only the holder acts; SIGKILL the holder and the other takes over after the
// lease expires.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cdnYaml,
  createNamespace,
  deleteNamespace,
  ensureCrd,
  getJson,
  HAVE_CP,
  kubectl,
  sleep,
  startOperator,
  stopAllOperators,
  waitFor,
  type OperatorProc,
} from './helpers.js';

const NS = 'k8s-leader';
const LEASE = 'kubecdn-test-leader';

const leading = (p: OperatorProc): boolean => p.lines().some((l) => l.msg === 'leading: starting informers');

describe.skipIf(!HAVE_CP)('leader election between two operator processes', () => {
  beforeAll(() => {
    ensureCrd();
    createNamespace(NS);
  });
  afterAll(async () => {
    await stopAllOperators();
    deleteNamespace(NS);
  });

  it('only the Lease holder acts, and the other takes over after the holder is SIGKILLed', async () => {
    const a = startOperator({
      identity: 'op-a',
      namespace: NS,
      watchNamespace: NS,
      leaseName: LEASE,
      leaseDurationMs: 4000,
      leaseRenewMs: 1000,
    });
    await waitFor('op-a to lead', () => leading(a), 30_000);
    const b = startOperator({
      identity: 'op-b',
      namespace: NS,
      watchNamespace: NS,
      leaseName: LEASE,
      leaseDurationMs: 4000,
      leaseRenewMs: 1000,
    });
    await sleep(2500); // op-b's elector has tried the Lease a couple of times
    expect(b.exited(), b.logs()).toBe(false);

    const lease = getJson(['-n', NS, 'lease', LEASE]);
    expect(lease?.spec?.holderIdentity).toBe('op-a');
    expect(lease?.spec?.leaseDurationSeconds).toBe(4);

    kubectl(['apply', '-f', '-'], cdnYaml(NS, 'one', { replicas: 1, replicationFactor: 1 }));
    await waitFor('StatefulSet one', () => getJson(['-n', NS, 'statefulset', 'one']));
    await waitFor('status of one', () => getJson(['-n', NS, 'cdncluster', 'one'])?.status?.observedGeneration === 1);
    // Give the follower several renew periods in which it would have acted if it were going to.
    await sleep(3000);
    expect(leading(b), `op-b log:\n${b.logs().slice(-2000)}`).toBe(false);
    expect(b.logs()).not.toMatch(/deleting an object|reconcile failed/);
    expect(getJson(['-n', NS, 'lease', LEASE])?.spec?.holderIdentity).toBe('op-a');
    expect(b.exited()).toBe(false);

    // SIGKILL: no release of the Lease, so op-b must wait for it to expire.
    const killedAt = Date.now();
    await a.kill('SIGKILL');
    await waitFor(
      'op-b to hold the Lease',
      () => getJson(['-n', NS, 'lease', LEASE])?.spec?.holderIdentity === 'op-b',
      60_000,
    );
    await waitFor('op-b to lead', () => leading(b), 30_000);
    const lease2 = getJson(['-n', NS, 'lease', LEASE]);
    expect(Number(lease2?.spec?.leaseTransitions ?? 0)).toBeGreaterThanOrEqual(1);
    // Diagnostic only (no timing assertion): how long the takeover took.
    console.log(`takeover after SIGKILL: ${Date.now() - killedAt} ms`);

    // The new leader acts: a spec change and a new CdnCluster are both handled.
    kubectl(['-n', NS, 'patch', 'cdncluster', 'one', '--type=merge', '-p', '{"spec":{"replicas":2}}']);
    await waitFor(
      'StatefulSet one at 2 (new leader)',
      () => getJson(['-n', NS, 'statefulset', 'one'])?.spec?.replicas === 2,
      60_000,
    );
    kubectl(['apply', '-f', '-'], cdnYaml(NS, 'two', { replicas: 1, replicationFactor: 1 }));
    await waitFor('StatefulSet two (new leader)', () => getJson(['-n', NS, 'statefulset', 'two']), 60_000);
    expect(b.exited()).toBe(false);
  });
});
