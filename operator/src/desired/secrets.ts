// Generated secrets: the write token (unless the spec names the user's own Secret), the cluster secret shared by
// the nodes for peer-only routes, and the managed Redis' password (unless the spec names the user's own). Created once when absent and never written again, so never rotated by accident.
import type { CdnCluster } from '../api/types.js';
import { CLUSTER_SECRET_KEY, REDIS_PASSWORD_KEY } from './env.js';
import { metaFor, namesOf } from './names.js';
import type { ISecret } from './types.js';

/** A source of random tokens (crypto in production, a fixed one in golden tests). */
export type TokenSource = () => string;

export function generatedSecrets(cluster: CdnCluster, token: TokenSource): ISecret[] {
  const n = namesOf(cluster);
  const secrets: ISecret[] = [secret(cluster, n.clusterSecret, CLUSTER_SECRET_KEY, token())];
  if (cluster.spec.writeTokenSecretRef === undefined)
    secrets.unshift(secret(cluster, n.writeTokenSecret, 'token', token()));
  const r = cluster.spec.redis;
  if (r.external === undefined && r.managed?.passwordSecretRef === undefined)
    secrets.push(secret(cluster, n.redisPasswordSecret, REDIS_PASSWORD_KEY, token()));
  return secrets;
}

function secret(cluster: CdnCluster, name: string, key: string, value: string): ISecret {
  const meta = metaFor(cluster, name, 'node');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { ...meta, annotations: { 'kubecdn.io/generated': 'true' } },
    type: 'Opaque',
    stringData: { [key]: value },
  };
}
