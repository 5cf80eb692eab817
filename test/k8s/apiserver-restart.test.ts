// 9: the kube-apiserver process is stopped and started again with the same flags; the operator's informers recover
// and it reacts to a spec change made after the restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CP_DIR,
  cdnYaml,
  createNamespace,
  deleteNamespace,
  ensureCrd,
  getJson,
  HAVE_CP,
  kubectl,
  restartApiserver,
  startOperator,
  stopAllOperators,
  waitFor,
  type OperatorProc,
} from './helpers.js';

const NS = 'k8s-restart';

describe.skipIf(!HAVE_CP)('apiserver restart', () => {
  let op: OperatorProc;
  beforeAll(() => {
    ensureCrd();
    createNamespace(NS);
    // Leader election off here: a lease the apiserver could not renew during the outage would (by design) make the
    // operator exit; this test is about the informers.
    op = startOperator({
      identity: 'op-restart',
      namespace: NS,
      watchNamespace: NS,
      leaseName: 'restart',
      leaderElection: false,
    });
  });
  afterAll(async () => {
    await stopAllOperators();
    deleteNamespace(NS);
  });

  it("the operator's informers recover after the apiserver restarts", async () => {
    kubectl(['apply', '-f', '-'], cdnYaml(NS, 'rs', { replicas: 1, replicationFactor: 1 }));
    await waitFor('StatefulSet rs', () => getJson(['-n', NS, 'statefulset', 'rs'])?.spec?.replicas === 1);

    const { oldPid, newPid } = await restartApiserver(CP_DIR ?? '', 3000);
    expect(newPid).not.toBe(oldPid);
    expect(op.exited(), op.logs().slice(-2000)).toBe(false);

    // A change made only after the restart: the operator can see it only through a recovered watch.
    const tPatch = Date.now();
    kubectl(['-n', NS, 'patch', 'cdncluster', 'rs', '--type=merge', '-p', '{"spec":{"replicas":3}}']);
    await waitFor(
      'StatefulSet rs at 3 after the restart',
      () => getJson(['-n', NS, 'statefulset', 'rs'])?.spec?.replicas === 3,
      90_000,
      500,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\noperator log tail:\n${op.logs().slice(-4000)}`);
    });
    console.log(`operator reacted ${Date.now() - tPatch} ms after the post-restart patch`);
    // And a brand-new object too.
    kubectl(['apply', '-f', '-'], cdnYaml(NS, 'rs2', { replicas: 1, replicationFactor: 1 }));
    await waitFor('StatefulSet rs2 after the restart', () => getJson(['-n', NS, 'statefulset', 'rs2']), 60_000, 500);
    await waitFor('status of rs follows', () => {
      const c = getJson(['-n', NS, 'cdncluster', 'rs']);
      return c?.status?.observedGeneration === c?.metadata?.generation;
    });
    expect(op.exited()).toBe(false);
  });
});
