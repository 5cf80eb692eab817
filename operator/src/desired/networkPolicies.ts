// NetworkPolicies (issue #14), on unless spec.networkPolicy.enabled is false. Ingress only; egress stays open (the
// nodes reach Redis, each other and, for an external Redis, anything). The node serves its public routes, the peer
// routes (/internal/) and /metrics on ONE port (8080), so a policy cannot tell peer traffic from public traffic:
// the node port admits this namespace (which holds the peer nodes and the CdnCluster's clients), the ingress
// controller and Prometheus. /internal/ stays guarded by CLUSTER_SECRET. Enforcement needs a CNI that implements
// NetworkPolicy (docs/operator.md).
import type { CdnCluster } from '../api/types.js';
import { type Component, metaFor, namesOf, NODE_PORT, REDIS_PORT, selectorLabels } from './names.js';
import { managedRedis } from './redis.js';
import type { INetworkPolicy } from './types.js';

type Peer = NonNullable<NonNullable<INetworkPolicy['spec']>['ingress']>[number]['from'];

export function networkPolicies(cluster: CdnCluster): INetworkPolicy[] {
  if (!cluster.spec.networkPolicy.enabled) return [];
  const redis = managedRedis(cluster) === undefined ? [] : [redisNetworkPolicy(cluster)];
  return [nodeNetworkPolicy(cluster), ...redis];
}

/**
 * Who may reach the node port from outside the namespace: spec.networkPolicy.ingressFrom, or (absent) every
 * namespace when the Ingress is on, because the ingress controller's namespace and labels are unknown here and an
 * Ingress that silently stops working is worse than a wider rule; then metricsFrom.
 */
export function externalPeers(cluster: CdnCluster): NonNullable<Peer> {
  const np = cluster.spec.networkPolicy;
  const ingressDefault = cluster.spec.ingress.enabled ? [{ namespaceSelector: {} }] : [];
  return [...(np.ingressFrom ?? ingressDefault), ...(np.metricsFrom ?? [])];
}

function nodeNetworkPolicy(cluster: CdnCluster): INetworkPolicy {
  return ingressOnly(cluster, {
    name: namesOf(cluster).nodeNetworkPolicy,
    component: 'node',
    port: NODE_PORT,
    // The peer nodes (named: the rule that matters), every pod of the namespace, then the external peers.
    from: [
      { podSelector: { matchLabels: selectorLabels(cluster, 'node') } },
      { podSelector: {} },
      ...externalPeers(cluster),
    ],
  });
}

function redisNetworkPolicy(cluster: CdnCluster): INetworkPolicy {
  return ingressOnly(cluster, {
    name: namesOf(cluster).redisNetworkPolicy,
    component: 'redis',
    port: REDIS_PORT,
    from: [{ podSelector: { matchLabels: selectorLabels(cluster, 'node') } }],
  });
}

interface IngressRule {
  readonly name: string;
  readonly component: Component;
  readonly port: number;
  readonly from: NonNullable<Peer>;
}

/** A policy on one component's pods admitting `from` on one TCP port, and nothing else in. */
function ingressOnly(cluster: CdnCluster, rule: IngressRule): INetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metaFor(cluster, rule.name, rule.component),
    spec: {
      podSelector: { matchLabels: selectorLabels(cluster, rule.component) },
      policyTypes: ['Ingress'],
      ingress: [{ from: rule.from, ports: [{ protocol: 'TCP', port: rule.port }] }],
    },
  };
}
