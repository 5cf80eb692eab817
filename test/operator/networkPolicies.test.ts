// The NetworkPolicies of a CdnCluster: on by default, gone when disabled, and selecting exactly the pods the
// StatefulSet and the Redis Deployment make (read from those objects, so that a label change in one place fails here).
import { describe, expect, test } from 'vitest';
import { desiredObjects, type AppliedObject } from '../../operator/src/desired/index.js';
import { NODE_PORT, REDIS_PORT } from '../../operator/src/desired/names.js';
import type { CdnClusterSpecInput } from '../../operator/src/api/types.js';
import { cluster } from './helpers.js';

type Labels = Record<string, string>;
interface Rule {
  from: {
    podSelector?: { matchLabels?: Labels };
    namespaceSelector?: unknown;
  }[];
  ports: { protocol: string; port: number }[];
}
interface Np {
  metadata: { name: string };
  spec: {
    podSelector: { matchLabels: Labels };
    policyTypes: string[];
    ingress: Rule[];
  };
}
interface Workload {
  spec: {
    selector: { matchLabels: Labels };
    template: { metadata: { labels: Labels } };
  };
}

const PLAN = {
  statefulSetReplicas: 3,
  volumeClaimTemplate: { size: '10Gi' },
  serviceMonitorAvailable: false,
};

function objects(spec: CdnClusterSpecInput): AppliedObject[] {
  return desiredObjects(cluster('c', spec), { defaultImage: 'img' }, PLAN, () => 't').apply;
}
const policies = (objs: AppliedObject[]): Np[] => objs.filter((o) => o.kind === 'NetworkPolicy') as unknown as Np[];
const podLabels = (objs: AppliedObject[], kind: string): Labels =>
  (objs.find((o) => o.kind === kind) as unknown as Workload).spec.template.metadata.labels;
/** True when a matchLabels selector selects a pod with these labels. */
const selects = (sel: Labels, labels: Labels): boolean => Object.entries(sel).every(([k, v]) => labels[k] === v);

describe('NetworkPolicies', () => {
  test('on by default: one for the nodes, one for the managed Redis, ingress only', () => {
    const nps = policies(objects({}));
    expect(nps.map((n) => n.metadata.name)).toEqual(['c', 'c-redis']);
    for (const n of nps) expect(n.spec.policyTypes).toEqual(['Ingress']);
  });

  test('disabled: none (so the reconciler prunes them)', () => {
    expect(policies(objects({ networkPolicy: { enabled: false } }))).toEqual([]);
  });

  test('external Redis: no Redis policy', () => {
    const nps = policies(objects({ redis: { external: { url: 'redis://r:6379' } } }));
    expect(nps.map((n) => n.metadata.name)).toEqual(['c']);
  });

  test('the selectors match the pod labels of the StatefulSet and the Redis Deployment, and nothing else', () => {
    // podLabels let a user add labels; a selector must still select by the operator's own.
    const objs = objects({
      podLabels: { team: 'a' },
      redis: { managed: { podLabels: { team: 'b' } } },
    });
    const [node, redis] = policies(objs);
    const nodePods = podLabels(objs, 'StatefulSet');
    const redisPods = podLabels(objs, 'Deployment');
    expect(selects(node!.spec.podSelector.matchLabels, nodePods)).toBe(true);
    expect(selects(node!.spec.podSelector.matchLabels, redisPods)).toBe(false);
    expect(selects(redis!.spec.podSelector.matchLabels, redisPods)).toBe(true);
    expect(selects(redis!.spec.podSelector.matchLabels, nodePods)).toBe(false);
    const sts = objs.find((o) => o.kind === 'StatefulSet') as unknown as Workload;
    expect(node!.spec.podSelector.matchLabels).toEqual(sts.spec.selector.matchLabels);
    // Redis: only the node pods, only on the Redis port.
    expect(redis!.spec.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: sts.spec.selector.matchLabels } }],
        ports: [{ protocol: 'TCP', port: REDIS_PORT }],
      },
    ]);
    expect(selects(redis!.spec.ingress[0]!.from[0]!.podSelector!.matchLabels!, nodePods)).toBe(true);
  });

  test('the node port admits the peer nodes and the namespace; other namespaces only when named or for an Ingress', () => {
    const rule = (spec: CdnClusterSpecInput): Rule => policies(objects(spec))[0]!.spec.ingress[0]!;
    const plain = rule({});
    expect(plain.ports).toEqual([{ protocol: 'TCP', port: NODE_PORT }]);
    expect(plain.from.slice(1)).toEqual([{ podSelector: {} }]);
    expect(selects(plain.from[0]!.podSelector!.matchLabels!, podLabels(objects({}), 'StatefulSet'))).toBe(true);
    expect(rule({ ingress: { enabled: true } }).from.slice(2)).toEqual([{ namespaceSelector: {} }]);
    const ctl = {
      namespaceSelector: {
        matchLabels: { 'kubernetes.io/metadata.name': 'ingress' },
      },
    };
    const prom = {
      namespaceSelector: {
        matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
      },
    };
    const named = rule({
      ingress: { enabled: true },
      networkPolicy: { ingressFrom: [ctl], metricsFrom: [prom] },
    });
    expect(named.from.slice(2)).toEqual([ctl, prom]);
  });
});
