// 4-7: one operator process against the real apiserver: children with ownerReferences, status follows the spec,
// the /scale subresource drives the StatefulSet, deleting the CdnCluster garbage-collects everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cdnYaml,
  createNamespace,
  deleteNamespace,
  ensureCrd,
  getJson,
  HAVE_CP,
  kubectl,
  ownerRefTo,
  startOperator,
  stopAllOperators,
  waitFor,
  type Obj,
  type OperatorProc,
} from './helpers.js';

const NS = 'k8s-op';
const NAME = 'cdn';

const CHILDREN: [kind: string, name: string][] = [
  ['statefulset', NAME],
  ['service', `${NAME}-nodes`],
  ['service', NAME],
  ['configmap', `${NAME}-config`],
  ['secret', `${NAME}-write-token`],
  ['secret', `${NAME}-cluster-secret`],
  ['deployment', `${NAME}-redis`],
  ['service', `${NAME}-redis`],
  ['persistentvolumeclaim', `${NAME}-redis`],
  ['poddisruptionbudget', NAME],
  ['ingress', NAME],
  ['networkpolicy', NAME],
  ['networkpolicy', `${NAME}-redis`],
];

describe.skipIf(!HAVE_CP)('operator against a real apiserver', () => {
  let op: OperatorProc;
  let uid = '';

  beforeAll(() => {
    ensureCrd();
    createNamespace(NS);
    op = startOperator({
      identity: 'op-single',
      namespace: NS,
      watchNamespace: NS,
      leaseName: 'single',
    });
  });
  afterAll(async () => {
    await stopAllOperators();
    deleteNamespace(NS);
  });

  it('creates every child, each owned by the CdnCluster', async () => {
    kubectl(
      ['apply', '-f', '-'],
      cdnYaml(NS, NAME, {
        replicas: 2,
        replicationFactor: 2,
        ingress: { enabled: true, host: 'cdn.example.com' },
      }),
    );
    uid = String(getJson(['-n', NS, 'cdncluster', NAME])?.metadata?.uid ?? '');
    expect(uid).not.toBe('');
    for (const [kind, name] of CHILDREN) {
      const obj = await waitFor(`${kind}/${name}`, () => getJson(['-n', NS, kind, name]), 60_000).catch(
        (err: unknown) => {
          throw new Error(`${String(err)}\noperator log tail:\n${op.logs().slice(-3000)}`);
        },
      );
      expect(
        ownerRefTo(obj, uid),
        `${kind}/${name} ownerReferences: ${JSON.stringify(obj.metadata.ownerReferences)}`,
      ).toBe(true);
      const managers = ((obj.metadata.managedFields ?? []) as Obj[]).map((m) => String(m.manager));
      expect(managers, `${kind}/${name}`).toContain('kubecdn-operator');
    }
    const sts = getJson(['-n', NS, 'statefulset', NAME]);
    expect(sts?.spec?.replicas).toBe(2);
  });

  it('status conditions and observedGeneration follow spec changes', async () => {
    const first = await waitFor('first status', () => {
      const c = getJson(['-n', NS, 'cdncluster', NAME]);
      return c?.status?.observedGeneration === c?.metadata?.generation && (c?.status?.conditions?.length ?? 0) > 0
        ? c
        : undefined;
    });
    const types = (first.status.conditions as Obj[]).map((c) => String(c.type));
    expect(types).toEqual(expect.arrayContaining(['Ready', 'Progressing', 'Degraded']));
    expect(first.status.selector).toMatch(/kubecdn\.io\/cluster=cdn/);
    const gen0 = Number(first.metadata.generation);

    kubectl([
      '-n',
      NS,
      'patch',
      'cdncluster',
      NAME,
      '--type=merge',
      '-p',
      '{"spec":{"logLevel":"debug","ingress":{"enabled":false}}}',
    ]);
    const after = await waitFor('observedGeneration to follow the patch', () => {
      const c = getJson(['-n', NS, 'cdncluster', NAME]);
      return Number(c?.metadata?.generation) > gen0 && c?.status?.observedGeneration === c?.metadata?.generation
        ? c
        : undefined;
    });
    expect((after.status.conditions as Obj[]).length).toBeGreaterThan(0);
    for (const c of after.status.conditions as Obj[]) {
      expect(['True', 'False', 'Unknown']).toContain(c.status);
      expect(typeof c.lastTransitionTime).toBe('string');
    }
    // The ConfigMap carries the new log level; the Ingress is gone now that it is disabled.
    await waitFor('ConfigMap LOG_LEVEL=debug', () =>
      JSON.stringify(getJson(['-n', NS, 'configmap', `${NAME}-config`])?.data ?? {}).includes('debug'),
    );
    await waitFor('Ingress deleted', () => getJson(['-n', NS, 'ingress', NAME]) === undefined);
    // Condition changes are recorded as Events on the CdnCluster.
    const events = getJson([
      '-n',
      NS,
      'events',
      '--field-selector',
      `involvedObject.name=${NAME},involvedObject.kind=CdnCluster`,
    ]);
    expect((events?.items ?? []).length).toBeGreaterThan(0);
  });

  it('spec.networkPolicy.enabled: false prunes the NetworkPolicies, true brings them back', async () => {
    const setEnabled = (on: boolean): void => {
      kubectl(['-n', NS, 'patch', 'cdncluster', NAME, '--type=merge', '-p', JSON.stringify({ spec: { networkPolicy: { enabled: on } } })]);
    };
    const policies = (): string[] =>
      ((getJson(['-n', NS, 'networkpolicy', '-l', `kubecdn.io/cluster=${NAME}`])?.items ?? []) as Obj[])
        .map((p) => String(p.metadata.name))
        .sort();
    expect(policies()).toEqual([NAME, `${NAME}-redis`]);
    const node = getJson(['-n', NS, 'networkpolicy', NAME]);
    expect(node?.spec?.podSelector?.matchLabels).toEqual({ 'kubecdn.io/cluster': NAME, 'app.kubernetes.io/component': 'node' });
    setEnabled(false);
    await waitFor('NetworkPolicies pruned', () => policies().length === 0);
    setEnabled(true);
    await waitFor('NetworkPolicies back', () => policies().length === 2);
  });

  it('kubectl scale goes through /scale and the StatefulSet follows (up)', async () => {
    // /scale reads status.replicas and status.selector: both written by the operator.
    const scale = JSON.parse(
      kubectl(['get', '--raw', `/apis/kubecdn.io/v1alpha1/namespaces/${NS}/cdnclusters/${NAME}/scale`]),
    ) as Obj;
    expect(scale.kind).toBe('Scale');
    expect(scale.spec.replicas).toBe(2);
    expect(scale.status.selector).toMatch(/kubecdn\.io\/cluster=cdn/);

    expect(kubectl(['-n', NS, 'scale', `cdncluster/${NAME}`, '--replicas=4'])).toMatch(/scaled/);
    expect(getJson(['-n', NS, 'cdncluster', NAME])?.spec?.replicas).toBe(4);
    await waitFor('StatefulSet replicas 4', () => getJson(['-n', NS, 'statefulset', NAME])?.spec?.replicas === 4);
    await waitFor('status.replicas 4 via /scale', () => {
      const s = JSON.parse(
        kubectl(['get', '--raw', `/apis/kubecdn.io/v1alpha1/namespaces/${NS}/cdnclusters/${NAME}/scale`]),
      ) as Obj;
      return s.status?.replicas === 4;
    });
    // The /scale subresource is validated too: CEL (replicationFactor 2 > 1) refuses scaling to 1.
    const bad = (() => {
      try {
        kubectl(['-n', NS, 'scale', `cdncluster/${NAME}`, '--replicas=1']);
        return '';
      } catch (err) {
        return String(err);
      }
    })();
    expect(bad).toMatch(/replicationFactor must not exceed replicas/);
  });

  it('deleting the CdnCluster garbage-collects its children', async () => {
    kubectl(['-n', NS, 'delete', 'cdncluster', NAME, '--wait=true', '--timeout=60s']);
    for (const [kind, name] of CHILDREN) {
      if (kind === 'ingress') continue; // already gone (disabled above)
      await waitFor(
        `${kind}/${name} garbage-collected`,
        () => {
          const o = getJson(['-n', NS, kind, name]);
          // A PVC may linger with a deletionTimestamp (pvc-protection finalizer); it is being collected.
          return o === undefined || o.metadata?.deletionTimestamp !== undefined;
        },
        90_000,
        500,
      );
    }
    expect(op.exited()).toBe(false);
  });
});
