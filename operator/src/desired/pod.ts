// What the node and Redis pod templates share: their labels and annotations (the operator's own win over the
// user's), and a security context that meets Pod Security "restricted" whatever user and groups the spec gives.
import type { CdnCluster } from '../api/types.js';
import { type Component, METRICS_PATH, NODE_PORT, ownedLabels, selectorLabels } from './names.js';

/** The subset of core/v1 PodSecurityContext the spec may set (spec.podSecurityContext, redis.managed.…). */
export interface PodIdentity {
  readonly runAsUser?: number | undefined;
  readonly runAsGroup?: number | undefined;
  readonly fsGroup?: number | undefined;
}

export interface RestrictedPodSecurityContext extends PodIdentity {
  runAsNonRoot: true;
  fsGroupChangePolicy?: 'OnRootMismatch';
  seccompProfile: { type: 'RuntimeDefault' };
}

/**
 * runAsNonRoot and the RuntimeDefault seccomp profile always; user and groups only when given, so that a platform
 * that assigns them (OpenShift) can. The containers add allowPrivilegeEscalation: false and drop ALL capabilities.
 */
export function restrictedPodSecurityContext(
  identity: PodIdentity,
  options: { fsGroupChangePolicy?: 'OnRootMismatch' } = {},
): RestrictedPodSecurityContext {
  return {
    runAsNonRoot: true,
    ...(identity.runAsUser !== undefined && { runAsUser: identity.runAsUser }),
    ...(identity.runAsGroup !== undefined && { runAsGroup: identity.runAsGroup }),
    ...(identity.fsGroup !== undefined && { fsGroup: identity.fsGroup }),
    ...options,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export interface RestrictedContainerSecurityContext {
  allowPrivilegeEscalation: false;
  readOnlyRootFilesystem?: boolean;
  capabilities: { drop: string[] };
}

/** A fresh object each call: the objects built are handed on and may be changed. */
export function restrictedContainerSecurity(
  options: { readOnlyRootFilesystem?: boolean } = {},
): RestrictedContainerSecurityContext {
  return { allowPrivilegeEscalation: false, ...options, capabilities: { drop: ['ALL'] } };
}

/**
 * A pod template's labels: the user's first, then the operator's. The selector labels must win: a pod the
 * StatefulSet's (immutable) selector did not match would be orphaned, and the Services would lose it.
 */
export function podLabels(
  cluster: CdnCluster,
  component: Component,
  user: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  return { ...user, ...ownedLabels(cluster), ...selectorLabels(cluster, component) };
}

/** Annotations a Prometheus without the Prometheus Operator discovers scrape targets by (its kubernetes-pods job). */
export function scrapeAnnotations(cluster: CdnCluster): Record<string, string> {
  if (!cluster.spec.metrics.scrapeAnnotations) return {};
  return {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(NODE_PORT),
    'prometheus.io/path': METRICS_PATH,
  };
}
